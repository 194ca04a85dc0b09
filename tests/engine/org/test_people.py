"""The administrators' organisation changes: the unit tree, groups and members, users; refusals change nothing."""

from __future__ import annotations

import pytest

from engine.errors import Conflict, InvalidInput, NotFound
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def test_the_tree_lists_parents_before_children_with_depth(org: Services) -> None:
    org.people.add_unit({"code": "PKT", "name": "Phòng Kế toán", "parent": "VP"})
    tree = [(u.code, u.depth) for u in org.people.tree()]
    assert tree[0] == ("TU", 0) and ("VP", 1) in tree and ("PTH", 2) in tree and ("PKT", 2) in tree
    assert next(u for u in org.people.tree() if u.code == "VP").head_name == "Trần Thị Chánh"


def test_a_unit_cannot_move_under_itself_or_its_own_units(org: Services) -> None:
    with pytest.raises(InvalidInput, match="cannot be moved under"):
        org.people.move_unit("VP", "PTH")
    with pytest.raises(InvalidInput):
        org.people.move_unit("VP", "VP")
    org.people.move_unit("PTH", "TU")
    org.people.move_unit("VP", "")  # to the top
    assert {u.code: u.parent for u in org.people.tree()} == {"TU": None, "VP": None, "PTH": "TU"}
    with pytest.raises(NotFound):
        org.people.move_unit("PTH", "NOWHERE")


def test_rename_set_head_and_refusals(org: Services) -> None:
    org.people.rename_unit("PTH", "Phòng Tổng hợp - Hành chính")
    org.people.set_head("PTH", "chuyenvien")
    unit = next(u for u in org.people.tree() if u.code == "PTH")
    assert (unit.name, unit.head) == ("Phòng Tổng hợp - Hành chính", "chuyenvien")
    with pytest.raises(NotFound):
        org.people.set_head("PTH", "nobody")
    with pytest.raises(Conflict):
        org.people.add_unit({"code": "PTH", "name": "again"})
    with pytest.raises(InvalidInput) as refused:
        org.people.add_unit({"code": "bad code", "name": ""})
    assert set(refused.value.fields) == {"code", "name"}


def test_users_are_created_edited_and_grouped(org: Services) -> None:
    org.people.create_user({"username": "moi", "full_name": "Người Mới", "unit": "PTH", "title": "Chuyên viên",
                            "groups": ["chuyen_vien"], "language": "en", "email": ""})
    person = org.people.person("moi")
    assert (person.unit, person.title, person.groups, person.language, person.email) == \
        ("PTH", "Chuyên viên", ("chuyen_vien",), "en", None)
    org.people.update_user("moi", {"full_name": "Người Mới Hơn", "unit": "VP", "groups": ["van_thu", "lanh_dao"]})
    assert org.people.person("moi").groups == ("lanh_dao", "van_thu")
    with pytest.raises(InvalidInput, match="marked fields") as refused:
        org.people.update_user("moi", {"full_name": "X", "groups": ["ghost"]})
    assert refused.value.fields == {"groups": ["unknown group 'ghost'"]}
    assert org.people.person("moi").full_name == "Người Mới Hơn"  # refused: nothing changed
    org.people.set_membership("chuyen_vien", "moi", True)
    assert "moi" in org.people.members("chuyen_vien")
    org.people.set_membership("chuyen_vien", "moi", False)
    assert "moi" not in org.people.members("chuyen_vien")
    org.people.save_group("quan_tri", "Quản trị")
    assert ("quan_tri", "Quản trị", 0) in org.people.groups()
    assert [p.username for p in org.people.people(search="viên")] == ["chuyenvien"]
    # typed without diacritics, or with a capital Đ that SQLite's lower() would not fold
    assert [p.username for p in org.people.people(search="nguoi moi")] == ["moi"]
    assert [p.username for p in org.people.people(search="NGƯỜI MỚI HƠN")] == ["moi"]

"""Whom a task may be handed to (the delegation picker's list): order, search, exclusions, limit, same rules as
delegating."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.inbox.delegates import CANDIDATE, OTHER, SAME_UNIT, DelegateChoices, delegate_choices
from engine.org.service import read_org_file
from engine.persistence.repository import OpenTask
from engine.services import Services
from tests.engine.inbox.inbox_support import INBOX, deactivate, prepare, start_document, task_of

# Beside the inbox organisation (tests/fixtures/inbox/org.yaml): two more people of Phòng Tổng hợp, a deputy
# head of the office, and someone without a unit.
EXTRA_PEOPLE = [
    {"username": "chuyenvien2", "full_name": "Đinh Thị Hà", "unit": "PTH", "title": "Chuyên viên"},
    {"username": "nhanvien", "full_name": "Bạch Văn Ất", "unit": "PTH", "title": "Lái xe"},
    {"username": "phovp", "full_name": "Đặng Thị Ánh", "unit": "VP", "title": "Phó Chánh Văn phòng"},
    {"username": "congtacvien", "full_name": "Tạ Văn Cộng", "unit": None},
]
# What chuyenvien (Phòng Tổng hợp, group chuyen_vien) sees for a task offered to chuyen_vien: the group's other
# members, then Phòng Tổng hợp, then everyone else, by full name without accents ("Đ" with the "D"s).
ORDER = ["truongphong", "canbo",                       # Lê Văn Trưởng, Vũ Thị Cán: chuyen_vien
         "nhanvien", "chuyenvien2",                    # Bạch Văn Ất, Đinh Thị Hà: Phòng Tổng hợp
         "phovp", "truongban", "khach", "bithu", "vanthu", "congtacvien", "chanhvp"]


@pytest.fixture
def org(services: Services) -> Services:
    prepare(services)
    structure = read_org_file(INBOX / "org.yaml")  # an import checks its units and heads against itself
    services.org.import_structure({**structure, "users": structure["users"] + EXTRA_PEOPLE})
    return services


def names(choices: DelegateChoices) -> list[str]:
    return [p.username for p in choices.people]


def test_the_task_s_groups_come_first_then_one_s_unit_then_everyone_by_full_name(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    choices = org.work.delegates(task.id, "chuyenvien", limit=100)
    assert names(choices) == ORDER
    assert choices.total == len(ORDER) and not choices.more
    tiers = {p.username: p.tier for p in choices.people}
    assert (tiers["canbo"], tiers["chuyenvien2"], tiers["phovp"]) == (CANDIDATE, SAME_UNIT, OTHER)
    ha = next(p for p in choices.people if p.username == "chuyenvien2")
    assert (ha.full_name, ha.title, ha.unit_name) == ("Đinh Thị Hà", "Chuyên viên", "Phòng Tổng hợp")
    cong = next(p for p in choices.people if p.username == "congtacvien")
    assert (cong.title, cong.unit_name, cong.tier) == (None, None, OTHER)


def test_the_order_follows_the_delegating_user_s_unit(org: Services) -> None:
    task = task_of(org, org.runtime.start("open_task", user="vanthu"))  # open to everyone: no group comes first
    choices = org.work.delegates(task.id, "vanthu", limit=3)
    assert names(choices) == ["phovp", "chanhvp", "nhanvien"]  # Văn phòng Tỉnh ủy first, then by name
    assert [p.tier for p in choices.people] == [SAME_UNIT, SAME_UNIT, OTHER]


@pytest.mark.parametrize("search, expected", [
    ("Hoàng Viên", ["chuyenvien"]),
    ("hoang vien", ["chuyenvien"]),               # no accents
    ("  HOÀNG   viên ", ["chuyenvien"]),           # case and spaces do not matter
    ("đinh", ["chuyenvien2"]),
    ("dinh", ["chuyenvien2"]),                     # đ is d
    ("tổng hợp", ["chuyenvien", "nhanvien", "chuyenvien2"]),    # the unit's name, still in the picker's order
    ("tong hop", ["chuyenvien", "nhanvien", "chuyenvien2"]),
    ("van ban", ["truongban", "khach"]),           # every word, in any field: Đỗ Văn Ban; Ngô Văn Khách, Ban Tổ chức
    ("canbo", ["canbo"]),                          # the user name
    ("lai xe", ["nhanvien"]),                      # the title
    ("viên", ["chuyenvien", "chuyenvien2"]),       # Hoàng Văn Viên; Đinh Thị Hà, Chuyên viên
    ("ien", []),                                   # words are found by their beginning, not anywhere inside
    ("không có ai", []),
])
def test_search_ignores_accents_and_case_across_name_user_name_title_and_unit(org: Services, search: str,
                                                                              expected: list[str]) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    choices = org.work.delegates(task.id, "truongphong", search=search)
    assert names(choices) == expected
    assert choices.total == len(expected) and not choices.more
    assert choices.search == search.strip()


def test_nobody_inactive_and_never_oneself(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    deactivate(org, "khach")
    listed = names(org.work.delegates(task.id, "chuyenvien", limit=100))
    assert "khach" not in listed and "chuyenvien" not in listed
    assert listed == [u for u in ORDER if u != "khach"]
    assert names(org.work.delegates(task.id, "chuyenvien", search="Hoàng")) == []  # oneself, even when searched


def test_the_list_is_limited_and_says_there_are_more(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    first = org.work.delegates(task.id, "chuyenvien", limit=4)
    assert names(first) == ORDER[:4]
    assert first.total == len(ORDER) and first.more
    assert len(org.work.delegates(task.id, "chuyenvien").people) == len(ORDER)  # 20 by default
    with pytest.raises(InvalidInput) as refused:
        org.work.delegates(task.id, "chuyenvien", limit=0)
    assert list(refused.value.fields) == ["limit"]
    with pytest.raises(InvalidInput) as refused:
        org.work.delegates(task.id, "chuyenvien", search="x" * 101)
    assert list(refused.value.fields) == ["search"]


def test_only_those_who_may_delegate_get_the_list(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    with pytest.raises(PermissionDenied):
        org.work.delegates(task.id, "vanthu")  # not a candidate
    with pytest.raises(NotFound, match="no open task"):
        org.work.delegates(task.id, "ghost")
    org.work.claim(task.id, "chuyenvien")
    with pytest.raises(PermissionDenied, match="assigned to chuyenvien"):
        org.work.delegates(task.id, "vanthu")  # only the assignee hands it on
    with pytest.raises(NotFound, match="no open task"):
        org.work.delegates(task.id, "canbo")  # a former candidate no longer sees the case
    assert names(org.work.delegates(task.id, "chuyenvien", limit=100)) == ORDER
    org.runtime.complete_task(task.id, user="chuyenvien", data={})
    with pytest.raises(Conflict, match="already completed by chuyenvien"):
        org.work.delegates(task.id, "chuyenvien")
    with pytest.raises(NotFound, match="no open task"):
        org.work.delegates("00000000-0000-0000-0000-000000000000", "chuyenvien")


def test_everyone_listed_can_be_delegated_to(org: Services) -> None:
    """The list offers exactly whom delegating accepts: each of them, on a case of their own."""
    for n, username in enumerate(ORDER):
        task = task_of(org, start_document(org, f"VB-{n}"))
        assert username in names(org.work.delegates(task.id, "chuyenvien", limit=100))
        org.work.delegate(task.id, "chuyenvien", username)
        assert task_of(org, task.instance_id).assignee == username


def test_users_a_task_names_come_first_with_its_groups(org: Services) -> None:
    task = OpenTask("t", 1, "e", None, datetime(2026, 4, 29, tzinfo=UTC), None, ("user:bithu", "van_thu"),
                    True, True)
    with org.db.connect() as conn:
        choices = delegate_choices(conn, task, "chanhvp", limit=3)
    assert names(choices) == ["bithu", "vanthu", "phovp"]  # Nguyễn Văn Bí named, Phạm Thị Thư of van_thu; then VP
    assert [p.tier for p in choices.people] == [CANDIDATE, CANDIDATE, SAME_UNIT]

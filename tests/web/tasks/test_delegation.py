"""Handing a task to a colleague chosen by name on the task page: the list, its search (htmx fragment or plain
GET), delegating, refusals that keep what was typed, and who gets the list at all."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from engine.org.service import read_org_file
from engine.persistence.models import User
from engine.services import Services
from tests.conftest import FIXTURES
from tests.web.conftest import Auth, start_approval

HTMX = {"HX-Request": "true"}
# Beside tests/fixtures/org.yaml: the office's deputy head (a leader) and a second specialist, with titles.
EXTRA_PEOPLE = [
    {"username": "phovp", "full_name": "Đặng Thị Ánh", "unit": "VP", "title": "Phó Chánh Văn phòng",
     "groups": ["lanh_dao"]},
    {"username": "chuyenvien2", "full_name": "Đinh Thị Hà", "unit": "PTH", "title": "Chuyên viên"},
]
# What chanhvp (Văn phòng Tỉnh ủy, lanh_dao) is offered for the approval task (offered to lanh_dao): the other
# leaders, then the office, then everyone else, by full name.
ORDER = ["phovp", "bithu", "vanthu", "chuyenvien2", "chuyenvien", "truongphong"]


@pytest.fixture
def case(web_services: Services) -> tuple[int, str]:
    """An approval case with more colleagues in the organisation; its id and open task's id."""
    structure = read_org_file(FIXTURES / "org.yaml")  # an import checks its units and heads against itself
    web_services.org.import_structure({**structure, "users": structure["users"] + EXTRA_PEOPLE})
    return start_approval(web_services)


def _url(case: tuple[int, str]) -> str:
    return f"/tasks/{case[0]}/{case[1]}"


def options(page: str) -> list[str]:
    """The user names the picker's list offers, in order (the task's own form has lists too)."""
    picker = re.search(r'<select id="delegate-to".*?</select>', page, re.S)
    return re.findall(r'<option value="([^"]+)"', picker.group(0)) if picker else []


def test_the_task_page_lists_colleagues_by_name(client: FlaskClient, auth: Auth, case: tuple[int, str]) -> None:
    auth.login("chanhvp")
    page = client.get(_url(case)).get_data(as_text=True)
    assert options(page) == ORDER  # never oneself; the task's groups, then one's unit, then the others
    for marker in ('<option value="phovp">Đặng Thị Ánh — Phó Chánh Văn phòng, Văn phòng Tỉnh ủy</option>',
                   '<option value="truongphong">Lê Văn Trưởng — Phòng Tổng hợp</option>',
                   '<optgroup label="Thuộc nhóm được giao công việc">', '<optgroup label="Cùng đơn vị">',
                   '<optgroup label="Các đồng chí khác">', "Tìm thấy 6 đồng chí",
                   '<label for="delegate-q">Tìm đồng chí</label>', '<label for="delegate-to">Chuyển cho đồng chí',
                   'aria-describedby="delegate-q-help"', 'aria-describedby="delegate-to-help delegate-count"',
                   'id="delegate-count" role="status"', f'hx-get="{_url(case)}/delegates"', 'name="to_user" required',
                   'class="delegate-search" novalidate'):  # or htmx would not search before a choice is made
        assert marker in page, marker
    assert "tên đăng nhập)" not in page  # no more typing user names
    assert 'id="delegate" open' not in page  # closed until needed


@pytest.mark.parametrize("search, expected", [
    ("hoang vien", ["chuyenvien"]),
    ("Hoàng Viên", ["chuyenvien"]),
    ("tong hop", ["chuyenvien2", "chuyenvien", "truongphong"]),
    ("Tổng hợp", ["chuyenvien2", "chuyenvien", "truongphong"]),
])
def test_the_search_fragment_filters(client: FlaskClient, auth: Auth, case: tuple[int, str], search: str,
                                     expected: list[str]) -> None:
    auth.login("chanhvp")
    response = client.get(f"{_url(case)}/delegates", query_string={"q": search}, headers=HTMX)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment
    assert options(fragment) == expected
    assert f'<input type="hidden" name="q" value="{search}">' in fragment  # posted with the choice
    assert f'<p id="delegate-count" hx-swap-oob="innerHTML">Tìm thấy {len(expected)} đồng chí</p>' in fragment


def test_the_fragment_keeps_the_choice_and_says_when_nobody_matches(client: FlaskClient, auth: Auth,
                                                                    case: tuple[int, str]) -> None:
    auth.login("chanhvp")
    url = f"{_url(case)}/delegates"
    fragment = client.get(url, query_string={"q": "dinh", "to_user": "chuyenvien2"}).get_data(as_text=True)
    assert '<option value="chuyenvien2" selected>' in fragment
    fragment = client.get(url, query_string={"q": "không có ai"}).get_data(as_text=True)
    assert options(fragment) == [] and "Không tìm thấy đồng chí nào phù hợp với “không có ai”." in fragment
    assert client.get(url, query_string={"q": "x" * 101}).status_code == 422


def test_without_javascript_the_search_reloads_the_page(client: FlaskClient, auth: Auth,
                                                        case: tuple[int, str]) -> None:
    auth.login("chanhvp")
    page = client.get(_url(case), query_string={"q": "hoàng"}).get_data(as_text=True)
    assert options(page) == ["chuyenvien"]
    assert '<details class="delegate" id="delegate" open>' in page
    assert 'id="delegate-q" name="q" value="hoàng"' in page and 'id="task-form"' in page


def test_delegating_with_the_picker_notifies_the_colleague(client: FlaskClient, auth: Auth, web_services: Services,
                                                           case: tuple[int, str]) -> None:
    auth.login("chanhvp")
    response = auth.post(f"{_url(case)}/delegate", {"to_user": "chuyenvien", "q": "hoang"}, page=_url(case))
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/"
    assert "Đã chuyển công việc cho đồng chí Hoàng Văn Viên." in client.get("/inbox/").get_data(as_text=True)
    assert web_services.queries.tasks(instance_id=case[0])[0].assignee == "chuyenvien"
    notes = web_services.notifications.list_for("chuyenvien").rows
    assert [(n.kind, n.task_id) for n in notes] == [("delegated", case[1])]
    delegated = [h for h in web_services.queries.history(case[0]) if h.kind == "task_delegated"]
    assert [(h.actor, h.data) for h in delegated] == [("chanhvp", {"from": None, "to": "chuyenvien"})]
    assert client.get(_url(case)).status_code == 403  # now it is chuyenvien's


@pytest.mark.parametrize("to_user, message", [
    ("khong_co_ai", "Đồng chí này không thể nhận công việc"),
    ("chuyenvien2", "Đồng chí này không thể nhận công việc"),  # left the agency after the page was shown
    ("chanhvp", "Không thể tự chuyển công việc cho chính mình"),
    ("", "Hãy chọn đồng chí nhận công việc."),
])
def test_a_refused_choice_shows_the_error_and_changes_nothing(client: FlaskClient, auth: Auth,
                                                              web_services: Services, case: tuple[int, str],
                                                              to_user: str, message: str) -> None:
    with web_services.db.transaction() as conn:
        conn.execute(update(User).where(User.username == "chuyenvien2").values(active=False))
    auth.login("chanhvp")
    response = auth.post(f"{_url(case)}/delegate", {"to_user": to_user, "q": "Đinh Hà"}, page=_url(case))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'<p class="field__error" id="delegate-to-error">{message}' in page
    assert '<details class="delegate" id="delegate" open>' in page
    assert 'id="delegate-q" name="q" value="Đinh Hà"' in page  # what was typed is kept
    assert 'id="task-form"' in page  # the whole task page, its form too
    task = web_services.queries.tasks(instance_id=case[0])[0]
    assert task.assignee is None
    assert not [h for h in web_services.queries.history(case[0]) if h.kind == "task_delegated"]
    assert web_services.notifications.list_for(to_user or "chuyenvien").rows == []


def test_the_refused_list_is_searched_again_with_the_choice_marked(client: FlaskClient, auth: Auth,
                                                                   case: tuple[int, str]) -> None:
    auth.login("chanhvp")
    response = auth.post(f"{_url(case)}/delegate", {"to_user": "chanhvp", "q": "tong hop"}, page=_url(case))
    page = response.get_data(as_text=True)
    assert options(page) == ["chuyenvien2", "chuyenvien", "truongphong"]
    assert 'aria-describedby="delegate-to-help delegate-count delegate-to-error" aria-invalid="true" autofocus' in page


def test_who_may_not_work_on_the_task_gets_no_list(client: FlaskClient, auth: Auth, web_services: Services,
                                                   case: tuple[int, str]) -> None:
    url = f"{_url(case)}/delegates"
    assert client.get(url).status_code == 302  # sign in first
    auth.login("vanthu")  # not a leader, and not one who may see the case: for them it does not exist
    assert client.get(url).status_code == 404
    refused = client.get(url, headers=HTMX)
    assert refused.status_code == 404 and "<html" not in refused.get_data(as_text=True)
    assert "<option" not in refused.get_data(as_text=True)
    assert client.get(f"/tasks/{case[0]}/00000000-0000-0000-0000-000000000000/delegates").status_code == 404
    auth.logout()
    auth.login("chanhvp")
    web_services.runtime.complete_task(case[1], user="bithu", data={"approved": True, "comment": "Đồng ý"})
    assert client.get(url).status_code == 404  # no longer open


def test_the_picker_speaks_english_on_request(client: FlaskClient, auth: Auth, case: tuple[int, str]) -> None:
    auth.login("chanhvp")
    client.set_cookie("procflow_lang", "en")
    page = client.get(_url(case)).get_data(as_text=True)
    for marker in ("Hand to a colleague…", '<label for="delegate-to">Hand to', "6 colleagues found",
                   '<optgroup label="In the groups the task is for">', "By full name, unit or user name"):
        assert marker in page, marker

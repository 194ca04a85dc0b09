"""Who may see a case, and the reads that depend on it: history, comments, the case page, my cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import InvalidInput, NotFound
from engine.services import Services
from tests.engine.inbox.inbox_support import deactivate, prepare, start_document, task_of

EVERYONE = ("bithu", "chanhvp", "truongphong", "vanthu", "chuyenvien", "truongban", "canbo", "khach")


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def seeing(services: Services, instance_id: int) -> set[str]:
    return {u for u in EVERYONE if services.access.may_see_case(u, instance_id)}


def test_starter_candidates_heads_above_the_starter_and_agency_leaders(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu")  # vanthu is in VP; the task is offered to chuyen_vien
    # vanthu: started it; chuyenvien, truongphong, canbo: offered to their group; chanhvp: heads VP;
    # bithu: heads TU above VP and is an agency leader. truongban (BTC) and khach have nothing to do with it.
    assert seeing(org, case) == {"vanthu", "chuyenvien", "truongphong", "canbo", "chanhvp", "bithu"}


def test_a_leader_below_the_top_sees_only_what_their_units_are_involved_in(org: Services) -> None:
    case = start_document(org, "VB-1", user="khach")  # started in BTC
    # chanhvp is in the leader group but in VP, not a top-level unit, and heads nobody involved.
    assert seeing(org, case) == {"khach", "truongban", "bithu", "chuyenvien", "truongphong", "canbo"}


def test_claiming_takes_the_case_from_the_other_candidates_and_shows_it_to_the_claimers_heads(org: Services) -> None:
    case = start_document(org, "VB-1", user="khach")
    org.work.claim(task_of(org, case).id, "chuyenvien")
    # canbo is no longer offered the task; truongphong and chanhvp head chuyenvien (PTH, under VP), who acted.
    assert seeing(org, case) == {"khach", "truongban", "bithu", "chuyenvien", "truongphong", "chanhvp"}


def test_having_acted_on_a_case_keeps_it_visible_after_the_task_is_gone(org: Services) -> None:
    case = start_document(org, "VB-1", user="khach")
    org.runtime.complete_task(task_of(org, case).id, user="canbo", data={})
    assert org.access.may_see_case("canbo", case)  # acted (completed the first task)
    assert not org.access.may_see_case("chuyenvien", case)  # the open task now is for lanh_dao
    assert org.access.may_see_case("chanhvp", case)  # offered to lanh_dao now


def test_an_administrator_sees_every_case(org: Services) -> None:
    org.org.import_structure({"groups": [{"code": "quan_tri", "name": "Quản trị hệ thống"}],
                              "users": [{"username": "quantri", "full_name": "Đinh Văn Trị", "groups": ["quan_tri"]}]})
    cases = [start_document(org, "VB-1", user="vanthu"), start_document(org, "VB-2", user="khach")]
    assert all(org.access.may_see_case("quantri", case) for case in cases)  # involved in none, in no unit
    assert org.admin.is_admin("quantri") and not org.admin.is_admin("bithu")
    deactivate(org, "quantri")
    assert not any(org.access.may_see_case("quantri", case) for case in cases)
    assert not org.admin.is_admin("quantri")


def test_unknown_inactive_and_missing(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu")
    assert not org.access.may_see_case("ghost", case)
    assert not org.access.may_see_case("vanthu", 99999)
    deactivate(org, "vanthu")
    assert not org.access.may_see_case("vanthu", case)


def test_history_and_the_case_page_only_for_those_who_may_see_the_case(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu")
    assert org.cases.history(case, "chanhvp")[0].kind == "instance_started"
    assert org.cases.case(case, "chuyenvien").business_key == "VB-1"
    with pytest.raises(NotFound, match="no instance"):
        org.cases.history(case, "khach")
    with pytest.raises(NotFound):
        org.cases.case(case, "truongban")
    with pytest.raises(NotFound):
        org.cases.history(99999, "bithu")


def test_comments_by_and_for_those_who_may_see_the_case(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu")
    task = task_of(org, case)
    first = org.comments.add(case, "vanthu", "  Đề nghị xử lý sớm.  ")
    org.clock.advance(timedelta(minutes=5))
    org.comments.add(case, "chuyenvien", "Đã nhận.", task_id=task.id)
    listed = org.comments.list_for(case, "chanhvp")
    assert [(c.username, c.text, c.task_id) for c in listed] == [
        ("vanthu", "Đề nghị xử lý sớm.", None), ("chuyenvien", "Đã nhận.", task.id)]
    assert listed[0].id == first.id
    assert [h.actor for h in org.cases.history(case, "vanthu") if h.kind == "comment_added"] == [
        "vanthu", "chuyenvien"]
    with pytest.raises(NotFound):
        org.comments.add(case, "khach", "Tôi xem được không?")
    with pytest.raises(NotFound):
        org.comments.list_for(case, "truongban")


def test_comments_are_validated(org: Services) -> None:
    case = start_document(org, "VB-1", user="vanthu")
    other = task_of(org, start_document(org, "VB-2", user="vanthu"))
    with pytest.raises(InvalidInput) as err:
        org.comments.add(case, "vanthu", "   ")
    assert "text" in err.value.fields
    with pytest.raises(InvalidInput):
        org.comments.add(case, "vanthu", "x" * 4001)
    with pytest.raises(InvalidInput, match="not a task of case"):
        org.comments.add(case, "vanthu", "sai việc", task_id=other.id)
    with pytest.raises(InvalidInput):
        org.comments.add(case, "vanthu", "sai mã", task_id="not-a-uuid")
    assert org.comments.list_for(case, "vanthu") == []


def test_my_cases_started_or_worked_on_with_where_each_is_now(org: Services) -> None:
    started = start_document(org, "VB-1", user="vanthu")
    org.clock.advance(timedelta(hours=1))
    worked = start_document(org, "VB-2", user="khach")
    org.clock.advance(timedelta(hours=1))
    handled = task_of(org, worked)
    org.work.claim(handled.id, "chuyenvien")
    org.runtime.complete_task(handled.id, user="chuyenvien", data={})
    start_document(org, "VB-3", user="khach")
    page = org.cases.my_cases("chuyenvien")
    assert [(r.business_key, [s.name for s in r.open_tasks]) for r in page.rows] == [("VB-2", ["Lãnh đạo duyệt"])]
    assert page.rows[0].since == org.clock.now()
    mine = org.cases.my_cases("vanthu")
    assert [r.id for r in mine.rows] == [started]
    assert mine.rows[0].since == mine.rows[0].started_at
    assert [r.business_key for r in org.cases.my_cases("khach").rows] == ["VB-3", "VB-2"]
    assert org.cases.my_cases("khach", status="completed").total == 0
    assert org.cases.my_cases("bithu").total == 0
    with pytest.raises(InvalidInput):
        org.cases.my_cases("khach", status="lost")


def test_my_cases_of_an_ended_case_since_its_end(org: Services) -> None:
    case = org.runtime.start("open_task", user="khach")
    org.clock.advance(timedelta(days=1))
    org.runtime.complete_task(task_of(org, case).id, user="khach", data={})
    row = org.cases.my_cases("khach", status="completed").rows[0]
    assert (row.status, row.open_tasks, row.since) == ("completed", [], org.clock.now())
    assert org.cases.my_cases("khach", per_page=1, page=1).total == 1

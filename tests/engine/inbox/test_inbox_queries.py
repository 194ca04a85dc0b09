"""The inbox page on the real database: who sees what, filters, search, deadline marks, order, pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import InvalidInput
from engine.inbox.queries import InboxFilter
from engine.services import Services
from tests.engine.inbox.inbox_support import deactivate, prepare, start_document, task_of


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def keys(page) -> list[str | None]:
    return [r.business_key for r in page.rows]


def test_a_user_sees_their_groups_tasks_and_their_own_with_the_cases_facts(org: Services) -> None:
    start_document(org, "VB-1", so="15/BC-UBND", trich_yeu="Báo cáo tình hình", do_khan="Thượng khẩn")
    page = org.inbox.page("chuyenvien")
    assert page.total == 1
    row = page.rows[0]
    assert (row.name, row.business_key, row.summary, row.urgency, row.unit_code) == (
        "Chuyên viên xử lý", "VB-1", "Số 15/BC-UBND: Báo cáo tình hình", "top_urgent", "VP")
    assert row.candidate_groups == ["chuyen_vien"]
    assert org.inbox.page("vanthu").total == 0
    assert org.inbox.page("bithu").total == 0  # leaders see the case, but the task is not theirs to work on
    assert org.inbox.page("ghost").total == 0


def test_tasks_assigned_to_others_are_not_shown_and_an_inactive_user_sees_nothing(org: Services) -> None:
    mine = task_of(org, start_document(org, "VB-1"))
    theirs = task_of(org, start_document(org, "VB-2"))
    org.work.claim(mine.id, "chuyenvien")
    org.work.claim(theirs.id, "canbo")
    assert keys(org.inbox.page("chuyenvien")) == ["VB-1"]
    assert keys(org.inbox.page("canbo")) == ["VB-2"]
    assert org.inbox.page("truongphong").total == 0
    deactivate(org, "chuyenvien")
    assert org.inbox.page("chuyenvien").total == 0


def test_tasks_offered_to_a_user_by_name_or_to_everyone(org: Services) -> None:
    named = org.runtime.start("personal", data={"nguoi": "khach"}, user="vanthu")
    org.runtime.start("open_task", user="vanthu")
    assert sorted(r.process_id for r in org.inbox.page("khach").rows) == ["open_task", "personal"]
    assert [r.process_id for r in org.inbox.page("bithu").rows] == ["open_task"]
    org.runtime.complete_task(task_of(org, named).id, user="khach", data={})
    assigned = task_of(org, named)
    assert (assigned.element_id, assigned.assignee) == ("assigned", "khach")
    assert [r.element_id for r in org.inbox.page("khach", InboxFilter(scope="assigned")).rows] == ["assigned"]
    assert "assigned" not in [r.element_id for r in org.inbox.page("chuyenvien").rows]


def test_an_assignee_variable_that_is_empty_leaves_the_task_to_its_groups(org: Services) -> None:
    named = org.runtime.start("personal", data={"nguoi": "khach"}, user="vanthu")
    org.runtime.complete_task(task_of(org, named).id, user="khach", data={"nguoi": ""})
    task = task_of(org, named)
    assert task.assignee is None
    assert [r.id for r in org.inbox.page("canbo").rows] == [task.id]


def test_sorted_by_deadline_with_tasks_without_one_last_then_by_age(org: Services) -> None:
    start_document(org, "none-old")
    org.clock.advance(timedelta(minutes=1))
    start_document(org, "late", han="P10D")
    start_document(org, "soon", han="PT2H")
    org.clock.advance(timedelta(minutes=1))
    start_document(org, "none-new")
    start_document(org, "mid", han="P5D")
    assert keys(org.inbox.page("chuyenvien")) == ["soon", "mid", "late", "none-old", "none-new"]


def test_rows_are_marked_overdue_and_due_soon_by_working_days(org: Services) -> None:
    # T0 is Wednesday 29 April 09:00; 30 April and 1 May are public holidays, so "within one working day"
    # runs to Monday 4 May 09:00 and a deadline on Saturday 2 May is due soon.
    start_document(org, "past", han="PT1H")
    start_document(org, "saturday", han="P3D")
    start_document(org, "next-week", han="P10D")
    start_document(org, "none")
    org.clock.advance(timedelta(hours=2))
    page = org.inbox.page("chuyenvien")
    marks = {r.business_key: (r.overdue, r.due_soon) for r in page.rows}
    assert marks == {"past": (True, False), "saturday": (False, True), "next-week": (False, False),
                     "none": (False, False)}
    assert (page.overdue, page.due_soon) == (1, 1)
    assert page.due_soon_until.date().isoformat() == "2026-05-04"
    assert keys(org.inbox.page("chuyenvien", InboxFilter(state="overdue"))) == ["past"]
    assert keys(org.inbox.page("chuyenvien", InboxFilter(state="due_soon"))) == ["saturday"]
    assert keys(org.inbox.page("chuyenvien", InboxFilter(state="no_deadline"))) == ["none"]


def test_filters_by_procedure_urgency_and_the_cases_unit_with_the_units_below(org: Services) -> None:
    start_document(org, "vp", user="vanthu", do_khan="hỏa tốc")
    start_document(org, "pth", user="truongphong", do_khan="thường")
    start_document(org, "btc", user="canbo", do_khan="")
    org.runtime.start("open_task", user="vanthu", business_key="chung")
    assert keys(org.inbox.page("chuyenvien", InboxFilter(process_id="open_task"))) == ["chung"]
    assert keys(org.inbox.page("chuyenvien", InboxFilter(urgency="flash"))) == ["vp"]
    assert sorted(keys(org.inbox.page("chuyenvien", InboxFilter(urgency="normal")))) == ["btc", "chung", "pth"]
    assert sorted(keys(org.inbox.page("chuyenvien", InboxFilter(unit="VP")))) == ["chung", "pth", "vp"]
    assert keys(org.inbox.page("chuyenvien", InboxFilter(unit="PTH"))) == ["pth"]
    assert keys(org.inbox.page("chuyenvien", InboxFilter(unit="BTC", process_id="document"))) == ["btc"]
    with pytest.raises(InvalidInput, match="no unit 'XX'"):
        org.inbox.page("chuyenvien", InboxFilter(unit="XX"))


def test_search_finds_business_key_number_and_summary_without_case_or_accents(org: Services) -> None:
    start_document(org, "VB-2026-001", so="15/BC-UBND", trich_yeu="Báo cáo tình hình Đảng bộ")
    start_document(org, "VB-2026-002", so="7/CV-VP", trich_yeu="Công văn về 100% hồ_sơ")
    search = {term: keys(org.inbox.page("chuyenvien", InboxFilter(search=term)))
              for term in ("vb-2026-001", "15/bc", "ĐẢNG BỘ", "dang bo", "cong van", "100%", "hồ_sơ", "zzz")}
    assert search == {"vb-2026-001": ["VB-2026-001"], "15/bc": ["VB-2026-001"], "ĐẢNG BỘ": ["VB-2026-001"],
                      "dang bo": ["VB-2026-001"], "cong van": ["VB-2026-002"], "100%": ["VB-2026-002"],
                      "hồ_sơ": ["VB-2026-002"], "zzz": []}
    assert org.inbox.page("chuyenvien", InboxFilter(search="%")).total == 0  # no word to find, not a wildcard


def test_pages_with_totals_over_all_pages(org: Services) -> None:
    for n in range(7):
        start_document(org, f"VB-{n}", han=f"P{n + 1}D")
    first = org.inbox.page("chuyenvien", per_page=3)
    third = org.inbox.page("chuyenvien", page=3, per_page=3)
    assert (keys(first), first.total, first.pages) == (["VB-0", "VB-1", "VB-2"], 7, 3)
    assert keys(third) == ["VB-6"]
    beyond = org.inbox.page("chuyenvien", page=9, per_page=3)
    assert (beyond.rows, beyond.total) == ([], 7)
    with pytest.raises(InvalidInput):
        org.inbox.page("chuyenvien", per_page=0)
    with pytest.raises(InvalidInput):
        org.inbox.page("chuyenvien", page=0)


def test_filters_from_outside_are_validated() -> None:
    assert InboxFilter.load({"state": "overdue", "search": "  cv ", "unit": ""}) == InboxFilter(
        state="overdue", search="cv")
    with pytest.raises(InvalidInput) as err:
        InboxFilter.load({"state": "late", "urgency": "very", "colour": "red"})
    assert set(err.value.fields) == {"state", "urgency", "colour"}
    assert InboxFilter(scope="offered", urgency="urgent").as_dict() == {"scope": "offered", "urgency": "urgent"}

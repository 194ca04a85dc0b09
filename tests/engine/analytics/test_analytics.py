"""Managers' figures on a seeded history whose right answers are worked out by hand below; permission rules.

The organisation: TU (the provincial committee, head bithu; phobithu is a leader there) has two departments,
VP (head chanhvp, with vanthu) and BTC (head truongban, with cuong); PTH (head truongphong, with an and binh)
sits under VP. The calendar is the shipped one: 27 April 2026 (Hung Kings, compensatory), 30 April and 1 May
are holidays; office hours 07:30-11:30 and 13:30-17:00, so a working day is 7.5 h = 27,000 s.

"Now" is Monday 4 May 2026, 10:00 (+07:00).
"""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from engine.analytics import Period, Sheet, as_rows, columns, to_csv, to_xlsx
from engine.analytics.rollups import cycle_bucket, percentile
from engine.analytics.worktime import WorkingTimeline
from engine.calendar.working_time import WorkingCalendar, default_calendar
from engine.clock import VirtualClock
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.persistence.analytics_models import CaseMonthFigure, TaskMonthFigure
from engine.persistence.base import table_of
from engine.persistence.models import (
    DeployedFile,
    HistoryEvent,
    InboxTask,
    Instance,
    Notification,
    ProcessVersion,
)
from engine.services import Services
from tests.conftest import FIXTURES

DAY = 27_000  # seconds in a working day
NOW = "2026-05-04T10:00+07:00"
ORG = {
    "units": [{"code": "TU", "name": "Tỉnh ủy", "head": "bithu"},
              {"code": "VP", "name": "Văn phòng", "parent": "TU", "head": "chanhvp"},
              {"code": "PTH", "name": "Phòng Tổng hợp", "parent": "VP", "head": "truongphong"},
              {"code": "BTC", "name": "Ban Tổ chức", "parent": "TU", "head": "truongban"}],
    "groups": [{"code": "lanh_dao", "name": "Lãnh đạo"}, {"code": "chuyen_vien", "name": "Chuyên viên"}],
    "users": [{"username": "bithu", "full_name": "Bí Thư", "unit": "TU", "groups": ["lanh_dao"]},
              {"username": "phobithu", "full_name": "Phó Bí Thư", "unit": "TU", "groups": ["lanh_dao"]},
              {"username": "chanhvp", "full_name": "Chánh Văn Phòng", "unit": "VP", "groups": ["lanh_dao"]},
              {"username": "vanthu", "full_name": "Văn Thư", "unit": "VP"},
              {"username": "truongphong", "full_name": "Trưởng Phòng", "unit": "PTH"},
              {"username": "an", "full_name": "Nguyễn An", "unit": "PTH", "groups": ["chuyen_vien"]},
              {"username": "binh", "full_name": "Trần Bình", "unit": "PTH", "groups": ["chuyen_vien"]},
              {"username": "truongban", "full_name": "Trưởng Ban", "unit": "BTC"},
              {"username": "cuong", "full_name": "Lê Cường", "unit": "BTC", "groups": ["chuyen_vien"]}],
}

# Cases: id -> (process, unit, started by, started, ended or None).
CASES = {
    1: ("p_den", "PTH", "an", "2026-04-19T12:00", "2026-04-21T12:00"),  # 48 h
    2: ("p_den", "PTH", "an", "2026-04-21T09:00", "2026-04-24T15:00"),  # 78 h
    3: ("p_den", "VP", "vanthu", "2026-04-01T08:00", "2026-04-01T12:00"),  # 4 h
    4: ("p_den", "PTH", "binh", "2026-04-10T08:00", "2026-04-15T08:00"),  # 120 h
    5: ("p_di", "BTC", "cuong", "2026-04-01T08:00", "2026-04-09T12:00"),  # 196 h
    6: ("p_den", "PTH", "binh", "2026-04-22T08:00", "2026-05-04T11:00"),  # 291 h, ends in May
    7: ("p_den", "PTH", "an", "2026-04-28T08:00", None),
    8: ("p_den", "PTH", "binh", "2026-04-27T08:00", None),
    9: ("p_di", "BTC", "cuong", "2026-05-04T08:00", None),
    10: ("p_den", "VP", "vanthu", "2026-04-23T08:00", None),
    11: ("p_den", "PTH", "an", "2026-03-30T08:00", None),
}

# Completed tasks: (case, element, actor, unit, created, due, completed, late seconds worked out by hand).
COMPLETED = [
    (1, "xu_ly", "an", "PTH", "2026-04-20T08:00", "2026-04-22T08:00", "2026-04-21T10:00", 0),  # h1
    # h2: Thu 23 Apr 09:00-11:30 and 13:30-17:00 (6 h), Fri 24 Apr 07:30-09:00 (1.5 h): one working day.
    (2, "xu_ly", "an", "PTH", "2026-04-21T09:00", "2026-04-23T09:00", "2026-04-24T09:00", DAY),
    # h3: Wed 29 Apr 16:00-17:00 (1 h), 30 Apr-3 May off, Mon 4 May 07:30-10:00 (2.5 h): 3.5 h.
    (6, "duyet", "binh", "PTH", "2026-04-22T08:00", "2026-04-29T16:00", "2026-05-04T10:00", 12_600),
    (4, "duyet", "binh", "PTH", "2026-04-14T08:00", None, "2026-04-15T08:00", None),  # h4: no deadline
    # h5: Fri 3 Apr 17:00, Mon 6 Apr (7.5 h), Tue 7 Apr 07:30-08:30 (1 h): 8.5 h.
    (5, "soan_thao", "cuong", "BTC", "2026-04-01T08:00", "2026-04-03T17:00", "2026-04-07T08:30", 30_600),
    (5, "soan_thao", "cuong", "BTC", "2026-04-07T09:00", "2026-04-10T17:00", "2026-04-09T10:00", 0),  # h6
    (3, "tiep_nhan", "vanthu", "VP", "2026-04-01T08:00", "2026-04-01T17:00", "2026-04-01T10:00", 0),  # h7
    # h8: 00:30 on 1 April in Hanoi is still 31 March in UTC: it belongs to April.
    (1, "xu_ly", "an", "PTH", "2026-03-31T22:30", "2026-04-02T08:00", "2026-04-01T00:30", 0),
    # h9: 23:30 on 31 March in Hanoi is March; due 16:00, so 16:00-17:00 is late: 1 h.
    (11, "xu_ly", "an", "PTH", "2026-03-30T08:00", "2026-03-31T16:00", "2026-03-31T23:30", 3_600),
]

# Open tasks: id -> (case, element, assignee, groups, created, due).
OPEN = {
    "o1": (7, "xu_ly", "an", ["chuyen_vien"], "2026-04-28T08:00", "2026-04-29T16:00"),
    "o2": (8, "duyet", "binh", ["chuyen_vien"], "2026-04-27T08:00", "2026-04-28T10:00"),
    "o3": (9, "soan_thao", "cuong", ["chuyen_vien"], "2026-05-04T08:00", "2026-05-04T15:00"),
    "o4": (10, "tiep_nhan", None, ["chuyen_vien"], "2026-04-23T08:00", "2026-04-24T17:00"),
    "o5": (7, "xu_ly", "an", [], "2026-04-29T08:00", "2026-05-06T09:00"),
    "o6": (10, "tiep_nhan", "vanthu", [], "2026-04-23T08:00", None),
}


def at(text: str | None) -> datetime | None:
    """An aware UTC moment from local ISO text (+07:00 unless an offset is given)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text if "+" in text[10:] else text + "+07:00")
    return moment.astimezone(UTC)


@pytest.fixture
def agency(services: Services, clock: VirtualClock) -> Services:
    """The organisation, the cases, their history and open tasks, with the clock at NOW."""
    services.org.import_structure(ORG)
    with services.db.transaction() as conn:
        _seed(conn)
    clock.set(at(NOW))  # type: ignore[arg-type]
    return services


def _seed(conn: Any) -> None:
    stamp = at("2026-01-01T08:00")
    conn.execute(insert(DeployedFile), [{"id": 1, "name": "seed.bpmn", "kind": "bpmn", "content_hash": "x",
                                         "content": "<seed/>", "deployed_at": stamp}])
    names = {"p_den": ("Văn bản đến", {"xu_ly": {"name": "Xử lý"}, "duyet": {"name": "Duyệt"},
                                       "tiep_nhan": {"name": "Tiếp nhận"}}),
             "p_di": ("Văn bản đi", {"soan_thao": {"name": "Soạn thảo"}})}
    conn.execute(insert(ProcessVersion), [
        {"id": n, "process_id": pid, "version": 1, "name": name, "content_hash": pid, "file_id": 1, "spec_json": "{}",
         "tasks_meta": meta, "documentation": "", "deployed_at": stamp, "deployed_by": None}
        for n, (pid, (name, meta)) in enumerate(names.items(), start=1)])
    conn.execute(insert(Instance), [_case(n, *values) for n, values in CASES.items()])
    conn.execute(insert(HistoryEvent), [_completion(*row) for row in COMPLETED])
    conn.execute(insert(HistoryEvent), [
        {"instance_id": n, "at": at(ended), "kind": "instance_completed", "actor": starter}
        for n, (_, _, starter, _, ended) in CASES.items() if ended])
    conn.execute(insert(InboxTask), [
        {"id": task_id, "instance_id": case, "process_id": CASES[case][0], "element_id": element,
         "name": element.replace("_", " "), "lane": None, "form_key": None, "assignee": assignee,
         "created_at": at(created), "due_at": at(due), "group_codes": groups}
        for task_id, (case, element, assignee, groups, created, due) in OPEN.items()])


def _case(n: int, process_id: str, unit: str, starter: str, started: str, ended: str | None) -> dict[str, Any]:
    return {"id": n, "process_version_id": 1 if process_id == "p_den" else 2, "process_id": process_id,
            "business_key": f"HS-{n}", "summary": f"Hồ sơ {n}", "status": "completed" if ended else "running",
            "started_by": starter, "started_at": at(started), "updated_at": at(ended or started),
            "ended_at": at(ended), "lock_version": 1, "completed_tasks": 0, "state": "{}", "unit_code": unit}


def _completion(case: int, element: str, actor: str, unit: str, created: str, due: str | None, done: str,
                late: int | None) -> dict[str, Any]:
    return {"instance_id": case, "at": at(done), "kind": "task_completed", "element_id": element, "actor": actor,
            "process_id": CASES[case][0], "unit_code": unit, "task_created_at": at(created), "due_at": at(due),
            "late_seconds": late}


def by_key(rows: list[Any]) -> dict[str, Any]:
    return {row.key: row for row in rows}


# -- scope ---------------------------------------------------------------------------------------------------

def test_scope_rules(agency: Services) -> None:
    scope = agency.analytics.scope_for
    assert scope("bithu").everything  # head of the top-level unit
    assert scope("phobithu").everything  # leaders' group, in the top-level unit
    assert scope("chanhvp").units == {"VP", "PTH"}  # head: own unit and below, not the sibling BTC
    assert scope("truongban").units == {"BTC"}
    assert scope("truongphong").units == {"PTH"}
    assert scope("an").person == "an" and not scope("an").is_manager
    with pytest.raises(NotFound):
        scope("nobody")


# -- deadlines now ---------------------------------------------------------------------------------------------

def test_deadlines_now_for_the_agency_leader(agency: Services) -> None:
    seen = agency.analytics.deadlines_now("bithu")
    assert seen.soon_until == at("2026-05-05T10:00")  # one working day ahead
    assert (seen.overdue, seen.due_soon) == (3, 1)
    # Lateness in working time at Mon 4 May 10:00 (2.5 h into the day):
    # o4, due Fri 24 Apr 17:00: 27 Apr off, Tue 28 and Wed 29 (15 h), 30 Apr-3 May off, 2.5 h: 17.5 h.
    # o2, due Tue 28 Apr 10:00: 5 h that day, Wed 29 (7.5 h), 2.5 h: 15 h = 2 working days.
    # o1, due Wed 29 Apr 16:00: 1 h, then 2.5 h: 3.5 h.
    assert [(t.task_id, t.late_seconds) for t in seen.tasks] == [
        ("o4", 63_000), ("o2", 54_000), ("o1", 12_600), ("o3", 0)]
    assert seen.tasks[1].late_days == 2.0
    assert seen.tasks[3].remaining_seconds == 10_800  # 10:00-11:30 and 13:30-15:00
    units = by_key(seen.units)
    assert (units["PTH"].overdue, units["PTH"].due_soon, units["PTH"].max_late_seconds) == (2, 0, 54_000)
    assert (units["VP"].overdue, units["VP"].max_late_days) == (1, pytest.approx(63_000 / DAY))
    assert (units["BTC"].overdue, units["BTC"].due_soon) == (0, 1)
    assert [u.key for u in seen.units] == ["VP", "PTH", "BTC"]  # most overdue first
    people = by_key(seen.people)
    assert sorted(people) == ["an", "binh", "cuong"]  # the unassigned o4 counts for VP only
    assert (people["an"].overdue, people["an"].max_late_seconds, people["an"].name) == (1, 12_600, "Nguyễn An")
    assert [(c.instance_id, c.overdue_tasks, c.due_soon_tasks) for c in seen.cases] == [
        (10, 1, 0), (8, 1, 0), (7, 1, 0), (9, 0, 1)]


def test_deadlines_now_respects_scope_and_drill_down(agency: Services) -> None:
    deadlines = agency.analytics.deadlines_now
    assert [t.task_id for t in deadlines("chanhvp").tasks] == ["o4", "o2", "o1"]  # not BTC's o3
    assert [t.task_id for t in deadlines("truongban").tasks] == ["o3"]
    assert [t.task_id for t in deadlines("an").tasks] == ["o1"]  # a specialist: their own
    assert [t.task_id for t in deadlines("chanhvp", unit="PTH").tasks] == ["o2", "o1"]
    assert [t.task_id for t in deadlines("bithu", person="binh").tasks] == ["o2"]
    with pytest.raises(PermissionDenied):
        deadlines("chanhvp", unit="BTC")


# -- on-time record -------------------------------------------------------------------------------------------

def test_on_time_record_for_a_month(agency: Services) -> None:
    record = agency.analytics.on_time_record("bithu", Period.month(2026, 4))
    people = by_key(record.people)
    an = people["an"]  # h1, h2 (1 day late), h8 (1 April 00:30 local); h9 is March's
    assert (an.completed, an.with_deadline, an.on_time, an.late) == (3, 3, 2, 1)
    assert an.on_time_rate == pytest.approx(2 / 3)
    assert (an.avg_late_days, an.max_late_days) == (1.0, 1.0)
    binh = people["binh"]  # only h4, without a deadline (h3 is in May)
    assert (binh.completed, binh.with_deadline, binh.on_time_rate, binh.avg_late_days) == (1, 0, None, None)
    cuong = people["cuong"]  # h5 8.5 h late, h6 on time
    assert (cuong.on_time_rate, cuong.avg_late_days) == (0.5, pytest.approx(30_600 / DAY))
    units = by_key(record.units)
    assert (units["PTH"].completed, units["PTH"].with_deadline, units["PTH"].on_time) == (4, 3, 2)
    assert units["VP"].on_time_rate == 1.0 and "TU" not in units
    totals = by_key(record.unit_totals)
    assert (totals["VP"].completed, totals["VP"].on_time_rate) == (5, 0.75)  # VP with PTH
    assert (totals["TU"].completed, totals["TU"].with_deadline, totals["TU"].on_time) == (7, 6, 4)
    assert totals["TU"].avg_late_days == pytest.approx((27_000 + 30_600) / 2 / DAY)
    assert record.total is not None and record.total.completed == 7


def test_on_time_record_of_a_period_with_edges_adds_history_to_the_rollup(agency: Services) -> None:
    # 31 March (edge, from history) + April (rollup) + 1-4 May (edge, from history).
    record = agency.analytics.on_time_record("bithu", Period(date(2026, 3, 31), date(2026, 5, 5)))
    people = by_key(record.people)
    assert (people["an"].completed, people["an"].late) == (4, 2)  # + h9
    assert people["an"].avg_late_days == pytest.approx((27_000 + 3_600) / 2 / DAY)
    assert (people["binh"].completed, people["binh"].late, people["binh"].on_time_rate) == (2, 1, 0.0)  # + h3
    assert people["binh"].avg_late_days == pytest.approx(12_600 / DAY)
    only_march = agency.analytics.on_time_record("bithu", Period(date(2026, 3, 31), date(2026, 4, 1)))
    assert [(p.key, p.late) for p in only_march.people] == [("an", 1)]


def test_on_time_record_respects_scope(agency: Services) -> None:
    april = Period.month(2026, 4)
    head = agency.analytics.on_time_record("chanhvp", april)
    assert sorted(by_key(head.people)) == ["an", "binh", "vanthu"]
    assert sorted(by_key(head.units)) == ["PTH", "VP"]
    assert sorted(by_key(agency.analytics.on_time_record("truongban", april).people)) == ["cuong"]
    assert [p.key for p in agency.analytics.on_time_record("an", april).people] == ["an"]
    rates = {r.key: r.on_time_rate for r in agency.analytics.on_time_rate_by_unit("bithu", april)}
    assert rates == {"BTC": 0.5, "PTH": pytest.approx(2 / 3), "VP": 1.0}
    with pytest.raises(PermissionDenied):
        agency.analytics.on_time_rate_by_unit("an", april)


# -- procedures -----------------------------------------------------------------------------------------------

def test_procedure_figures(agency: Services) -> None:
    rows = {r.process_id: r for r in agency.analytics.procedure_figures("bithu", Period.month(2026, 4))}
    den = rows["p_den"]  # cases 1 (48 h, on time), 2 (78 h, late), 3 (4 h, on time), 4 (120 h, no deadline)
    assert (den.name, den.cases, den.with_deadline, den.within_deadline) == ("Văn bản đến", 4, 3, 2)
    assert den.within_deadline_share == pytest.approx(2 / 3)
    # Sorted 4, 48, 78, 120 h: median (48 + 78) / 2 = 63 h; p90 at rank 2.7: 78 + 0.7 * 42 = 107.4 h.
    assert den.median_cycle_days == pytest.approx(63 / 24)
    assert den.p90_cycle_days == pytest.approx(107.4 / 24)
    assert den.mean_cycle_days == pytest.approx(250 / 4 / 24)
    di = rows["p_di"]
    assert (di.cases, di.within_deadline_share, di.median_cycle_days) == (1, 0.0, pytest.approx(196 / 24))
    head = agency.analytics.procedure_figures("chanhvp", Period.month(2026, 4))
    assert [(r.process_id, r.cases) for r in head] == [("p_den", 4)]
    assert [r.process_id for r in agency.analytics.procedure_figures("truongban", Period.month(2026, 4))] == ["p_di"]
    with pytest.raises(PermissionDenied):
        agency.analytics.procedure_figures("an", Period.month(2026, 4))


def test_cycle_times_are_counted_in_buckets(agency: Services) -> None:
    may = {r.process_id: r for r in agency.analytics.procedure_figures("bithu", Period.month(2026, 5))}
    # Case 6 took 291 h: above 10 days cycle times count in 6-hour steps, so 288 h; the mean stays exact.
    assert may["p_den"].median_cycle_days == 12.0
    assert may["p_den"].mean_cycle_days == pytest.approx(291 / 24)
    # The same case read from the history (a period that is not whole months) gives the same figures.
    edge = {r.process_id: r for r in agency.analytics.procedure_figures("bithu", Period(date(2026, 5, 1),
                                                                                        date(2026, 5, 5)))}
    assert (edge["p_den"].median_cycle_days, edge["p_den"].within_deadline_share) == (12.0, 0.0)


# -- bottlenecks ---------------------------------------------------------------------------------------------

def test_bottlenecks(agency: Services) -> None:
    found = agency.analytics.bottlenecks("bithu", "p_den", Period.month(2026, 4))
    steps = {s.element_id: s for s in found.steps}
    assert [s.element_id for s in found.steps] == ["xu_ly", "duyet", "tiep_nhan"]  # slowest median first
    xu_ly = steps["xu_ly"]  # waits 26 h (h1), 72 h (h2), 2 h (h8)
    assert (xu_ly.name, xu_ly.completed, xu_ly.median_wait_hours) == ("Xử lý", 3, 26.0)
    assert xu_ly.mean_wait_hours == pytest.approx(100 / 3)
    assert (xu_ly.late, xu_ly.late_share, xu_ly.open_now, xu_ly.open_overdue) == (1, pytest.approx(1 / 3), 2, 1)
    assert (steps["duyet"].median_wait_hours, steps["duyet"].late_share, steps["duyet"].open_overdue) == (
        24.0, None, 1)
    assert (steps["tiep_nhan"].late_share, steps["tiep_nhan"].open_now, steps["tiep_nhan"].open_overdue) == (
        0.0, 2, 1)
    assert agency.analytics.bottlenecks("truongban", "p_den", Period.month(2026, 4)).steps == []
    with pytest.raises(PermissionDenied):
        agency.analytics.bottlenecks("an", "p_den", Period.month(2026, 4))


# -- overdue trend --------------------------------------------------------------------------------------------

def test_overdue_trend(agency: Services) -> None:
    trend = agency.analytics.overdue_trend("bithu", weeks=3)
    assert [p.week_start for p in trend] == [date(2026, 4, 13), date(2026, 4, 20), date(2026, 4, 27)]
    assert trend[-1].ended_at == at("2026-05-04T00:00")
    # End of 19 Apr: nothing overdue. End of 26 Apr: o4 (due 24 Apr). End of 3 May: o4, o2, o1 still open,
    # and h3 (due 29 Apr, completed 4 May); h2 was completed late but before the week ended.
    assert [p.overdue for p in trend] == [0, 1, 4]
    assert [p.overdue for p in agency.analytics.overdue_trend("chanhvp", weeks=3)] == [0, 1, 4]
    assert [p.overdue for p in agency.analytics.overdue_trend("truongban", weeks=3)] == [0, 0, 0]
    assert [p.overdue for p in agency.analytics.overdue_trend("binh", weeks=3)] == [0, 0, 2]  # h3 and o2


def test_the_dashboard_gathers_everything(agency: Services) -> None:
    board = agency.analytics.dashboard("bithu", weeks=3)
    assert board.period == Period.year(2026)
    assert (board.deadlines.overdue, board.record.total.completed if board.record.total else 0) == (3, 9)
    assert {r.process_id: r.cases for r in board.procedures} == {"p_den": 5, "p_di": 1}
    assert [p.overdue for p in board.trend] == [0, 1, 4]
    with pytest.raises(PermissionDenied):
        agency.analytics.dashboard("an")


# -- actions --------------------------------------------------------------------------------------------------

def test_remind_notifies_whoever_may_work_and_is_recorded(agency: Services) -> None:
    assert agency.analytics.remind("bithu", "o1") == ["an"]
    assert sorted(agency.analytics.remind("chanhvp", "o4")) == ["an", "binh", "cuong"]  # its candidates
    with agency.db.read() as session:
        told = session.execute(select(Notification.username, Notification.kind)).all()
        history = session.execute(select(HistoryEvent.actor, HistoryEvent.data).where(
            HistoryEvent.kind == "reminded", HistoryEvent.task_id == "o1")).all()
    assert ("an", "reminder") in told
    assert history == [("bithu", {"to": ["an"]})]
    with pytest.raises(PermissionDenied):
        agency.analytics.remind("chanhvp", "o3")  # BTC's task
    with pytest.raises(PermissionDenied):
        agency.analytics.remind("an", "o1")  # not a manager
    with pytest.raises(NotFound):
        agency.analytics.remind("bithu", "missing")


def test_reassign_within_the_managers_units(agency: Services) -> None:
    agency.analytics.reassign("chanhvp", "o2", "an")
    with agency.db.read() as session:
        assert session.get(InboxTask, "o2").assignee == "an"  # type: ignore[union-attr]
        recorded = session.execute(select(HistoryEvent.data).where(HistoryEvent.kind == "task_reassigned")).scalar()
    assert recorded == {"from": "binh", "to": "an"}
    with pytest.raises(PermissionDenied):
        agency.analytics.reassign("chanhvp", "o2", "cuong")  # BTC is not chanhvp's
    with pytest.raises(PermissionDenied):
        agency.analytics.reassign("truongban", "o2", "cuong")


# -- yearly evaluation ----------------------------------------------------------------------------------------

def test_evaluation_proposes_from_the_default_thresholds(agency: Services) -> None:
    rows = {r.username: r for r in agency.analytics.evaluation("bithu", 2026)}
    an = rows["an"]  # h1, h8 on time; h2, h9 late; o1 open and overdue (3.5 h) counts as late
    assert (an.completed, an.with_deadline, an.on_time, an.open_overdue, an.considered) == (4, 4, 2, 1, 5)
    assert (an.on_time_rate, an.max_late_days, an.proposed) == (0.4, 1.0, "not_complete")
    binh = rows["binh"]  # h3 late, h4 without deadline, o2 open 2 working days late
    assert (binh.considered, binh.on_time_rate, binh.max_late_days) == (2, 0.0, 2.0)
    assert rows["cuong"].on_time_rate == 0.5  # o3 is not yet due
    assert (rows["vanthu"].on_time_rate, rows["vanthu"].proposed) == (1.0, "excellent")
    assert rows["vanthu"].proposed_name == "Hoàn thành xuất sắc nhiệm vụ"
    assert rows["chanhvp"].proposed is None  # no task with a deadline: nothing to propose
    assert sorted(r.username for r in agency.analytics.evaluation("chanhvp", 2026)) == [
        "an", "binh", "chanhvp", "truongphong", "vanthu"]
    assert [r.username for r in agency.analytics.evaluation("an", 2026)] == ["an"]


def test_thresholds_are_the_agencys_own(agency: Services) -> None:
    custom = {"levels": [{"code": "excellent", "min_on_time_rate": 0.9, "max_late_days": 0},
                         {"code": "good", "min_on_time_rate": 0.5, "max_late_days": 1.5},
                         {"code": "complete", "min_on_time_rate": 0.3}]}
    with pytest.raises(PermissionDenied):
        agency.analytics.set_thresholds("chanhvp", custom)
    agency.analytics.set_thresholds("bithu", custom)
    proposed = {r.username: r.proposed for r in agency.analytics.evaluation("bithu", 2026)}
    assert (proposed["an"], proposed["cuong"], proposed["binh"], proposed["vanthu"]) == (
        "complete", "good", "not_complete", "excellent")
    with pytest.raises(InvalidInput) as caught:
        agency.analytics.set_thresholds("bithu", {"levels": [{"code": "great", "min_on_time_rate": 2}]})
    assert set(caught.value.fields) == {"levels.0.code", "levels.0.min_on_time_rate"}


def test_confirming_and_overriding_a_classification(agency: Services) -> None:
    confirmed = agency.analytics.confirm("chanhvp", 2026, "an", "not_complete")
    assert (confirmed.final, confirmed.reason, confirmed.confirmed_by) == ("not_complete", None, "chanhvp")
    with pytest.raises(InvalidInput):
        agency.analytics.confirm("chanhvp", 2026, "binh", "complete")  # an override needs a reason
    changed = agency.analytics.confirm("chanhvp", 2026, "binh", "complete", "Nghỉ ốm dài ngày")
    assert (changed.proposed, changed.final, changed.reason) == ("not_complete", "complete", "Nghỉ ốm dài ngày")
    again = agency.analytics.confirm("bithu", 2026, "binh", "not_complete")  # a later decision replaces it
    assert (again.final, again.confirmed_by) == ("not_complete", "bithu")
    for viewer, person in (("chanhvp", "cuong"), ("an", "binh"), ("chanhvp", "chanhvp")):
        with pytest.raises(PermissionDenied):
            agency.analytics.confirm(viewer, 2026, person, "good", "x")
    with pytest.raises(InvalidInput):
        agency.analytics.confirm("bithu", 2026, "an", "great", "x")


def test_evaluation_report(agency: Services) -> None:
    agency.analytics.confirm("bithu", 2026, "vanthu", "excellent")
    book = load_workbook(io.BytesIO(agency.analytics.evaluation_report_xlsx("chanhvp", 2026)))
    assert book.sheetnames == ["Đánh giá 2026", "Ngưỡng"]
    rows = list(book["Đánh giá 2026"].values)
    assert rows[0][:3] == ("Tài khoản", "Họ và tên", "Đơn vị")
    vanthu = next(r for r in rows if r[0] == "vanthu")
    assert vanthu[8] == 1.0 and vanthu[11] == "Hoàn thành xuất sắc nhiệm vụ" and vanthu[13] == "bithu"


# -- exports --------------------------------------------------------------------------------------------------

def test_csv_and_xlsx_exports(agency: Services) -> None:
    record = agency.analytics.on_time_record("bithu", Period.month(2026, 4))
    data = to_csv(as_rows(record.people), columns("record"))
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Mã,Tên,Đơn vị,Đã hoàn thành")
    assert lines[1].startswith("an,Nguyễn An,PTH,3,3,2,1,0.666")
    tasks = agency.analytics.deadlines_now("bithu").tasks
    assert "2026-04-24T17:00:00+07:00" in to_csv(as_rows(tasks), columns("deadline_tasks", "en")).decode("utf-8-sig")
    book = load_workbook(io.BytesIO(to_xlsx([Sheet("Tasks", columns("deadline_tasks"), as_rows(tasks))])))
    first = list(book["Tasks"].values)[1]
    assert first[0] == "o4" and first[7] == datetime(2026, 4, 24, 17, 0)  # local time in the sheet


# -- the rollups ----------------------------------------------------------------------------------------------

def _rollups(services: Services) -> tuple[list[Any], list[Any]]:
    with services.db.read() as session:
        tasks = sorted(tuple(r) for r in session.execute(select(*table_of(TaskMonthFigure).c)))
        cases = sorted(tuple(r) for r in session.execute(select(*table_of(CaseMonthFigure).c)))
    return tasks, cases


def test_rebuilding_the_rollups_gives_what_the_triggers_kept(agency: Services) -> None:
    kept = _rollups(agency)
    assert len(kept[0]) == 6 and len(kept[1]) == 12  # both triggers are in place
    assert agency.analytics.rebuild_figures(follow_calendar=True)["utc_offset_minutes"] == 420
    assert _rollups(agency) == kept


def test_completions_through_the_engine_update_the_figures(services: Services, clock: VirtualClock) -> None:
    from engine.deployment.service import collect_sources

    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "deadlines.bpmn"]))
    case = services.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")  # Wed 29 Apr 09:00
    task = services.queries.tasks(instance_id=case)[0]  # due Tue 5 May 09:00
    with services.db.read() as session:  # unassigned: it counts for its case's unit, copied by a trigger
        assert session.get_one(InboxTask, task.id).case_unit_code == "VP"
    clock.set(at("2026-05-06T10:00"))  # + Tue 09:00-17:00 (6 h) and Wed 07:30-10:00 (2.5 h): 8.5 h late
    services.runtime.complete_task(task.id, user="chuyenvien")
    may = Period.month(2026, 5)
    person = by_key(services.analytics.on_time_record("bithu", may).people)["chuyenvien"]
    assert (person.completed, person.late, person.avg_late_days) == (1, 1, pytest.approx(30_600 / DAY))
    (procedure,) = services.analytics.procedure_figures("bithu", may)
    assert (procedure.cases, procedure.within_deadline_share) == (1, 0.0)
    assert procedure.median_cycle_days == pytest.approx(169 / 24)  # 7 days and 1 hour


# -- the pieces -----------------------------------------------------------------------------------------------

def test_the_timeline_agrees_with_the_calendar() -> None:
    calendar = default_calendar()
    timeline = WorkingTimeline(calendar)
    rng = random.Random(7)
    start = at("2025-12-20T00:00")
    assert start is not None
    for _ in range(400):
        a = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 500))
        b = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 500))
        assert timeline.between(a, b) == calendar.working_time_between(a, b)
    saturday_worked = WorkingCalendar(extra_workdays=[date(2026, 1, 10)], holidays=[date(2026, 1, 9)])
    line = WorkingTimeline(saturday_worked)
    a, b = at("2026-01-08T16:00"), at("2026-01-12T08:30")
    assert a is not None and b is not None
    assert line.between(a, b) == saturday_worked.working_time_between(a, b) == timedelta(hours=9.5)


def test_percentiles_and_buckets() -> None:
    assert percentile([(10, 1), (20, 1), (30, 1), (40, 1)], 0.5) == 25
    assert percentile([(30, 1), (10, 3)], 0.9) == pytest.approx(24)  # 10, 10, 10, 30: rank 2.7
    assert percentile([], 0.5) is None
    assert [cycle_bucket(s) for s in (899, 900, 86_399, 86_400 + 3_599, 864_000 + 21_599, 9_000_000)] == [
        0, 900, 85_500, 86_400, 864_000, 8_985_600]

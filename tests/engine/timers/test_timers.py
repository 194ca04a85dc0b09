"""Timers in SQL: BPMN timers, reminders, escalations and reassignment, fired exactly once, on virtual time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.persistence.models import Notification, Timer
from engine.services import Services
from tests.conftest import FIXTURES, T0

WED_0900 = T0  # 2026-04-29 09:00 +07:00


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def agency(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / n for n in
                                                ("deadlines.bpmn", "timers.bpmn", "cycle.bpmn")]))
    return services


def timers_of(services: Services, instance_id: int) -> dict[tuple[str, str], Timer]:
    with services.db.read() as session:
        rows = session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)).all()
        session.expunge_all()  # plain objects for the assertions, after the read session ends
        return {(r.kind.value, r.status.value): r for r in rows}


def notifications(services: Services) -> list[tuple[str, str]]:
    with services.db.read() as session:
        return [(n.username, n.kind) for n in session.scalars(select(Notification).order_by(Notification.id))]


def history_kinds(services: Services, instance_id: int) -> list[str]:
    return [h.kind for h in services.queries.history(instance_id)]


def test_a_deadline_in_working_days_skips_the_holidays_and_plans_its_timers(agency: Services) -> None:
    instance_id = agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    task = agency.queries.tasks(instance_id=instance_id)[0]
    # 2 working days from Wednesday 29 April 09:00: 30 April and 1 May are holidays, then a weekend.
    assert task.due_at == at("2026-05-05T09:00:00+07:00")
    planned = timers_of(agency, instance_id)
    assert planned[("escalation", "pending")].due_at == at("2026-05-05T09:00:00+07:00")
    # 2 working hours before 09:00 Tuesday: 1.5 h that morning, 0.5 h before Monday's 17:00 close.
    assert planned[("reminder", "pending")].due_at == at("2026-05-04T16:30:00+07:00")
    assert planned[("reassign", "pending")].due_at == at("2026-05-06T09:00:00+07:00")


def test_urgent_documents_get_hours_not_days(agency: Services) -> None:
    instance_id = agency.runtime.start("deadlines", data={"urgency": "hoa_toc"}, user="vanthu")
    assert agency.queries.tasks(instance_id=instance_id)[0].due_at == at("2026-04-29T15:00:00+07:00")
    assert timers_of(agency, instance_id)[("reminder", "pending")].due_at == at("2026-04-29T11:00:00+07:00")


def test_reminder_escalation_and_reassignment_happen_by_themselves(agency: Services, clock: VirtualClock) -> None:
    instance_id = agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    clock.set(at("2026-05-04T16:30:00+07:00"))
    assert agency.timers.fire_due() == 1
    assert sorted(notifications(agency)) == [("chuyenvien", "reminder"), ("truongphong", "reminder")]
    clock.set(at("2026-05-05T09:00:00+07:00"))
    assert agency.timers.fire_due() == 1
    # Nobody took it: it is the specialists' group's work, whose unit is PTH, so PTH's head is told (not the head
    # of the starter's unit VP).
    assert notifications(agency)[-1] == ("truongphong", "escalation")
    clock.set(at("2026-05-06T09:00:00+07:00"))
    assert agency.timers.fire_due() == 1
    task = agency.queries.tasks(instance_id=instance_id)[0]
    assert task.assignee == "truongphong"
    assert [t.id for t in agency.queries.tasks(user="truongphong")] == [task.id]
    assert notifications(agency)[-1] == ("truongphong", "reassigned")
    kinds = history_kinds(agency, instance_id)
    assert kinds.index("reminder_sent") < kinds.index("escalated") < kinds.index("reassigned")
    assert agency.timers.fire_due() == 0


def test_completing_the_task_cancels_its_reminders(agency: Services, clock: VirtualClock) -> None:
    instance_id = agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    task = agency.queries.tasks(instance_id=instance_id)[0]
    agency.runtime.complete_task(task.id, user="chuyenvien")
    clock.set(at("2026-05-07T09:00:00+07:00"))
    assert agency.timers.fire_due() == 0
    assert {status for _, status in timers_of(agency, instance_id)} == {"cancelled"}
    assert notifications(agency) == []


def test_a_bpmn_timer_is_a_row_and_fires_exactly_once(agency: Services, clock: VirtualClock) -> None:
    instance_id = agency.runtime.start("timed")
    row = timers_of(agency, instance_id)[("bpmn", "pending")]
    assert (row.element_id, row.due_at) == ("late", WED_0900 + timedelta(hours=1))
    assert agency.timers.fire(row.id) == "early"
    clock.advance(timedelta(hours=1))
    assert agency.timers.fire(row.id) == "fired"
    assert agency.timers.fire(row.id) == "skipped"  # a second worker, a retried job
    assert history_kinds(agency, instance_id).count("element_completed") == 2  # start, late
    assert [t.element_id for t in agency.queries.tasks(instance_id=instance_id)] == ["escalated"]
    assert timers_of(agency, instance_id)[("bpmn", "fired")].fired_at == clock.now()


def test_a_timer_that_is_no_longer_waited_for_is_cancelled(agency: Services, clock: VirtualClock) -> None:
    instance_id = agency.runtime.start("timed")
    task = agency.queries.tasks(instance_id=instance_id)[0]
    agency.runtime.complete_task(task.id, user="chuyenvien")  # the boundary timer goes; "wait a day" comes
    rows = timers_of(agency, instance_id)
    assert rows[("bpmn", "cancelled")].element_id == "late"
    assert rows[("bpmn", "pending")].element_id == "wait_day"
    clock.advance(timedelta(days=1, seconds=1))
    assert agency.timers.fire_due() == 1
    assert agency.queries.instance(instance_id).status == "completed"


def test_a_cycle_timer_fires_once_per_cycle(agency: Services, clock: VirtualClock) -> None:
    instance_id = agency.runtime.start("weekly_reports")
    for week in range(1, 5):
        clock.advance(timedelta(days=7, seconds=1))
        agency.timers.fire_due()
        reports = [h for h in agency.queries.history(instance_id) if h.element_id == "count_report"]
        assert len(reports) == min(week, 3)
    assert agency.timers.due(until=clock.now() + timedelta(days=365)) == []


def test_suspended_cases_keep_their_timers_until_resumed(agency: Services, clock: VirtualClock) -> None:
    instance_id = agency.runtime.start("timed")
    agency.runtime.suspend(instance_id)
    clock.advance(timedelta(hours=2))
    assert agency.timers.fire_due() == 0
    assert ("bpmn", "pending") in timers_of(agency, instance_id)
    agency.runtime.resume(instance_id)
    assert ("bpmn", "fired") in timers_of(agency, instance_id)
    assert [t.element_id for t in agency.queries.tasks(instance_id=instance_id)] == ["escalated"]


def test_terminating_a_case_cancels_every_timer(agency: Services) -> None:
    instance_id = agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    agency.runtime.terminate(instance_id)
    assert {status for _, status in timers_of(agency, instance_id)} == {"cancelled"}


def test_a_completion_records_its_lateness_in_working_time(agency: Services, clock: VirtualClock) -> None:
    from engine.persistence.models import HistoryEvent

    instance_id = agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    task = agency.queries.tasks(instance_id=instance_id)[0]
    clock.set(at("2026-05-05T14:30:00+07:00"))  # due 09:00: 2.5 h morning + 1 h afternoon of office time late
    agency.runtime.complete_task(task.id, user="chuyenvien")
    with agency.db.read() as session:
        row = session.scalars(select(HistoryEvent).where(HistoryEvent.kind == "task_completed")).one()
        assert (row.process_id, row.unit_code, row.late_seconds) == ("deadlines", "PTH", int(3.5 * 3600))
        assert (row.task_created_at, row.due_at) == (WED_0900, at("2026-05-05T09:00:00+07:00"))


def test_a_timer_racing_a_message_at_an_event_based_gateway_fires(services: Services, clock: VirtualClock) -> None:
    services.deployment.deploy(collect_sources([FIXTURES / "event_gateway.bpmn"]))
    late = services.runtime.start("await_receipt")
    on_time = services.runtime.start("await_receipt")
    assert {r.due_at for r in timers_of(services, late).values()} == {WED_0900 + timedelta(hours=2)}
    services.runtime.send_message("bao_nhan", instance_id=on_time)
    assert ("bpmn", "pending") not in timers_of(services, on_time)  # the gateway moved on: no timer is left
    clock.advance(timedelta(hours=2, seconds=1))
    assert services.timers.fire_due() == 1
    trace = [h.element_id for h in services.queries.history(late) if h.kind == "element_completed"]
    assert trace[-1] == "not_received"
    assert services.queries.instance(on_time).status == "completed"


def test_a_task_can_go_to_the_head_of_a_unit_chosen_in_the_data(agency: Services, tmp_path) -> None:
    routed = tmp_path / "routed.bpmn"
    routed.write_text((FIXTURES / "deadlines.bpmn").read_text()
                      .replace('id="deadlines"', 'id="routed"')
                      .replace('procflow:candidateGroups="chuyen_vien"', 'procflow:assignee="head:${don_vi_chu_tri}"')
                      .replace('procflow:reminder="working:PT2H"',
                               'procflow:reminder="\'working:PT1H\' if urgency == \'hoa_toc\' else \'working:P1D\'"'))
    agency.deployment.deploy(collect_sources([routed]))
    instance_id = agency.runtime.start("routed", data={"urgency": "hoa_toc", "don_vi_chu_tri": "PTH"}, user="vanthu")
    task = agency.queries.tasks(instance_id=instance_id)[0]
    assert task.assignee == "truongphong"
    assert agency.queries.instance(instance_id).data["initiator"] == "vanthu"
    # hỏa tốc: due 15:00 the same day, reminded one working hour before
    assert timers_of(agency, instance_id)[("reminder", "pending")].due_at == at("2026-04-29T14:00:00+07:00")


def test_a_repeating_timer_opens_a_report_task_every_week(services: Services, clock: VirtualClock) -> None:
    services.deployment.deploy(collect_sources([FIXTURES / "weekly_report.bpmn"]))
    instance_id = services.runtime.start("weekly_report")
    for week in (1, 2, 3):
        clock.advance(timedelta(days=7, seconds=1))
        assert services.timers.fire_due() == 1
        reports = [t for t in services.queries.tasks(instance_id=instance_id) if t.element_id == "report"]
        assert len(reports) == week, week
    assert ("bpmn", "pending") in timers_of(services, instance_id)  # the next week is planned

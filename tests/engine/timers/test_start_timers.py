"""Timer start events start new cases by themselves: scheduled at deployment, fired exactly once, on virtual time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from cli.main import main
from engine.bpmn.validation import SourceFile
from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.persistence.models import Timer, TimerKind, TimerStatus
from engine.services import Services
from engine.settings import Settings
from tests.conftest import FIXTURES, T0

MODEL = FIXTURES / "bao_cao_tuan.bpmn"
CYCLE = '<bpmn:timeCycle>"R3/2026-05-04T08:00:00+07:00/P7D"</bpmn:timeCycle>'
MONDAYS = [datetime(2026, 5, day, 1, 0, tzinfo=UTC) for day in (4, 11, 18)]  # 08:00 +07:00


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def edited(*replacements: tuple[str, str]) -> SourceFile:
    """The weekly report model (same file name) with each ``(old, new)`` text replaced."""
    text = MODEL.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return SourceFile(str(MODEL), text.encode())


def variant(timer: str) -> SourceFile:
    """The weekly report model with another timer definition."""
    return edited((CYCLE, timer))


def start_rows(services: Services, status: TimerStatus | None = None) -> list[Timer]:
    with services.db.read() as session:
        query = select(Timer).where(Timer.kind == TimerKind.PROCESS_START).order_by(Timer.id)
        if status is not None:
            query = query.where(Timer.status == status)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def pending(services: Services) -> Timer:
    (row,) = start_rows(services, TimerStatus.PENDING)
    return row


def cases(services: Services) -> list[int]:
    """Ids of the weekly report's cases, oldest first."""
    return sorted(i.id for i in services.queries.instances(process_id="bao_cao_tuan"))


def open_elements(services: Services, instance_id: int) -> list[str]:
    return [t.element_id for t in services.queries.tasks(instance_id=instance_id)]


def fire_next(services: Services, clock: VirtualClock) -> Timer:
    """Move the clock to the pending start row's due moment and fire what is due; return the row fired."""
    row = pending(services)
    clock.set(row.due_at)
    assert services.timers.fire_due() == 1
    return row


@pytest.fixture
def agency(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([MODEL]))
    return services


def test_deploying_schedules_one_start_at_the_first_occurrence(agency: Services) -> None:
    row = pending(agency)
    assert row.due_at == at("2026-05-04T08:00:00+07:00")
    assert (row.instance_id, row.element_id, row.task_id) == (None, "moi_thu_hai", "1")
    assert row.process_version_id is not None
    assert len(start_rows(agency)) == 1
    assert cases(agency) == []


def test_nothing_starts_before_the_first_occurrence(agency: Services, clock: VirtualClock) -> None:
    row = pending(agency)
    clock.set(row.due_at - timedelta(seconds=1))
    assert agency.timers.fire_due() == 0
    assert agency.timers.fire(row.id) == "early"
    assert cases(agency) == []
    assert pending(agency).id == row.id


def test_at_the_due_moment_exactly_one_case_starts_with_its_task_open(agency: Services, clock: VirtualClock) -> None:
    row = pending(agency)
    clock.set(row.due_at)
    assert agency.timers.fire(row.id) == "fired"
    assert agency.timers.fire(row.id) == "skipped"  # a second worker, a retried job
    (case,) = cases(agency)
    view = agency.queries.instance(case)
    assert (view.status, view.started_by, view.version) == ("running", None, 1)
    started = view.history[0]
    assert (started.kind, started.actor) == ("instance_started", None)
    assert started.data == {"version": 1, "timer": "moi_thu_hai", "due_at": MONDAYS[0].isoformat()}
    assert open_elements(agency, case) == ["lap_bao_cao"]
    assert [t.instance_id for t in agency.queries.tasks(user="chuyenvien")] == [case]
    with agency.db.read() as session:  # the case's start event does not wait for its timer again
        assert session.scalars(select(Timer).where(Timer.instance_id == case)).all() == []


def test_the_started_case_runs_the_cycle_once_and_completes(agency: Services, clock: VirtualClock) -> None:
    fire_next(agency, clock)
    (case,) = cases(agency)
    clock.advance(timedelta(days=8))
    agency.runtime.fire_timers(case)  # the case itself has nothing left to fire
    assert open_elements(agency, case) == ["lap_bao_cao"]
    (task,) = agency.queries.tasks(instance_id=case)
    agency.runtime.complete_task(task.id, user="chuyenvien")
    assert agency.queries.instance(case).status == "completed"


def test_each_occurrence_starts_one_case_and_the_cycle_ends_after_three(agency: Services,
                                                                        clock: VirtualClock) -> None:
    for week, monday in enumerate(MONDAYS, start=1):
        fired = fire_next(agency, clock)
        assert (fired.due_at, fired.task_id) == (monday, str(week))
        assert len(cases(agency)) == week
        if week < 3:  # the next occurrence, a week later
            assert pending(agency).due_at == monday + timedelta(days=7)
    assert start_rows(agency, TimerStatus.PENDING) == []
    assert [r.status for r in start_rows(agency)] == [TimerStatus.FIRED] * 3
    clock.advance(timedelta(days=60))
    assert agency.timers.fire_due() == 0
    assert len(cases(agency)) == 3
    assert [open_elements(agency, case) for case in cases(agency)] == [["lap_bao_cao"]] * 3


def test_redeploying_the_same_file_does_not_reschedule(agency: Services, clock: VirtualClock) -> None:
    before = pending(agency)
    (result,) = agency.deployment.deploy(collect_sources([MODEL]))
    assert not result.created
    assert [(r.id, r.status) for r in start_rows(agency)] == [(before.id, TimerStatus.PENDING)]
    fire_next(agency, clock)
    agency.deployment.deploy(collect_sources([MODEL]))
    assert [(r.task_id, r.status) for r in start_rows(agency)] == [("1", TimerStatus.FIRED), ("2", TimerStatus.PENDING)]


def test_a_changed_version_takes_over_the_schedule(agency: Services, clock: VirtualClock) -> None:
    old = pending(agency)
    (result,) = agency.deployment.deploy([variant('<bpmn:timeCycle>"R2/2026-05-06T08:00:00+07:00/P7D"'
                                                  '</bpmn:timeCycle>')])
    assert (result.created, result.version) == (True, 2)
    new = pending(agency)
    assert new.id != old.id and new.process_version_id != old.process_version_id
    assert new.due_at == at("2026-05-06T08:00:00+07:00")
    assert [r.status for r in start_rows(agency) if r.id == old.id] == [TimerStatus.CANCELLED]
    fire_next(agency, clock)
    (case,) = cases(agency)
    assert agency.queries.instance(case).version == 2


def test_a_version_without_a_timer_start_stops_the_schedule(agency: Services) -> None:
    agency.deployment.deploy([edited((f'<bpmn:timerEventDefinition id="moi_thu_hai_def">{CYCLE}'
                                      '</bpmn:timerEventDefinition>', ""))])
    assert [r.status for r in start_rows(agency)] == [TimerStatus.CANCELLED]


def test_a_row_left_for_an_outdated_version_is_cancelled_not_started(agency: Services, clock: VirtualClock) -> None:
    old = pending(agency)
    agency.deployment.deploy([edited(('name="Báo cáo tuần"', 'name="Báo cáo tuần (mẫu mới)"'))])
    with agency.db.write() as session:  # as if a worker had inserted it while the deployment committed
        session.execute(update(Timer).where(Timer.id == old.id).values(status=TimerStatus.PENDING))
    clock.set(old.due_at)
    assert agency.timers.fire(old.id) == "skipped"
    assert [r.status for r in start_rows(agency) if r.id == old.id] == [TimerStatus.CANCELLED]
    assert agency.timers.fire_due() == 1  # the new version's own row
    (case,) = cases(agency)
    assert agency.queries.instance(case).version == 2


def test_a_date_already_past_schedules_nothing(services: Services) -> None:
    services.deployment.deploy([variant('<bpmn:timeDate>"2026-04-01T08:00:00+07:00"</bpmn:timeDate>')])
    assert start_rows(services) == []


def test_a_date_to_come_starts_one_case_then_nothing(services: Services, clock: VirtualClock) -> None:
    services.deployment.deploy([variant('<bpmn:timeDate>"2026-12-01T08:00:00+07:00"</bpmn:timeDate>')])
    assert fire_next(services, clock).due_at == at("2026-12-01T08:00:00+07:00")
    (case,) = cases(services)
    assert open_elements(services, case) == ["lap_bao_cao"]
    assert start_rows(services, TimerStatus.PENDING) == []


def test_a_duration_starts_one_case_that_long_after_deployment(services: Services, clock: VirtualClock) -> None:
    services.deployment.deploy([variant('<bpmn:timeDuration>"P1D"</bpmn:timeDuration>')])
    assert fire_next(services, clock).due_at == T0 + timedelta(days=1)
    (case,) = cases(services)
    assert open_elements(services, case) == ["lap_bao_cao"]
    assert start_rows(services, TimerStatus.PENDING) == []


def test_a_cycle_without_start_repeats_and_skips_occurrences_missed(services: Services, clock: VirtualClock) -> None:
    services.deployment.deploy([variant('<bpmn:timeCycle>"R/PT1H"</bpmn:timeCycle>')])
    assert fire_next(services, clock).due_at == T0 + timedelta(hours=1)
    assert pending(services).due_at == T0 + timedelta(hours=2)
    clock.set(T0 + timedelta(hours=5, minutes=30))  # the workers were down for three and a half hours
    assert services.timers.fire_due() == 1  # one late case, not four
    assert len(cases(services)) == 2
    assert (pending(services).due_at, pending(services).task_id) == (T0 + timedelta(hours=6), "6")


def test_a_case_whose_model_fails_is_kept_in_error_and_the_schedule_goes_on(services: Services,
                                                                            clock: VirtualClock) -> None:
    services.deployment.deploy([edited(
        ('<bpmn:userTask id="lap_bao_cao" name="Lập báo cáo tuần" procflow:candidateGroups="chuyen_vien">',
         '<bpmn:scriptTask id="lap_bao_cao" name="Tổng hợp số liệu">'),
        ("</bpmn:userTask>", "<bpmn:script>tong = 1 / 0</bpmn:script></bpmn:scriptTask>"))])
    fire_next(services, clock)
    (case,) = cases(services)
    view = services.queries.instance(case)
    assert (view.status, view.error_element) == ("error", "lap_bao_cao")
    assert "division by zero" in (view.error_message or "")
    assert pending(services).due_at == MONDAYS[1]


def test_a_hand_start_still_waits_for_the_timer_inside_the_case(agency: Services, clock: VirtualClock) -> None:
    case = agency.runtime.start("bao_cao_tuan", user="chuyenvien")
    assert open_elements(agency, case) == []
    with agency.db.read() as session:
        (waiting,) = session.scalars(select(Timer).where(Timer.instance_id == case)).all()
        session.expunge_all()
    assert (waiting.kind, waiting.element_id, waiting.due_at) == (TimerKind.BPMN, "moi_thu_hai", MONDAYS[0])
    assert pending(agency).due_at == MONDAYS[0]  # the schedule is the process's, apart from the case
    clock.set(MONDAYS[0])
    assert agency.timers.fire_due() == 2  # the hand-started case's own timer, and the schedule's new case
    hand, timed = cases(agency)
    assert hand == case
    assert open_elements(agency, hand) == ["lap_bao_cao"]
    assert open_elements(agency, timed) == ["lap_bao_cao"]


def test_procflow_timers_lists_the_schedule_beside_the_cases_timers(agency: Services, settings: Settings) -> None:
    case = agency.runtime.start("bao_cao_tuan")
    env = {"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(settings.home), "REDIS_URL": ""}
    result = CliRunner().invoke(main, ["timers"], env=env)
    assert result.exit_code == 0, (result.output, result.exc_info)
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert "process_start" in lines[0] and "bao_cao_tuan v1" in lines[0]
    assert "new case at moi_thu_hai (occurrence 1)" in lines[0]
    assert "2026-05-04T08:00+07:00" in lines[0]
    assert f"case #{case}  moi_thu_hai" in lines[1]
    json_out = CliRunner().invoke(main, ["timers", "--kind", "process_start", "--format", "json"], env=env)
    listed = json.loads(json_out.stdout)
    assert [(t["process_id"], t["version"], t["instance_id"]) for t in listed] == [("bao_cao_tuan", 1, None)]

"""A timer start event starts its cases by itself: real Redis, a real `procflow worker`, the wall clock."""

from __future__ import annotations

from sqlalchemy import select

from engine.bpmn.validation import SourceFile
from engine.persistence.models import Timer, TimerKind, TimerStatus
from engine.services import Services
from tests.conftest import FIXTURES
from tests.engine.queue.conftest import LATENESS, LOAD_MARGIN, wait_until

MODEL = FIXTURES / "bao_cao_tuan.bpmn"


def start_rows(services: Services) -> list[Timer]:
    with services.db.read() as session:
        rows = list(session.scalars(select(Timer).where(Timer.kind == TimerKind.PROCESS_START).order_by(Timer.id)))
        session.expunge_all()
        return rows


def test_a_worker_starts_a_case_at_each_occurrence(live: Services, workers) -> None:
    every_two_seconds = MODEL.read_text(encoding="utf-8").replace("R3/2026-05-04T08:00:00+07:00/P7D", "R2/PT2S")
    workers()  # working before the first occurrence is due: its start-up is not counted
    live.deployment.deploy([SourceFile(str(MODEL), every_two_seconds.encode())])  # enqueued on RQ after commit
    wait_until(lambda: len(live.queries.instances(process_id="bao_cao_tuan")) == 2)
    cases = live.queries.instances(process_id="bao_cao_tuan")
    assert all([t.element_id for t in live.queries.tasks(instance_id=c.id)] == ["lap_bao_cao"] for c in cases)
    rows = start_rows(live)
    assert [r.status for r in rows] == [TimerStatus.FIRED, TimerStatus.FIRED]
    for row in rows:
        assert row.fired_at is not None
        assert 0 <= (row.fired_at - row.due_at).total_seconds() < LATENESS + LOAD_MARGIN

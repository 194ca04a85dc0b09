"""Timers that can be trusted: real Redis, real RQ worker processes, the wall clock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.exceptions import SchedulerNotFound
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler
from sqlalchemy import select

from engine.deployment.service import collect_sources
from engine.persistence.models import Timer, TimerStatus
from engine.queue.dispatch import RQDispatcher
from engine.runtime.scheduling import DueTimer
from engine.services import Services
from tests.conftest import FIXTURES
from tests.engine.queue.conftest import LATENESS, LOAD_MARGIN, wait_until

STOP_TIMEOUT = 2  # seconds a stopped worker lets its job run (PROCFLOW_WORKER_STOP_TIMEOUT)


@pytest.fixture
def agency(live: Services) -> Services:
    live.org.import_file(FIXTURES / "org.yaml")
    live.deployment.deploy(collect_sources([FIXTURES / "fast_timer.bpmn"]))
    return live


def timer_rows(services: Services, instance_id: int | None = None) -> list[Timer]:
    with services.db.read() as session:
        query = select(Timer).order_by(Timer.id)
        if instance_id is not None:
            query = query.where(Timer.instance_id == instance_id)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def escalated(services: Services, instance_id: int) -> bool:
    return [t.element_id for t in services.queries.tasks(instance_id=instance_id)] == ["escalated"]


def completions(services: Services, instance_id: int, element_id: str) -> int:
    return sum(1 for h in services.queries.history(instance_id)
               if h.kind == "element_completed" and h.element_id == element_id)


def test_the_scheduler_is_a_thread_of_the_worker_and_lets_go_of_its_lock_at_stop(workers, redis: Redis,
                                                                                 live_settings) -> None:
    worker = workers()
    lock = RQScheduler.get_locking_key(live_settings.queue)

    def registered() -> RQScheduler | None:  # the lock is taken a moment before the scheduler's hash is written
        name = redis.get(lock)
        try:
            return RQScheduler.fetch(name.decode(), connection=redis) if name else None
        except SchedulerNotFound:
            return None

    wait_until(lambda: registered() is not None, timeout=60)
    scheduler = registered()
    assert scheduler is not None
    assert scheduler.pid == worker.pid
    assert children_of(worker.pid) == []  # no forked copy of the worker (about 80 MB) just to schedule
    worker.send_signal(signal.SIGTERM)
    # A periodic job (reconciliation, an audit anchor) may be running: the stop lets it finish for up to the stop
    # timeout (25 s). How fast a stop is, is the concern of
    # test_a_stopped_worker_gives_its_job_back_within_the_stop_timeout, not this test's.
    assert worker.wait(timeout=90) == 0
    assert redis.get(lock) is None and not redis.exists(scheduler.key)


def test_the_worker_leaves_the_web_signing_spreadsheets_and_pdf_unimported() -> None:
    """What only some jobs need is imported by them: the worker would carry it from its start."""
    script = ("import sys\nfrom engine.services import make_worker, run_worker\n"
              "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                check=True).stdout.split())
    assert {"rq", "sqlalchemy", "SpiffWorkflow"} <= loaded
    assert not {"flask", "werkzeug", "jinja2", "pyhanko", "openpyxl", "fpdf", "PIL", "xmlschema"} & loaded


def children_of(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


def test_a_timer_fires_within_two_seconds_of_its_due_moment(agency: Services, workers) -> None:
    workers()  # working: its start-up is not counted
    instance_id = agency.runtime.start("fast_timer", data={"delay": "PT3S", "pause": 0})
    wait_until(lambda: escalated(agency, instance_id))
    (row,) = timer_rows(agency, instance_id)
    assert row.status is TimerStatus.FIRED
    lateness = (row.fired_at - row.due_at).total_seconds()
    assert 0 <= lateness < LATENESS + LOAD_MARGIN, lateness


def test_two_workers_and_duplicate_jobs_change_each_instance_once(agency: Services, workers, redis: Redis,
                                                                   live_settings) -> None:
    ids = [agency.runtime.start("fast_timer", data={"delay": "PT3S", "pause": 0}) for _ in range(20)]
    # Every timer gets a second job too, as a retried job or a second reconciliation would give it.
    duplicate = RQDispatcher(redis, agency.clock, queue=live_settings.queue)
    for row in timer_rows(agency):
        duplicate._enqueue(DueTimer(row.id, row.due_at), f"duplicate-{row.id}")
    workers(), workers()
    wait_until(lambda: all(escalated(agency, i) for i in ids), timeout=120, interval=0.5)
    for instance_id in ids:
        assert completions(agency, instance_id, "late") == 1
        assert completions(agency, instance_id, "after_timer") == 1
    assert {r.status for r in timer_rows(agency)} == {TimerStatus.FIRED}


def test_a_worker_killed_mid_job_leaves_the_timer_to_the_next_worker(agency: Services, workers, redis: Redis,
                                                                     live_settings) -> None:
    first = workers()
    instance_id = agency.runtime.start("fast_timer", data={"delay": "PT1S", "pause": 4})
    registry = StartedJobRegistry(live_settings.queue, connection=redis)
    wait_until(lambda: registry.count > 0, interval=0.05)  # the job sleeps in the script task
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=60)
    (row,) = timer_rows(agency, instance_id)
    assert row.status is TimerStatus.PENDING  # its transaction died with the worker
    assert [t.element_id for t in agency.queries.tasks(instance_id=instance_id)] == ["handle"]
    workers()
    # Within a minute and a half even if the dead worker's scheduler lock must expire first (61 s).
    wait_until(lambda: escalated(agency, instance_id), timeout=120)
    assert completions(agency, instance_id, "after_timer") == 1


def test_a_worker_stops_an_endless_script_at_the_limit(agency: Services, workers) -> None:
    instance_id = agency.runtime.start("fast_timer", data={"delay": "PT1S", "pause": 3600})
    workers(PROCFLOW_SCRIPT_TIMEOUT="1")
    wait_until(lambda: agency.queries.instance(instance_id, with_history=False).status == "error")  # not an hour
    case = agency.queries.instance(instance_id, with_history=False)
    assert case.error_element == "after_timer" and "longer than the 1 s limit" in (case.error_message or "")


def test_a_flushed_redis_loses_no_timer(agency: Services, workers, redis: Redis, live_settings) -> None:
    ids = [agency.runtime.start("fast_timer", data={"delay": "PT2S", "pause": 0}) for _ in range(3)]
    queue = Queue(live_settings.queue, connection=redis)
    assert queue.scheduled_job_registry.count == 3
    for key in redis.scan_iter(f"rq:*{live_settings.queue}*"):  # everything RQ knew of this queue
        redis.delete(key)
    for job_id in [f"timer-{r.id}-{int(r.due_at.timestamp())}" for r in timer_rows(agency)]:
        redis.delete(f"rq:job:{job_id}")
    assert queue.scheduled_job_registry.count == 0
    workers()  # its reconciliation restores the jobs from SQL
    wait_until(lambda: all(escalated(agency, i) for i in ids))


def test_a_burst_worker_processes_what_is_due_and_exits(agency: Services, workers) -> None:
    instance_id = agency.runtime.start("fast_timer", data={"delay": "PT1S", "pause": 0})
    (row,) = timer_rows(agency, instance_id)
    wait_until(lambda: agency.clock.now() > row.due_at + timedelta(seconds=1.5), timeout=10)
    burst = workers("--burst")
    assert burst.wait(timeout=120) == 0, burst.stdout.read() if burst.stdout else ""
    assert escalated(agency, instance_id)


def test_a_stopped_worker_gives_its_job_back_within_the_stop_timeout(agency: Services, workers, redis: Redis,
                                                                      live_settings, monkeypatch) -> None:
    monkeypatch.setenv("PROCFLOW_WORKER_STOP_TIMEOUT", str(STOP_TIMEOUT))
    worker = workers()
    instance_id = agency.runtime.start("fast_timer", data={"delay": "PT1S", "pause": 60})
    registry = StartedJobRegistry(live_settings.queue, connection=redis)
    wait_until(lambda: registry.count > 0, interval=0.05)  # the job sleeps in the script task
    worker.send_signal(signal.SIGTERM)
    stopping = time.monotonic()
    worker.wait(timeout=STOP_TIMEOUT + LOAD_MARGIN + 30)  # a clear failure below, not a hang, if it never stops
    assert time.monotonic() - stopping < STOP_TIMEOUT + LOAD_MARGIN  # not the minute the job would take
    (row,) = timer_rows(agency, instance_id)
    assert row.status is TimerStatus.PENDING  # its step was rolled back
    assert [t.element_id for t in agency.queries.tasks(instance_id=instance_id)] == ["handle"]
    queue = Queue(live_settings.queue, connection=redis)
    assert queue.scheduled_job_registry.count + queue.count == 1  # back in the queue to be retried
    assert queue.failed_job_registry.count == 0

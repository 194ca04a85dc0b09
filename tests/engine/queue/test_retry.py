"""A job that meets a database unable to serve it for a moment runs again later; the case is not harmed."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from redis import Redis
from rq import Queue
from rq.job import JobStatus

from engine.clock import SystemClock
from engine.deployment.service import collect_sources
from engine.queue import jobs
from engine.queue.dispatch import RETRY_INTERVALS, RQDispatcher
from engine.queue.worker import ProcflowWorker
from engine.services import Services, build_services
from engine.settings import Settings
from tests.conftest import FIXTURES
from tests.engine.queue.conftest import wait_until


@pytest.fixture
def single(live: Services, live_settings: Settings, redis: Redis) -> Iterator[Services]:
    """A worker's services with one database connection, installed for the jobs run in this process."""
    built = build_services(dataclasses.replace(live_settings, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.3),
                           clock=SystemClock(), redis=redis)
    before = jobs._services
    jobs.install(built)
    yield built
    jobs._services = before
    built.close()


def test_a_timer_job_refused_by_a_busy_database_is_retried(live: Services, single: Services, redis: Redis,
                                                           live_settings: Settings) -> None:
    live.org.import_file(FIXTURES / "org.yaml")
    live.deployment.deploy(collect_sources([FIXTURES / "fast_timer.bpmn"]))
    instance_id = live.runtime.start("fast_timer", data={"delay": "PT1S", "pause": 0})
    queue = Queue(live_settings.queue, connection=redis)
    dispatcher = single.runtime.dispatcher
    assert isinstance(dispatcher, RQDispatcher)

    def work() -> None:
        ProcflowWorker([queue], connection=redis, services=single, dispatcher=dispatcher).work(
            burst=True, with_scheduler=True, logging_level="WARNING")

    time.sleep(1.2)
    with single.db.connect() as held:  # the worker's only connection is taken
        held.exec_driver_sql("SELECT 1")
        work()
    (job_id,) = queue.scheduled_job_registry.get_job_ids()  # back in the schedule, not failed
    job = queue.fetch_job(job_id)
    assert job is not None and job.retries_left == len(RETRY_INTERVALS) - 1
    assert queue.failed_job_registry.count == 0
    view = live.queries.instance(instance_id)
    assert (view.status, [t.element_id for t in live.queries.tasks(instance_id=instance_id)]) == ("running", ["handle"])

    def fired() -> bool:
        work()
        return job.get_status(refresh=True) == JobStatus.FINISHED

    wait_until(fired, interval=0.5)
    assert [t.element_id for t in live.queries.tasks(instance_id=instance_id)] == ["escalated"]

"""The operations page's figures and /healthz on a real Redis (REDIS_URL, else the embedded server): queues,
a worker's failed job with its error, retry and delete, timers and undelivered messages."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from rq import Queue, SimpleWorker

from engine.ops.status import OperationsService
from engine.queue.connection import connect_redis
from engine.services import Services


def boom(divisor: int) -> float:
    """A job that fails."""
    return 10 / divisor


@pytest.fixture
def redis(services: Services) -> Iterator[Any]:
    client = connect_redis(services.settings)
    yield client
    client.close()


def test_a_failed_job_shows_its_error_and_can_be_retried_or_deleted(services: Services, redis: Any) -> None:
    name = f"ops-test-{secrets.token_hex(4)}"
    queue = Queue(name, connection=redis)
    job = queue.enqueue(boom, 0)
    SimpleWorker([queue], connection=redis).work(burst=True)
    ops = OperationsService(db=services.db, clock=services.clock, redis=redis, queue=name)
    seen = ops.overview()
    assert seen.redis_error is None and seen.queues["failed"] == 1
    assert [(f.id, "ZeroDivisionError" in f.error) for f in seen.failed] == [(job.id, True)]
    ops.retry_job(job.id)
    assert ops.overview().queues[name] == 1
    SimpleWorker([queue], connection=redis).work(burst=True)
    ops.delete_job(job.id)
    assert ops.overview().queues["failed"] == 0
    queue.delete(delete_jobs=True)


def test_health_without_a_worker_is_unhealthy_and_says_why(services: Services, redis: Any) -> None:
    ops = OperationsService(db=services.db, clock=services.clock, redis=redis, queue="procflow")
    healthy, checks = ops.health()
    assert checks["database"] == {"ok": True} and checks["redis"] == {"ok": True}
    assert checks["timers"]["ok"] is True
    if checks["workers"]["alive"] == 0:  # a shared Redis may have other helpers' workers
        assert healthy is False
    down = OperationsService(db=services.db, clock=services.clock, redis=None, queue="procflow")
    assert down.health()[0] is False and down.overview().redis_error == "no Redis configured"

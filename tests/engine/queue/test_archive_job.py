"""Retention's periodic RQ job: of two workers, one enqueues it per period, and the job archives what is due."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from redis import Redis
from rq import Queue

from engine.queue import jobs
from engine.services import Services, make_worker
from engine.settings import Settings


def test_one_worker_per_period_enqueues_the_archive_job(live: Services, live_settings: Settings,
                                                        redis: Redis) -> None:
    settings = replace(live_settings, archive_every_seconds=3600)
    first, second = make_worker(settings, name="w1", redis=redis), make_worker(settings, name="w2", redis=redis)
    try:
        assert not first.schedule_archiving()  # not in the first minutes after the start
        first._next_archive = second._next_archive = 0.0
        assert first.schedule_archiving() is True
        assert second.schedule_archiving() is False  # the period's key is taken
        queued = Queue(settings.queue, connection=redis).jobs
        assert [job.func_name for job in queued] == ["engine.queue.jobs.archive_due"]
        assert jobs.archive_due() == {"archive": None, "cases": []}  # nothing due: no archive file
        assert first.archive_every == timedelta(hours=1)
    finally:
        for worker in (first, second):
            worker.services.close()
        for key in redis.keys(f"procflow:archive:{settings.queue}:*"):
            redis.delete(key)

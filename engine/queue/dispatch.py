"""Waking workers through RQ: timers become scheduled jobs; reconciliation restores what Redis lost."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job, JobStatus, Retry

from engine.clock import Clock
from engine.queue import jobs
from engine.runtime.scheduling import DueTimer

QUEUE = "procflow"
JOB_TIMEOUT = 120
MIGRATION_TIMEOUT = 1800  # a batch of cases, each in its own transaction
ALIVE = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
log = logging.getLogger("procflow.rq")
# A job that failed because the database could not serve it for a moment (engine.errors.Unavailable) is run
# again after these pauses; firing a timer and sending mail are idempotent, so a retry is always safe.
RETRY_INTERVALS = [1, 5, 15, 60, 300]


def retry_policy() -> Retry:
    """How often and when a failed job runs again."""
    return Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)


def timer_job_id(timer: DueTimer) -> str:
    """One job id per timer and due moment, so moving a timer makes a new job."""
    return f"timer-{timer.id}-{int(timer.due_at.timestamp())}"


RECONCILED_KEY = "procflow:reconciled_at"


class RQDispatcher:
    """Schedules timer jobs at their due moment and e-mail jobs at once, on one RQ queue."""

    def __init__(self, redis: Redis, clock: Clock, *, queue: str = QUEUE) -> None:
        self.redis = redis
        self.clock = clock
        self.queue = Queue(queue, connection=redis)

    def schedule(self, timers: list[DueTimer]) -> None:
        """Enqueue each timer's job for its due moment (at once if it is already due).

        Called after commit: if Redis is unreachable the timers stay pending in SQL and the next
        reconciliation enqueues them, so the user's action is not failed for it.
        """
        try:
            for timer in timers:
                self._enqueue(timer, timer_job_id(timer))
        except RedisError as exc:
            log.warning("Redis unreachable; %d timer(s) left for reconciliation: %s", len(timers), exc)

    def deliver(self, notification_ids: list[int]) -> None:
        """Send e-mails from a worker (left unsent, and shown in the inbox, if Redis is unreachable)."""
        if not notification_ids:
            return
        try:
            self.queue.enqueue(jobs.send_email, notification_ids, job_timeout=JOB_TIMEOUT, retry=retry_policy())
        except RedisError as exc:
            log.warning("Redis unreachable; e-mail for notifications %s not queued: %s", notification_ids, exc)

    def migrate(self, migration_id: int, instance_ids: list[int]) -> None:
        """Queue one batch of a migration (engine/migration/service.py); the batch's cases record their results."""
        self.queue.enqueue(jobs.migrate_cases, migration_id, instance_ids, job_timeout=MIGRATION_TIMEOUT)
    def exchange(self, delivery_ids: list[int], at: datetime | None = None) -> None:
        """Deliver packages of the exchange's outbox from a worker, now or at ``at`` (one job per delivery and
        attempt time; a delivery claims its row, so a second job for it does nothing)."""
        try:
            for delivery_id in delivery_ids:
                stamp = int(at.timestamp()) if at is not None else 0
                job_id = f"exchange-{delivery_id}-{stamp}"
                if at is None:
                    job_id = f"{job_id}-{int(self.clock.now().timestamp() * 1000)}"
                options: dict[str, Any] = {"job_id": job_id, "job_timeout": JOB_TIMEOUT}
                if at is not None and at > self.clock.now():
                    self.queue.enqueue_at(at, jobs.deliver_exchange, delivery_id, **options)
                else:
                    self.queue.enqueue(jobs.deliver_exchange, delivery_id, **options)
        except RedisError as exc:
            log.warning("Redis unreachable; deliveries %s left for the workers' sweep: %s", delivery_ids, exc)

    def _enqueue(self, timer: DueTimer, job_id: str) -> None:
        args = (timer.id, timer.due_at.isoformat())
        options: dict[str, Any] = {"job_id": job_id, "job_timeout": JOB_TIMEOUT, "retry": retry_policy()}
        if timer.due_at <= self.clock.now():
            self.queue.enqueue(jobs.fire_timer, *args, **options)
        else:
            self.queue.enqueue_at(timer.due_at, jobs.fire_timer, *args, **options)

    def reconcile(self, pending: list[DueTimer], *, stale_after: timedelta = timedelta(seconds=30)) -> int:
        """Make sure every pending timer has a live job; return how many were (re-)enqueued.

        A job counts as live when queued, scheduled or deferred, or started less than ``stale_after``
        ago (a started job older than that belongs to a worker that died; firing is idempotent, so a
        second job is harmless).
        """
        now = self.clock.now()
        restored = 0
        for timer in pending:
            job_id = timer_job_id(timer)
            if self._alive(job_id, now, stale_after):
                continue
            suffix = "" if not Job.exists(job_id, connection=self.redis) else f"-r{int(now.timestamp() * 1000)}"
            self._enqueue(timer, job_id + suffix)
            restored += 1
        self.redis.set(RECONCILED_KEY, now.isoformat())  # shown on the operations page and checked by /healthz
        return restored

    def _alive(self, job_id: str, now: datetime, stale_after: timedelta) -> bool:
        try:
            job = Job.fetch(job_id, connection=self.redis)
        except Exception:  # no such job (Redis flushed, or never enqueued)
            return False
        status = job.get_status(refresh=False)
        if status in ALIVE:
            return True
        started = job.started_at
        if status == JobStatus.STARTED and started is not None:
            return now - started.replace(tzinfo=now.tzinfo) < stale_after
        return False


def queue_of(redis: Any, name: str = QUEUE) -> Queue:
    """The procflow queue on ``redis``."""
    return Queue(name, connection=redis)

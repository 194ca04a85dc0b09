"""``procflow worker``: an RQ worker with the scheduler, which also reconciles timers with SQL, gives due
deliveries of the exchange's outbox their jobs (engine/exchange) and anchors history.

Reconciliation runs when the worker starts and every ``RECONCILE_EVERY`` seconds after: every pending
timer due within ``HORIZON`` gets a live job in Redis, so a flushed or restarted Redis, or a worker
killed in the middle of a job, loses nothing. Once per anchoring period (``anchor_every``, from
``Settings.audit_anchor_seconds``) a worker anchors the hash chains of the cases changed since the last
anchor (engine/audit/anchors.py); when several workers run, the first of the period does it.
"""

from __future__ import annotations

import logging
import math
import signal
import time
from datetime import timedelta
from typing import Any

from rq import SimpleWorker
from rq.defaults import DEFAULT_LOGGING_DATE_FORMAT, DEFAULT_LOGGING_FORMAT

from engine.errors import Unavailable
from engine.i18n import N_
from engine.queue import jobs
from engine.queue.dispatch import RQDispatcher
from engine.queue.jobs import WorkerServices
from engine.queue.scheduler import ThreadScheduler

RECONCILE_EVERY = 10  # seconds
ARCHIVE_DELAY = 120  # seconds after a worker's start before it first tries to schedule retention
HORIZON = timedelta(minutes=10)
log = logging.getLogger("procflow.worker")


class ProcflowWorker(SimpleWorker):
    """Runs jobs in-process (services and their caches are built once), runs RQ's scheduler in a thread
    (engine/queue/scheduler.py) and reconciles timers."""

    def __init__(self, *args: Any, services: WorkerServices, dispatcher: RQDispatcher, stop_timeout: float = 25.0,
                 anchor_every: timedelta = timedelta(minutes=5), archive_every: timedelta = timedelta(hours=1),
                 **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", min(RECONCILE_EVERY, max(1, int(anchor_every.total_seconds()))))
        kwargs.setdefault("worker_ttl", RECONCILE_EVERY + 15)  # the dequeue wait wakes up for maintenance
        super().__init__(*args, **kwargs)
        self.services = services
        self.dispatcher = dispatcher
        self.stop_timeout = stop_timeout
        self._reconciled_once = False
        self.anchor_every = anchor_every
        self._next_anchor = 0.0  # time.monotonic() from which the next anchoring is tried
        self.archive_every = archive_every
        # Not at start: a worker that just started has timers to catch up on first.
        self._next_archive = time.monotonic() + ARCHIVE_DELAY

    def _shutdown(self) -> None:
        """A stop asked in the middle of a job lets the job finish for ``stop_timeout`` seconds at most.

        The job runs in this process under RQ's alarm-based time limit; the alarm is brought forward and, when it
        rings, interrupts the job with :class:`Unavailable`, which no step takes for a model error: the job's
        transaction is rolled back and its retry policy puts it back in the queue (engine/queue/dispatch.py), so a
        stopped worker never holds a timer for long nor loses it.
        """
        super()._shutdown()
        if self._stop_requested and self.stop_timeout > 0:
            remaining = signal.alarm(0)
            signal.signal(signal.SIGALRM, _stopping)
            signal.alarm(max(1, math.ceil(min(self.stop_timeout, remaining or self.stop_timeout))))

    def _start_scheduler(self, burst: bool = False, logging_level: str | None = "INFO",
                         date_format: str = DEFAULT_LOGGING_DATE_FORMAT,
                         log_format: str = DEFAULT_LOGGING_FORMAT) -> None:
        """RQ's start of the scheduler (take its lock; in burst mode enqueue what is due and let go), with the
        scheduler in a thread of this process rather than a fork of it."""
        self.scheduler = ThreadScheduler(self.queues, connection=self.connection, serializer=self.serializer,
                                         logging_level=logging_level if logging_level is not None else self.log.level,
                                         date_format=date_format, log_format=log_format)
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()

    def stop_scheduler(self) -> None:
        """Stop the scheduler's thread (RQ signals a scheduler process)."""
        if isinstance(self.scheduler, ThreadScheduler):
            self.scheduler.stop_thread()

    def subscribe(self) -> None:
        """RQ's command channel, listened to in one-second waits: RQ waits a minute, and redis-py's stop()
        waits for the wait to end, so a stopping worker would hang that long in its teardown."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(sleep_time=1, daemon=True,  # type: ignore[assignment]
                                                       exception_handler=self._pubsub_exception_handler)

    def run_maintenance_tasks(self) -> None:
        """RQ's own maintenance, then timer reconciliation and, once a period, anchoring (the next round
        catches up if the database is busy)."""
        super().run_maintenance_tasks()
        try:
            self.reconcile()
        except Unavailable as exc:
            log.warning("reconciliation postponed: %s", exc)
        self.sweep_exchange()
        self.anchor()
        self.schedule_archiving()

    def schedule_archiving(self) -> bool:
        """Once per ``archive_every``, enqueue retention's job (engine.queue.jobs.archive_due); of several
        workers the first to take the period's Redis key does it. Return True when this worker enqueued it."""
        if time.monotonic() < self._next_archive:
            return False
        self._next_archive = time.monotonic() + min(self.archive_every.total_seconds(), 600.0)
        seconds = max(1, int(self.archive_every.total_seconds()))
        period = int(time.time()) // seconds
        key = f"procflow:archive:{self.queue_names()[0]}:{period}"
        try:
            if not self.connection.set(key, self.name, nx=True, ex=seconds * 2):
                return False
            self.dispatcher.queue.enqueue(jobs.archive_due, job_timeout=3600, result_ttl=7 * 24 * 3600)
        except Exception:  # noqa: BLE001 - retention waits for the next period; the worker goes on
            log.exception("archiving not scheduled")
            return False
        return True

    def sweep_exchange(self) -> int:
        """Give every due delivery of the exchange's outbox a job (deliveries planned in a step, retries whose job
        Redis lost, deliveries a dead worker left half-done); return how many."""
        try:
            due = self.services.exchange.due()
        except Exception:  # the next round tries again
            log.exception("exchange sweep failed")
            return 0
        if due:
            self.dispatcher.exchange(due)
        return len(due)

    def anchor(self) -> int | None:
        """Anchor the changed cases' chains if this period has no anchor yet; return the new anchor's id."""
        if time.monotonic() < self._next_anchor:
            return None
        try:
            made = self.services.anchors.anchor(every=self.anchor_every)
        except Exception:  # a failed anchoring must not stop the worker; the next period tries again
            log.exception("anchoring failed")
            made = None
        # Try again within the next period; other workers may take it first, which anchor() then sees.
        self._next_anchor = time.monotonic() + min(self.anchor_every.total_seconds() / 2, 60.0)
        if made is not None:
            log.info("anchor #%d: %d chain head(s)", made.id, made.cases)
        return made.id if made is not None else None

    def reconcile(self) -> int:
        """Give every pending timer due soon a live job (on start, also those held by dead workers)."""
        stale = timedelta(seconds=30) if self._reconciled_once else timedelta(0)
        pending = self.services.timers.due(until=self.services.clock.now() + HORIZON)
        restored = self.dispatcher.reconcile(pending, stale_after=stale)
        self._reconciled_once = True
        if restored:
            log.info("reconciliation: %d timer job(s) restored", restored)
        return restored


def _stopping(signum: int, frame: Any) -> None:
    raise Unavailable(N_("the worker stopped before this job finished; it runs again"))

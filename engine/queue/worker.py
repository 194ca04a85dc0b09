"""``procflow worker``: an RQ worker with the scheduler, which also reconciles timers with SQL.

Reconciliation runs when the worker starts and every ``RECONCILE_EVERY`` seconds after: every pending
timer due within ``HORIZON`` gets a live job in Redis, so a flushed or restarted Redis, or a worker
killed in the middle of a job, loses nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from rq import SimpleWorker

from engine.queue.dispatch import RQDispatcher
from engine.queue.jobs import WorkerServices

RECONCILE_EVERY = 10  # seconds
HORIZON = timedelta(minutes=10)
log = logging.getLogger("procflow.worker")


class ProcflowWorker(SimpleWorker):
    """Runs jobs in-process (services and their caches are built once) and reconciles timers."""

    def __init__(self, *args: Any, services: WorkerServices, dispatcher: RQDispatcher, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", RECONCILE_EVERY)
        kwargs.setdefault("worker_ttl", RECONCILE_EVERY + 15)  # the dequeue wait wakes up for maintenance
        super().__init__(*args, **kwargs)
        self.services = services
        self.dispatcher = dispatcher
        self._reconciled_once = False

    def run_maintenance_tasks(self) -> None:
        """RQ's own maintenance, then timer reconciliation."""
        super().run_maintenance_tasks()
        self.reconcile()

    def reconcile(self) -> int:
        """Give every pending timer due soon a live job (on start, also those held by dead workers)."""
        stale = timedelta(seconds=30) if self._reconciled_once else timedelta(0)
        pending = self.services.timers.due(until=self.services.clock.now() + HORIZON)
        restored = self.dispatcher.reconcile(pending, stale_after=stale)
        self._reconciled_once = True
        if restored:
            log.info("reconciliation: %d timer job(s) restored", restored)
        return restored

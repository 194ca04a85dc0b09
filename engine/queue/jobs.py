"""RQ entry points: take ids, use the worker's services, call one method, return small JSON.

Workers build their services once (the composition root's ``start_worker``, which calls :func:`install`); a job
never needs a web application or a request.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, Protocol

from engine.audit.anchors import AnchorService
from engine.clock import Clock
from engine.exchange.service import ExchangeService
from engine.migration.service import MigrationService
from engine.notify.mail import Mailer
from engine.retention import RetentionService
from engine.timers.firing import TimerService


class WorkerServices(Protocol):
    """What jobs use of the worker's services (engine.services.Services has these)."""

    clock: Clock
    timers: TimerService
    mailer: Mailer
    anchors: AnchorService
    migrations: MigrationService
    exchange: ExchangeService
    retention: RetentionService

    def close(self) -> None:
        """Release database connections."""


class NotInstalled(RuntimeError):
    """A job ran in a process that did not install its services (run jobs with `procflow worker`)."""


_services: WorkerServices | None = None


def install(services: WorkerServices) -> None:
    """Give this worker process the services its jobs use."""
    global _services
    _services = services


def _current() -> WorkerServices:
    if _services is None:
        raise NotInstalled("procflow jobs need the services of `procflow worker`; a plain `rq worker` has none")
    return _services


def fire_timer(timer_id: int, due_at: str | None = None) -> dict[str, Any]:
    """Fire one timer; a job woken just before the due moment (RQ schedules in whole seconds) waits for it."""
    services = _current()
    if due_at is not None:
        early = (datetime.fromisoformat(due_at) - services.clock.now()).total_seconds()
        if 0 < early <= 2:
            time.sleep(early)
    return {"timer": timer_id, "result": services.timers.fire(timer_id)}


def send_email(notification_ids: list[int]) -> dict[str, Any]:
    """E-mail stored notifications."""
    return {"sent": _current().mailer.send(notification_ids)}


def migrate_cases(migration_id: int, instance_ids: list[int]) -> dict[str, Any]:
    """Move one batch of a migration's cases to the new version, each case in its own transaction."""
    return {"migration": migration_id, **_current().migrations.run_batch(migration_id, instance_ids)}


def deliver_exchange(delivery_id: int) -> dict[str, Any]:
    """Try one delivery of the exchange's outbox; after a failure, plan the next attempt (exponential backoff)."""
    services = _current()
    state = services.exchange.deliver(delivery_id)
    if state == "pending":
        at = services.exchange.next_attempt(delivery_id)
        if at is not None and services.exchange.kick is not None:
            services.exchange.kick([delivery_id], at)
    return {"delivery": delivery_id, "state": state}


def archive_due() -> dict[str, Any]:
    """Retention's periodic run: archive the finished cases past their time to live (docs/operations.md)."""
    report = _current().retention.run()
    return {"archive": str(report.archive) if report.archive else None, "cases": report.cases}


def noop() -> None:
    """An empty job, for measuring the queue itself (bench.timers)."""

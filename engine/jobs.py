"""RQ entry points: take ids, use the worker's services, call one method, return small JSON.

Workers build their services once (see engine/worker.py, which calls :func:`install`); a job never
needs a web application or a request.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine.settings import Settings

if TYPE_CHECKING:  # engine.services imports this module (through the dispatcher)
    from engine.services import Services

_services: Services | None = None


def install(services: Services) -> None:
    """Give this worker process the services its jobs use."""
    global _services
    _services = services


def _current() -> Services:
    global _services
    if _services is None:  # a worker started by plain `rq worker`: build from the environment
        from engine.redis_connection import connect_redis
        from engine.services import build_services

        settings = Settings.from_env()
        _services = build_services(settings, redis=connect_redis(settings))
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


def noop() -> None:
    """An empty job, for measuring the queue itself (bench.timers)."""

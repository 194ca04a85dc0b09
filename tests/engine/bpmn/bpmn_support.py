"""Helpers for the BPMN semantics tests: deploy a fixture, see what ran, work the inbox, let time pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES

SEMANTICS = FIXTURES / "bpmn_semantics"
CLERK = "chuyenvien"


def deploy(services: Services, name: str) -> None:
    """Deploy one fixture of ``tests/fixtures/bpmn_semantics``."""
    services.deployment.deploy(collect_sources([SEMANTICS / name]))


def ran(services: Services, instance_id: int) -> list[str]:
    """The elements an instance completed, in order (from its history)."""
    return [h.element_id for h in services.queries.history(instance_id)
            if h.kind == "element_completed" and h.element_id is not None]


def status(services: Services, instance_id: int) -> str:
    """The instance's status."""
    return services.queries.instance(instance_id, with_history=False).status


def open_tasks(services: Services, instance_id: int) -> list[str]:
    """The element ids of the instance's open user tasks."""
    return sorted(t.element_id for t in services.queries.tasks(instance_id=instance_id))


def complete(services: Services, instance_id: int, element_id: str, **data: Any) -> None:
    """Complete the open user task ``element_id`` of the instance as the clerk."""
    task = next(t for t in services.queries.tasks(instance_id=instance_id) if t.element_id == element_id)
    services.runtime.complete_task(task.id, user=CLERK, data=data)


def wait(services: Services, clock: Any, delta: timedelta) -> None:
    """Let ``delta`` pass on the virtual clock and fire every timer that fell due (as the worker does)."""
    clock.advance(delta)
    services.timers.fire_due()

"""Named Python handlers that service tasks call: Camunda 8's ``zeebe:taskDefinition type`` names one.

A handler takes a copy of the task's data and returns the variables to merge back (or None). Register one
with :func:`register`; deploy refuses a service task whose type names no registered handler (E083), so a
model never waits for a worker that does not exist. Imports only the standard library.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], dict[str, Any] | None]

HANDLERS: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler for task type ``name``."""
    def add(function: Handler) -> Handler:
        HANDLERS[name] = function
        return function
    return add


def handler(name: str) -> Handler | None:
    """The handler registered for ``name``, or None."""
    return HANDLERS.get(name)


@register("procflow.noop")
def noop(data: dict[str, Any]) -> None:
    """Do nothing: a placeholder for a step done outside procflow."""
    return None


@register("procflow.mark_done")
def mark_done(data: dict[str, Any]) -> dict[str, Any]:
    """Set ``done`` to True (models and tests use it to see that a handler ran)."""
    return {"done": True}

"""Hooks the runtime calls inside a step's transaction, for areas above it that act when model elements complete
(engine/documents acts on ``procflow:document`` extension elements) or when any step is saved (engine/exchange
reports the stages of a received document to its sender and plans the deliveries of an issued one).

``task_completing`` and ``element_completed`` run only for elements whose deployed metadata names actions for them
(``LoadedSpec.documents``); ``step_saved``, when a hook has it, runs after every saved step. Raising a
ProcflowError refuses the whole step: nothing of it is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class ElementEvent:
    """An element of a case completing in the current step.

    Attributes:
        conn: the step's connection (its transaction).
        instance_id: the case.
        process_id: its process.
        element_id: the BPMN element.
        task_id: the task that completed it.
        user: who completed it (None for engine elements run on nobody's behalf).
        data: the data the element completes with (a human task: the submitted form; otherwise the task's data).
        case_data: the case's data as the task saw it before (a human task); the same as ``data`` otherwise.
        actions: the element's actions from the model's extension elements.
    """

    conn: Connection
    instance_id: int
    process_id: str
    element_id: str
    task_id: str
    user: str | None
    data: dict[str, Any]
    case_data: dict[str, Any]
    actions: list[dict[str, Any]]


@dataclass(frozen=True)
class StepSaved:
    """A step of a case just saved (still in its transaction).

    Attributes:
        conn: the step's connection.
        instance_id: the case.
        process_id: its process.
        actor: who made the step (None for the engine's own: timers, messages).
        history: the history rows the step wrote (``kind``: ``task_completed`` and ``element_completed`` with
            ``element_id``, ``instance_completed`` ...).
    """

    conn: Connection
    instance_id: int
    process_id: str
    actor: str | None
    history: list[dict[str, Any]]


class StepHook(Protocol):
    """What an area registers with :attr:`Runtime.hooks`."""

    def task_completing(self, event: ElementEvent) -> dict[str, Any]:
        """A human task is about to complete with ``event.data``; return the data it completes with."""
        ...

    def element_completed(self, event: ElementEvent) -> None:
        """An engine element (start event, script task ...) completed in this step."""
        ...


class StepObserver(Protocol):
    """A hook that also wants every saved step (optional: the runtime looks for ``step_saved``)."""

    def step_saved(self, event: StepSaved) -> None:
        """A step of a case was saved in ``event.conn``'s transaction."""
        ...

"""Messages and signals between instances: who waits for what, and delivering what a step throws.

SpiffWorkflow delivers an event inside the workflow that throws it; one nobody there catches is left in
``workflow.bpmn_events`` for the application. procflow routes those, in the transaction of the step that
threw them:

* a **message** goes to one running instance waiting for it: first the case whose message started the
  sender (a reply goes back to whoever asked), else the oldest that catches it, correlation permitting;
  if none does, it starts an instance of each process (latest version) whose start event
  waits for it; if that finds nobody either, the message is recorded as undelivered in the sender's history;
* a **signal** goes to every running instance waiting for it and starts an instance of each process whose
  start event waits for it.

What an instance waits for is kept in SQL (``event_subscriptions``, mirrored by ``instances.waits_for`` so
that a step can tell whether it changed without asking), updated in the same transaction as its state.
Deliveries run the receiving instance on, which may throw further events; a chain longer than
:data:`MAX_DELIVERIES` fails the step (two models sending each other messages for ever).
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.engine import Connection

from engine.errors import InvalidState
from engine.i18n import N_
from engine.runtime.specs import LoadedSpec
from engine.runtime.start_events import top_start_events

MAX_DELIVERIES = 200
MESSAGE, SIGNAL = "message", "signal"
# Kept in the workflow's correlations (saved with its state) of a case a message started: the sending case.
STARTED_BY_CASE = "procflow_started_by_case"


@dataclass
class Thrown:
    """An event a step threw that its own instance did not catch."""

    source_id: int | None  # None: sent from outside (the API or the command line)
    kind: str
    event: BpmnEvent
    reply_to: int | None = None  # the case whose message started the sender: offered a message first
    # Sent from outside on someone's behalf: only the cases this accepts may receive it (the API: those the
    # caller may see); None: any case.
    may_receive: Callable[[Connection, int], bool] | None = None

    @property
    def name(self) -> str:
        return str(self.event.event_definition.name)


def event_kind(definition: Any) -> str | None:
    """``message`` or ``signal`` for the definitions routed between instances, else None."""
    if isinstance(definition, MessageEventDefinition):
        return MESSAGE
    if isinstance(definition, SignalEventDefinition):
        return SIGNAL
    return None


def _named(definition: Any) -> list[tuple[str, str]]:
    parts = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    found = []
    for part in parts:
        kind = event_kind(part)
        if kind is not None:
            found.append((kind, str(part.name)))
    return found


def waits_for(workflow: Any) -> list[tuple[str, str]]:
    """The (kind, name) of every message and signal a task of ``workflow`` is waiting for, sorted."""
    waits: set[tuple[str, str]] = set()
    for task in workflow.event_manager.tasks.values():
        if task.has_state(TaskState.FINISHED_MASK):
            continue
        waits.update(_named(task.task_spec.event_definition))
    return sorted(waits)


def encode_waits(waits: list[tuple[str, str]]) -> str | None:
    """The text kept in ``instances.waits_for`` (None when the instance waits for nothing)."""
    return "\n".join(f"{kind}:{name}" for kind, name in waits) or None


def take_thrown(workflow: Any, source_id: int) -> list[Thrown]:
    """Remove from ``workflow`` the messages and signals nobody in it caught, to be routed elsewhere.

    Other uncaught events (an escalation nobody handles) stay where SpiffWorkflow left them.
    """
    routed: list[Thrown] = []
    kept: list[Any] = []
    reply_to = workflow.correlations.get(STARTED_BY_CASE)
    for event in workflow.bpmn_events:
        kind = event_kind(event.event_definition)
        if kind is None:
            kept.append(event)
        else:
            routed.append(Thrown(source_id, kind, event, reply_to if kind == MESSAGE else None))
    workflow.bpmn_events = kept
    return routed


def in_delivery_order(waiting: list[int], thrown: Thrown) -> list[int]:
    """The waiting cases in the order they are offered ``thrown``: the case it replies to first, then oldest first."""
    if thrown.reply_to in waiting:
        return [thrown.reply_to, *(case for case in waiting if case != thrown.reply_to)]
    return waiting


def copy_of(event: BpmnEvent) -> BpmnEvent:
    """The event for one receiver: its own copy of the payload and correlations."""
    return BpmnEvent(event.event_definition, payload=deepcopy(event.payload),
                     correlations=dict(event.correlations or {}))


def start_event_for(spec: LoadedSpec, kind: str, name: str) -> str | None:
    """The id of the process's own start event that waits for the message or signal ``name``, or None."""
    for start in top_start_events(spec.spec):
        if (kind, name) in _named(getattr(start, "event_definition", None)):
            return str(start.bpmn_id)
    return None


class DeliveryBudget:
    """Counts the deliveries of one step, refusing a chain of messages that never ends."""

    def __init__(self) -> None:
        self.used = 0

    def spend(self, thrown: Thrown) -> None:
        self.used += 1
        if self.used > MAX_DELIVERIES:
            raise InvalidState(N_("more than {limit} messages and signals in one step (the last: {kind} '{name}'); do "
                                  "the models send each other messages for ever?"), limit=MAX_DELIVERIES,
                               kind=thrown.kind, name=thrown.name)

"""Messages whose payload lands in the receiving task's data, as BPMN says, even without a message variable.

SpiffWorkflow's Spiff message event copies a payload only into a ``spiffworkflow:messageVariable``; a
message modelled in Camunda Modeler or bpmn.io has none, and its payload (another agency's
confirmation, say) would be dropped. procflow's message event merges a dict payload into the task's data
when no variable is named. Likewise a message thrown without a ``spiffworkflow:messagePayload``
expression carries the throwing task's data (as plain BPMN's message event does in SpiffWorkflow), not
nothing (with the correlation keys its payload gives). Otherwise it behaves exactly like Spiff's.

:func:`correlations_for` decides whether a waiting case is the one a correlated message is for.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BpmnMessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.persistence.db import raise_if_unavailable


class ProcflowMessageEventDefinition(MessageEventDefinition):
    """A Spiff message event that merges its payload into the data when no message variable is named."""

    def throw(self, my_task: Any) -> None:
        if self.expression is not None:
            super().throw(my_task)
            return
        payload = deepcopy(my_task.data)
        correlations = self.get_correlations(my_task, payload)  # its keys travel with it, as Spiff's own do
        my_task.workflow.correlations.update(correlations)
        event = BpmnEvent(self, payload=payload, correlations=correlations)
        my_task.workflow.top_workflow.catch(event)

    def update_task_data(self, my_task: Any) -> None:
        if self.message_var is not None:
            super().update_task_data(my_task)
            return
        payload = my_task.internal_data.pop(self.name, None)
        if isinstance(payload, dict):
            my_task.set_data(**payload)


class MessagePayloadParserMixin:
    """Makes every message event a parser creates a :class:`ProcflowMessageEventDefinition`."""

    def parse_message_event(self, message_event: Any) -> Any:
        definition = super().parse_message_event(message_event)  # type: ignore[misc]
        if type(definition) is not MessageEventDefinition:
            return definition
        return ProcflowMessageEventDefinition(
            definition.name, definition.correlation_properties, definition.expression, definition.message_var,
            definition.process_correlations, description=definition.description)


def correlations_for(workflow: Any, event: BpmnEvent) -> dict[str, Any] | None:
    """The message's correlation keys if ``workflow`` waits for it under the same keys; None if it does not.

    SpiffWorkflow 3.2 lets a correlated catch event take any message while its workflow has computed no
    correlation yet (a case waiting for its first message), and compares keys with ``any``; so a message for
    case "B" could land in case "A". Here every waiting catch event of that name with correlation properties
    must find, for each key the message carries, the value the case has: the one it stored (a message it sent
    or received) or, failing that, the one its retrieval expressions give on the waiting task's data. A
    message that carries no key at all (sent from outside) gets its keys from its payload by the same
    expressions. A catch event without correlation properties takes any message of its name (the empty dict).
    """
    found: dict[str, Any] | None = None
    for task, definition in _waiting_catches(workflow, event.event_definition.name):
        props = definition.correlation_properties
        if not props:
            return {}
        sent = event.correlations or _evaluated(workflow, definition, props, event.payload)
        if not sent:
            continue
        stored = _evaluated(workflow, definition, props, task.data) or {}
        stored.update({k: v for k, v in workflow.correlations.items() if k in sent})
        if all(stored.get(key) == value for key, value in sent.items()):
            found = sent
    return found


def _waiting_catches(workflow: Any, name: str) -> list[tuple[Any, Any]]:
    found: list[tuple[Any, Any]] = []
    for task in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY):
        definition = getattr(task.task_spec, "event_definition", None)
        parts = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        found.extend((task, part) for part in parts
                     if isinstance(part, BpmnMessageEventDefinition) and part.name == name)
    return found


def _evaluated(workflow: Any, definition: Any, props: list[Any], data: Any) -> dict[str, Any] | None:
    """The correlation keys ``props`` give on ``data`` (None when an expression cannot be evaluated on it)."""
    if not isinstance(data, dict):
        return None
    try:
        return dict(definition.calculate_correlations(workflow.script_engine, props, data))
    except Exception as exc:  # the data lacks what the retrieval expression reads: no key to compare
        raise_if_unavailable(exc)
        return None

"""Messages whose payload lands in the receiving task's data, as BPMN says, even without a message variable.

SpiffWorkflow's Spiff message event copies a payload only into a ``spiffworkflow:messageVariable``; a
message modelled in Camunda Modeler or bpmn.io has none, and its payload (another agency's
confirmation, say) would be dropped. procflow's message event merges a dict payload into the task's data
when no variable is named. Likewise a message thrown without a ``spiffworkflow:messagePayload``
expression carries the throwing task's data (as plain BPMN's message event does in SpiffWorkflow), not
nothing. Otherwise it behaves exactly like Spiff's.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition


class ProcflowMessageEventDefinition(MessageEventDefinition):
    """A Spiff message event that merges its payload into the data when no message variable is named."""

    def throw(self, my_task: Any) -> None:
        if self.expression is not None:
            super().throw(my_task)
            return
        event = BpmnEvent(self, payload=deepcopy(my_task.data), correlations={})
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

"""A process's own start events, and starting a new case at one of them (its message, signal or timer came).

A process may have several start events: a clerk opens the case by hand (a plain start event), or a message
from another agency opens it (a message start event). SpiffWorkflow joins them after a split that lets the
first to complete win and cancels the others; in a new workflow the plain one always completes first. So a
case started by an event must choose its start event before it first runs: :func:`prime_start_event` marks
the chosen one as having caught its event (with the event's payload) and cancels the others.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import ReceiveTask
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState


def top_start_events(spec: Any) -> list[Any]:
    """The start events of the process itself, in document order: its start events, or the receive tasks that
    instantiate a process without one (``instantiate="true"``); not the triggers of its event sub-processes."""
    found: list[Any] = []
    for output in spec.start.outputs:
        found.extend(output.outputs if isinstance(output, StartEventSplit) else [output])
    return [output for output in found if isinstance(output, StartEvent | ReceiveTask)]


def prime_start_event(workflow: Any, element_id: str, event: BpmnEvent | None = None) -> bool:
    """Make the start event ``element_id`` of a workflow that has not run yet the one that starts it.

    With ``event`` (a message or signal), the start event catches it as if it had waited for it (its payload
    lands in the data as usual); without, its timer counts as fired. The process's other start events are
    cancelled. A timer start event is marked before the workflow first runs: a timer asked even once would
    fire by itself, and a cycle whose start is past would catch up inside the case. A cycle timer predicts no
    children (it adds them each time it fires and keeps waiting): they are added here, so the start event
    completes once and the cycle never runs inside the case. Returns False if the workflow has no such event.
    """
    starts = {spec.name for spec in top_start_events(workflow.spec)}
    tasks = [t for t in workflow.tasks.values()
             if t.task_spec.name in starts and not t.has_state(TaskState.FINISHED_MASK)]
    chosen = next((t for t in tasks if t.task_spec.bpmn_id == element_id), None)
    if chosen is None:
        return False
    for other in tasks:
        if other is not chosen:
            other.cancel()
    definition = chosen.task_spec.event_definition
    if event is not None:
        definition.catch(chosen, event)
    else:
        _add_cycle_children(chosen, definition)
    chosen._set_internal_data(event_fired=True)
    return True


def _add_cycle_children(task: Any, definition: Any) -> None:
    if isinstance(definition, CycleTimerEventDefinition) and not task.children:
        for output in task.task_spec.outputs:
            child = task._add_child(output, TaskState.FUTURE)
            child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)

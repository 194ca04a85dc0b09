"""Scopes: event sub-processes, interruption, and how a (sub-)process decides it is finished.

An event sub-process belongs to a scope (a process or a sub-process). While the scope runs, an
``EventSubprocessTrigger`` task waits in it for the sub-process's start event (error, escalation,
signal, message, timer or condition). When the event comes:

* an interrupting trigger cancels everything else in the scope at once, then runs the event
  sub-process; the scope ends when it ends, and the flow continues after the scope;
* a non-interrupting trigger runs the event sub-process beside the scope's other work and, for
  message, signal and escalation triggers, waits for the next occurrence.

Triggers live in the scope's own workflow, so errors and escalations thrown inside it find them
(``engine.bpmn.events``). A scope completes when nothing but idle triggers is left in it; the
triggers are then cancelled (SpiffWorkflow would wait for them forever). The event sub-process's own
start event only passes the token on: its trigger has already caught the event.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter, EventConverter
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    EscalationEventDefinition,
    SignalEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.serializer.task_spec import SubWorkflowTaskConverter
from SpiffWorkflow.spiff.specs.defaults import (
    CallActivity,
    SubWorkflowTask,
    TransactionSubprocess,
)
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.bpmn import io_mapping
from engine.bpmn.cancellation import CancelSafeCatchMixin, cancel_scope

# Triggers that wait for the next occurrence after a non-interrupting event sub-process started;
# timers and conditions trigger once per scope (a cycle timer repeats by itself).
REARMING = (MessageEventDefinition, SignalEventDefinition, EscalationEventDefinition)


class EventSubprocessTrigger(CancelSafeCatchMixin, CatchingEvent, BpmnSpecMixin):
    """Waits in a scope for the start event of one of its event sub-processes (named after that start event)."""

    def __init__(self, wf_spec: Any, bpmn_id: str, event_definition: Any, interrupting: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, event_definition, **kwargs)
        self.interrupting = interrupting

    def _predict_hook(self, my_task: Any) -> None:
        """Predict nothing: the event sub-process exists only once triggered, and must not hold the scope open."""

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)
        if self.interrupting:
            cancel_scope(my_task.workflow, spare=lambda task: task is my_task or task.is_descendant_of(my_task))

    def _run_hook(self, my_task: Any) -> bool:
        super()._run_hook(my_task)
        if isinstance(self.event_definition, CycleTimerEventDefinition):
            return True  # each cycle already started its own event sub-process
        for output in self.outputs:
            child = my_task._add_child(output, TaskState.FUTURE)
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        if not self.interrupting and isinstance(self.event_definition, REARMING):
            again = my_task._add_child(self, TaskState.FUTURE)
            again.triggered = True  # kept by _sync_children although not an output
        return True


def is_idle_trigger(task: Any) -> bool:
    """True for a trigger still waiting for its event."""
    return isinstance(task.task_spec, EventSubprocessTrigger) and not task.has_state(
        TaskState.READY | TaskState.FINISHED_MASK)


class EventSubprocessStart(StartEvent):
    """The start event inside an event sub-process: its trigger already caught the event, so it passes on."""

    def _update_hook(self, my_task: Any) -> Any:
        my_task._set_internal_data(event_fired=True)
        return super()._update_hook(my_task)

    def _predict_hook(self, my_task: Any) -> None:
        super(CatchingEvent, self)._predict_hook(my_task)  # always predict the flow on (even for a cycle timer)


class ScopeEndJoin(_EndJoin):
    """Ends a (sub-)process when only idle event sub-process triggers are left, cancelling them."""

    def _check_threshold_unstructured(self, my_task: Any) -> bool:
        pending = TaskIterator(my_task.workflow.task_tree, state=TaskState.NOT_FINISHED_MASK, end_at_spec=self.name)
        return all(task is my_task or is_idle_trigger(task) for task in pending)

    def _run_hook(self, my_task: Any) -> Any:
        cancel_scope(my_task.workflow, spare=lambda task: not is_idle_trigger(task))
        return super()._run_hook(my_task)


def replace_end_join(spec: Any) -> None:
    """Give a freshly created process spec a ``ScopeEndJoin`` in place of SpiffWorkflow's end join."""
    old = spec.end
    end = old.outputs[0]
    del spec.task_specs[old.name]
    spec.end = ScopeEndJoin(spec, old.name)
    end.inputs = []
    spec.end.connect(end)


class CancelSafeSubworkflowMixin:
    """A sub-process that stays cancelled when its sub-workflow reports completion after an interruption."""

    def _on_subworkflow_completed(self, subworkflow: Any, my_task: Any) -> None:
        if not my_task.has_state(TaskState.FINISHED_MASK):
            super()._on_subworkflow_completed(subworkflow, my_task)  # type: ignore[misc]


class ProcflowSubWorkflowTask(CancelSafeSubworkflowMixin, SubWorkflowTask):
    """An embedded sub-process."""


class ProcflowCallActivity(CancelSafeSubworkflowMixin, CallActivity):
    """A call activity; its ``camunda:in``/``out`` or ``zeebe:ioMapping`` decide what passes (io_mapping)."""

    def copy_data(self, my_task: Any, subworkflow: Any) -> None:
        mapping = io_mapping.mapping_of(self)
        if mapping is None:
            return super().copy_data(my_task, subworkflow)
        start = subworkflow.get_next_task(subworkflow.task_tree, skip_subprocesses=True, spec_name="Start")
        with _located(my_task, "camunda:in/zeebe:input"):
            start.set_data(**deepcopy(io_mapping.call_inputs(mapping, my_task.data, _evaluator(my_task))))
        return None

    def update_data(self, my_task: Any, subworkflow: Any) -> None:
        mapping = io_mapping.mapping_of(self)
        if mapping is None:
            return super().update_data(my_task, subworkflow)
        child = deepcopy(subworkflow.last_task.data)
        with _located(my_task, "camunda:out/zeebe:output"):
            my_task.data = io_mapping.call_outputs(mapping, my_task.data, child, _evaluator(my_task))
        return None


@contextmanager
def _located(my_task: Any, what: str) -> Iterator[None]:
    """A mapping that cannot be evaluated puts the call activity in error, named, like a failing script."""
    try:
        yield
    except WorkflowTaskException:
        raise
    except Exception as exc:
        my_task._set_state(TaskState.ERROR)
        raise WorkflowTaskException(f"{what} of {my_task.task_spec.bpmn_id} cannot be evaluated: {exc}",
                                    task=my_task, exception=exc) from exc


def _evaluator(my_task: Any) -> io_mapping.Evaluate:
    """Evaluates a mapping's source over some data with the case's script engine (sandboxed)."""
    engine = my_task.workflow.script_engine
    return lambda source, data: engine.evaluate_data(source, data)


class ProcflowTransactionSubprocess(CancelSafeSubworkflowMixin, TransactionSubprocess):
    """A transaction sub-process."""


class EventSubprocessTriggerConverter(EventConverter):
    """Serializes an ``EventSubprocessTrigger`` with whether it interrupts."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["interrupting"] = spec.interrupting
        return dct


# Spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {
    EventSubprocessTrigger: EventSubprocessTriggerConverter,
    EventSubprocessStart: EventConverter,
    ScopeEndJoin: BpmnTaskSpecConverter,
    ProcflowSubWorkflowTask: SubWorkflowTaskConverter,
    ProcflowCallActivity: SubWorkflowTaskConverter,
    ProcflowTransactionSubprocess: SubWorkflowTaskConverter,
}

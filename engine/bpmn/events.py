"""Throwing and catching BPMN events the way procflow does it, on top of SpiffWorkflow's event specs.

* Errors and escalations travel up the scopes, as BPMN says: from the throwing task to the boundary
  events attached to it, then to the event sub-processes of its (sub-)process, then to the boundary
  events of the activity that runs that (sub-)process, and so on up to the process. The first level
  that has a matching catcher takes the event (a catcher naming the code before a catch-all one).
  SpiffWorkflow instead offers them to every waiting catcher of a workflow, so an error thrown by an
  end event could be caught by the boundary event of an unrelated task next to it.
* An error nobody catches fails the step: the instance goes to ``error`` (an incident someone must look
  at) instead of completing as if nothing had happened. An escalation nobody catches is ignored.
* Scripts raise ``BpmnError("CODE")`` to throw a BPMN error from a script task.
* An interrupting boundary event cancels its activity the moment it is triggered, so a sub-process
  cannot run on (or finish normally) after it threw the event that interrupts it.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer.default.task_spec import BoundaryEventConverter, EventConverter
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    EventBasedGateway,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
)
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    CodeEventDefinition,
    ErrorEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.serializer.task_spec import ScriptTaskConverter, SendReceiveTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ReceiveTask, ScriptTask
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition as SpiffErrorEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.cancellation import CancelSafeCatchMixin, cancel_branch
from engine.bpmn.scopes import EventSubprocessTrigger

UNCAUGHT_ERROR_PREFIX = "uncaught BPMN error"


class BpmnError(Exception):  # named as in BPMN and in other engines' script APIs
    """Raised by a script to throw the BPMN error ``code`` from its script task."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message


class UncaughtBpmnError(WorkflowTaskException):
    """A BPMN error reached the process level without meeting a catching event."""


# -- delivery ---------------------------------------------------------------------------------------
def throw(my_task: Any, definition: Any) -> None:
    """Throw the event ``definition`` from ``my_task``: errors and escalations by scope, the rest as Spiff does."""
    if isinstance(definition, MultipleEventDefinition):
        for one in definition.event_definitions:
            throw(my_task, one)
    elif isinstance(definition, CodeEventDefinition):
        throw_code_event(my_task, definition, _payload(my_task, definition))
    else:
        definition.throw(my_task)


def throw_code_event(my_task: Any, definition: Any, payload: Any) -> None:
    """Deliver an error or escalation to the nearest scope that catches it; fail the step on an uncaught error."""
    event = BpmnEvent(definition, payload=payload, target=my_task.workflow)
    if propagate(my_task, event) or not isinstance(definition, ErrorEventDefinition):
        return
    code = definition.code or definition.name
    raise UncaughtBpmnError(f"{UNCAUGHT_ERROR_PREFIX} {code!r} thrown by {my_task.task_spec.bpmn_id}: no boundary "
                            f"event or event sub-process catches it", task=my_task)


def propagate(thrower: Any, event: Any) -> bool:
    """Offer ``event`` scope by scope, from ``thrower`` up to the process; return True once one caught it."""
    activity = thrower
    while activity is not None:
        catcher = best_catcher(boundary_catchers(activity, event)) or best_catcher(
            scope_catchers(activity.workflow, event))
        if catcher is not None:
            catcher.task_spec.catch(catcher, event)
            catcher.task_spec._update(catcher)
            return True
        activity = calling_task(activity.workflow)
    return False


def boundary_catchers(activity: Any, event: Any) -> list[Any]:
    """The waiting boundary events attached to ``activity`` (or to the loop that runs it) that catch ``event``."""
    split = activity.parent
    if split is not None and isinstance(split.task_spec, LoopTask):
        split = split.parent
    if split is None or not isinstance(split.task_spec, BoundaryEventSplit):
        return []
    return [task for task in split.children if isinstance(task.task_spec, BoundaryEvent)
            and task.has_state(TaskState.WAITING) and task.task_spec.event_definition.catches(task, event)]


def scope_catchers(workflow: Any, event: Any) -> list[Any]:
    """The waiting event sub-process triggers of ``workflow`` that catch ``event``."""
    return [task for task in workflow.top_workflow.event_manager.tasks.values()
            if task.workflow is workflow and isinstance(task.task_spec, EventSubprocessTrigger)
            and task.task_spec.event_definition.catches(task, event)]


def best_catcher(catchers: list[Any]) -> Any:
    """The catcher that names the event's code, else a catch-all one, else None."""
    named = [task for task in catchers if getattr(task.task_spec.event_definition, "code", None) is not None]
    return (named or catchers or [None])[0]


def calling_task(workflow: Any) -> Any:
    """The task that runs ``workflow`` in its parent (a sub-process or call activity), or None at the top."""
    if workflow.parent_task_id is None:
        return None
    return workflow.top_workflow.get_task_from_id(workflow.parent_task_id)


def _payload(my_task: Any, definition: Any) -> Any:
    """What SpiffWorkflow's item-aware events carry: the value of the event's payload expression, if any."""
    expression = getattr(definition, "expression", None)
    return my_task.workflow.script_engine.evaluate(my_task, expression) if expression else None


# -- throwing specs ----------------------------------------------------------------------------------
class ScopedThrowMixin:
    """A throwing event whose errors and escalations are delivered by scope."""

    event_definition: Any

    def _run_hook(self, my_task: Any) -> bool:
        super(ThrowingEvent, self)._run_hook(my_task)  # type: ignore[misc]  # the hooks below Spiff's throw
        throw(my_task, self.event_definition)
        return True


class ProcflowEndEvent(ScopedThrowMixin, EndEvent):
    """An end event; error and escalation end events throw by scope."""


class ProcflowIntermediateThrowEvent(ScopedThrowMixin, IntermediateThrowEvent):
    """An intermediate throw event; escalations throw by scope."""


class ProcflowScriptTask(ScriptTask):
    """A script task whose script may raise ``BpmnError`` to throw a BPMN error."""

    def _execute(self, task: Any) -> Any:
        try:
            return task.workflow.script_engine.execute(task, self.script, external_context={"BpmnError": BpmnError})
        except WorkflowTaskException as exc:
            error = bpmn_error_in(exc)
            if error is None:
                raise
        definition = SpiffErrorEventDefinition(error.code, code=error.code, description="Error")
        throw_code_event(task, definition, {"code": error.code, "message": error.message})
        return True


def bpmn_error_in(exc: BaseException) -> BpmnError | None:
    """The ``BpmnError`` a script raised, found in the chain of exceptions SpiffWorkflow wrapped it in."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, BpmnError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# -- catching specs ----------------------------------------------------------------------------------
class ProcflowIntermediateCatchEvent(CancelSafeCatchMixin, IntermediateCatchEvent):
    """An intermediate catch event that stays cancelled once cancelled."""


class ProcflowEventBasedGateway(CancelSafeCatchMixin, EventBasedGateway):
    """An event-based gateway that stays cancelled once cancelled."""


class ProcflowReceiveTask(CancelSafeCatchMixin, ReceiveTask):
    """A receive task that stays cancelled once cancelled."""


class ProcflowBoundaryEvent(CancelSafeCatchMixin, BoundaryEvent):
    """A boundary event; an interrupting one cancels its activity as soon as it is triggered."""

    def _on_ready_hook(self, my_task: Any) -> None:
        super()._on_ready_hook(my_task)
        if self.cancel_activity:
            activity = attached_activity(my_task)
            if activity is not None and activity.has_state(TaskState.NOT_FINISHED_MASK):
                cancel_branch(activity)


def attached_activity(boundary_task: Any) -> Any:
    """The activity a boundary event task is attached to (the other child of their split), or None."""
    split = boundary_task.parent
    for task in split.children if split is not None else []:
        if not isinstance(task.task_spec, BoundaryEvent):
            return task
    return None


# Spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {
    ProcflowEndEvent: EventConverter,
    ProcflowIntermediateThrowEvent: EventConverter,
    ProcflowIntermediateCatchEvent: EventConverter,
    ProcflowEventBasedGateway: EventConverter,
    ProcflowBoundaryEvent: BoundaryEventConverter,
    ProcflowReceiveTask: SendReceiveTaskConverter,
    ProcflowScriptTask: ScriptTaskConverter,
}

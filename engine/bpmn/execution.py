"""Driving a SpiffWorkflow workflow one step: run engine tasks, collect what completed, catch failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.stepping import do_engine_steps
from engine.persistence.db import raise_if_unavailable

# A timer refresh can make new tasks READY; a model whose steps never settle is a model error.
MAX_SETTLE_ROUNDS = 1000


@dataclass(frozen=True)
class CompletedElement:
    """A BPMN element that completed during a step."""

    task_id: str
    element_id: str
    element_type: str
    name: str | None


@dataclass(frozen=True)
class StepFailure:
    """Where and why a step failed."""

    element_id: str | None
    task_id: str | None
    message: str


@dataclass
class StepOutcome:
    """What a step did."""

    completed: list[CompletedElement] = field(default_factory=list)
    failure: StepFailure | None = None


def element_of(task: Any) -> CompletedElement:
    """Describe the BPMN element behind ``task``."""
    spec = task.task_spec
    return CompletedElement(str(task.id), spec.bpmn_id, type(spec).__name__, getattr(spec, "bpmn_name", None))


def run_until_waiting(workflow: BpmnWorkflow, outcome: StepOutcome | None = None) -> StepOutcome:
    """Run every READY engine task (scripts, gateways, due timers) until only people or time can move it."""
    outcome = outcome or StepOutcome()

    def record(task: Any) -> None:
        if task.task_spec.bpmn_id is not None and task.has_state(TaskState.COMPLETED):
            outcome.completed.append(element_of(task))

    try:
        for _ in range(MAX_SETTLE_ROUNDS):
            do_engine_steps(workflow, did_complete_task=record)
            if not any(not t.task_spec.manual for t in tasks_in_state(workflow, TaskState.READY)):
                break
        else:
            raise SpiffWorkflowException("the workflow keeps producing engine tasks and never settles")
    except Exception as exc:  # any failure of model code becomes the error state
        outcome.failure = failure_from(exc, workflow)
    return outcome


def complete_human_task(workflow: BpmnWorkflow, task: Any, data: dict[str, Any]) -> StepOutcome:
    """Merge ``data`` into a READY user/manual task, complete it and run the workflow on."""
    outcome = StepOutcome()
    DeepMerge.merge(task.data, data)  # a form group with a path gives a nested object: merge, do not replace
    try:
        task.run()
    except Exception as exc:  # e.g. a failing post-script on the task
        outcome.failure = failure_from(exc, workflow)
        return outcome
    outcome.completed.append(element_of(task))
    return run_until_waiting(workflow, outcome)


def failure_from(exc: Exception, workflow: BpmnWorkflow) -> StepFailure:
    """Turn an exception raised while running model code into a located failure.

    Raises:
        Unavailable: the exception is the database failing for a moment (met by a script or a timer that
            reads the calendar): the step is rolled back to be tried again, the case is not put into error.
    """
    raise_if_unavailable(exc)
    task = getattr(exc, "task", None)
    if task is None:
        errored = workflow.get_tasks(state=TaskState.ERROR)
        task = errored[0] if errored else None
    element = task.task_spec.bpmn_id if task is not None else None
    message = str(exc).strip() or type(exc).__name__
    return StepFailure(element, str(task.id) if task is not None else None, message)


def reset_errored(workflow: BpmnWorkflow) -> int:
    """Put every task in ERROR back to READY so the step can run again; return how many."""
    errored = workflow.get_tasks(state=TaskState.ERROR)
    for task in errored:
        task._set_state(TaskState.READY)
    return len(errored)


def tasks_in_state(workflow: BpmnWorkflow, state: int) -> list[Any]:
    """Every task of the workflow and its subprocesses in ``state``, in creation order.

    A plain scan of the task tables: pruning keeps them small, and it is much cheaper than walking the
    tree with SpiffWorkflow's iterator, which the engine would otherwise do several times a step.
    """
    found = [t for t in workflow.tasks.values() if t.state & state]
    for sub in workflow.subprocesses.values():
        found.extend(t for t in sub.tasks.values() if t.state & state)
    return found


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Any]:
    """The user and manual tasks waiting for a person, in the workflow and its subprocesses."""
    return [t for t in tasks_in_state(workflow, TaskState.READY) if t.task_spec.manual]


def current_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The instance's data as a person would describe it now."""
    if workflow.completed:
        return dict(workflow.data)
    if workflow.last_task is not None:
        return dict(workflow.last_task.data)
    return dict(workflow.data)

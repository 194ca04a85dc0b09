"""The engine's step loop: SpiffWorkflow's ``do_engine_steps``, re-checking each task before running it.

``BpmnWorkflow.do_engine_steps`` collects the READY tasks of a (sub)workflow and then runs them one
after the other. When an interrupting event cancels a scope in the middle of that list (an error
thrown by one branch ends the sub-process, a signal interrupts it), the tasks already collected
would still run, and a cancelled gateway would even rebuild its children. procflow's events cancel
synchronously (see ``engine.bpmn.events``), so the loop skips any task that is no longer READY by
the time its turn comes, and due timers are refreshed only on tasks still waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

TaskCallback = Callable[[Any], None]
_TIMED = (TimerEventDefinition, MultipleEventDefinition)


def do_engine_steps(workflow: Any, did_complete_task: TaskCallback | None = None) -> None:
    """Run READY engine tasks everywhere in ``workflow`` until none is left, then let due timers fire."""
    while _engine_pass(workflow, did_complete_task):
        pass
    refresh_timers(workflow)


def refresh_timers(workflow: Any) -> None:
    """Let every timer that is still waiting check whether it is due."""
    for task in list(workflow.event_manager.tasks.values()):
        if task.has_state(TaskState.WAITING) and isinstance(task.task_spec.event_definition, _TIMED):
            task.task_spec._update(task)


def _engine_pass(workflow: Any, did_complete_task: TaskCallback | None) -> bool:
    """One pass: the deepest sub-processes first, then the top workflow; True if anything moved."""
    active = workflow.get_active_subprocesses()
    for subprocess in sorted(active, key=lambda sub: sub.depth, reverse=True):
        while _run_ready(subprocess, did_complete_task):
            pass
        parent = workflow.get_task_from_id(subprocess.parent_task_id)
        if parent is not None and not parent.has_state(TaskState.FINISHED_MASK):
            parent.task_spec._update(parent)
    moved = _run_ready(workflow, did_complete_task)
    return moved > 0 or len(workflow.get_active_subprocesses()) > len(active)


def _run_ready(workflow: Any, did_complete_task: TaskCallback | None) -> int:
    """Run the READY engine tasks of one (sub)workflow; return how many ran."""
    count = 0
    for task in _ready_engine_tasks(workflow):
        if not task.has_state(TaskState.READY):
            continue  # cancelled by an event since the list was made
        task.run()
        count += 1
        if did_complete_task is not None:
            did_complete_task(task)
    return count


def _ready_engine_tasks(workflow: Any) -> list[Any]:
    """The READY tasks no person works on, in the tree's depth-first order (as SpiffWorkflow runs them).

    Most passes find none or one, which a scan of the task table finds far more cheaply than a walk of
    the tree; only when several are READY at once does their order matter, and the tree gives it.
    """
    ready = [t for t in workflow.tasks.values() if t._state & TaskState.READY and not t.task_spec.manual]
    if len(ready) > 1:
        ready = [t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual]
    return ready

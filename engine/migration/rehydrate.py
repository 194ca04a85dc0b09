"""Putting one case's live workflow onto another version's spec, keeping where it stands.

The workflow is restored with the version it runs on; then each task takes the new version's spec of its element
(through the plan's mapping), each live sub-process the new spec of its sub-process, finished tasks whose element
is gone are spliced out of the tree (their children re-attached to their parent), and the paths ahead of every
active task are predicted again from the new model. Active tasks keep their ids, data and state, so inbox rows,
claims and history still name them. A waiting timer whose definition changed forgets its due moment and computes
it again from the new definition when the case next runs (from the moment of the migration); an unchanged timer
keeps its due moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.errors import InvalidState
from engine.i18n import N_
from engine.migration.plan import ACTIVE, MigrationPlan
from engine.runtime.specs import LoadedSpec

_AHEAD = TaskState.PREDICTED_MASK | TaskState.FUTURE


@dataclass
class Moved:
    """What re-hydration did to a case: the active elements before and after, and timers recomputed."""

    moves: list[dict[str, str]] = field(default_factory=list)  # {task_id, from, to} of active tasks
    timers_reset: list[str] = field(default_factory=list)


def rehydrate(workflow: BpmnWorkflow, plan: MigrationPlan, new: LoadedSpec) -> Moved:
    """Move ``workflow`` (restored on the old version) onto ``new`` in place, as ``plan`` maps its elements.

    Raises:
        InvalidState: an active task's element has no counterpart in its (sub-)process of the new version.
    """
    moved = Moved()
    _move(workflow, new.spec, plan, moved)
    done: set[UUID] = set()
    pending = dict(workflow.subprocesses)
    while pending:  # parents first: a sub-process takes the spec its (already moved) parent task names
        ready = {sid: sub for sid, sub in pending.items() if _parent_spec(workflow, sid, done) is not None}
        if not ready:
            raise InvalidState(N_("the sub-processes of this case cannot be placed in the new version"))
        for sid, sub in ready.items():
            name = _parent_spec(workflow, sid, done)
            spec = new.subprocess_specs.get(name) if name is not None else None
            if spec is None:
                raise InvalidState(N_("no sub-process {element_id} in version {version}"), element_id=name,
                                   version=new.version)
            _move(sub, spec, plan, moved)
            done.add(sid)
            del pending[sid]
    for sub in (workflow, *workflow.subprocesses.values()):
        _predict_again(sub)
    return moved


def _parent_spec(workflow: BpmnWorkflow, sub_id: UUID, done: set[UUID]) -> str | None:
    """The sub-process spec name the task owning ``sub_id`` names, once that task is on the new spec."""
    if sub_id in workflow.tasks:
        return str(workflow.tasks[sub_id].task_spec.spec)
    for sid in done:
        owner = workflow.subprocesses[sid]
        if sub_id in owner.tasks:
            return str(owner.tasks[sub_id].task_spec.spec)
    return None


def _move(workflow: Any, spec: Any, plan: MigrationPlan, moved: Moved) -> None:
    """Give every task of one (sub-)workflow the new spec of its element; splice out finished orphans."""
    workflow.spec = spec
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks:
            continue
        old = task.task_spec
        target = plan.target(old.name)
        new_spec = spec.task_specs.get(target)
        if new_spec is None:
            if task.has_state(ACTIVE):
                raise InvalidState(N_("{element_id} has no counterpart in version {version}"),
                                   element_id=old.name, version=plan.to_version)
            if not task.has_state(TaskState.FINISHED_MASK):
                _drop(workflow, task)
            elif task.parent is not None:
                _splice(workflow, task)
            continue
        if task.has_state(ACTIVE) and getattr(old, "bpmn_id", None) is not None:
            moved.moves.append({"task_id": str(task.id), "from": old.name, "to": new_spec.name})
        if task.has_state(TaskState.WAITING) and _timer_changed(old, new_spec):
            task.internal_data.pop("event_value", None)
            moved.timers_reset.append(new_spec.name)
        task.task_spec = new_spec


def _timer_changed(old: Any, new: Any) -> bool:
    before, after = getattr(old, "event_definition", None), getattr(new, "event_definition", None)
    if before is None or after is None or not hasattr(before, "expression"):
        return False
    return bool(type(before) is not type(after) or before.expression != getattr(after, "expression", None))


def _splice(workflow: Any, task: Any) -> None:
    """Remove a finished task whose element is gone, re-attaching its children to its parent."""
    parent = task.parent
    place = parent._children.index(task.id)
    parent._children[place:place + 1] = task._children
    for child_id in task._children:
        workflow.tasks[child_id]._parent = parent.id
    del workflow.tasks[task.id]
    if workflow.last_task is task:
        workflow.last_task = parent


def _drop(workflow: Any, task: Any) -> None:
    """Remove a predicted task (and what was predicted under it) whose element is gone."""
    if task.id in workflow.tasks:
        workflow._remove_task(task.id)


def _predict_again(workflow: Any) -> None:
    """Predict the path ahead of each active task from the new model."""
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks or not task.has_state(ACTIVE):
            continue
        for child in list(task.children):
            if child.has_state(_AHEAD):
                workflow._remove_task(child.id)
        task.task_spec._predict_hook(task)
        for child in task.children:
            if child.has_state(_AHEAD):
                child.task_spec._predict(child, mask=_AHEAD)

"""Keep live workflow state small by dropping finished tasks the engine no longer needs.

SpiffWorkflow keeps every completed task in the task tree. A procedure that loops (a draft
returned again and again, a weekly report for a year) makes the tree deeper at each round: the
saved state grows, every step costs more, and past ~1,000 levels ``do_engine_steps`` stops
finding READY tasks. procflow records each completed task in SQL history as it happens, so the
tree only has to keep what the engine itself still reads:

* the root, every unfinished task, and the ``last_task`` of each (sub)workflow;
* the parent of every unfinished task (data is inherited from it; joins look at it);
* the split a structured join waits on (``find_ancestor(split_task)``);
* every child of an unfinished task (loop and multi-instance tasks count their children).

Everything else is spliced out: kept tasks are re-attached to their nearest kept ancestor, which
preserves every ancestor/descendant relation between kept tasks. Subprocess workflows belonging
to removed tasks are dropped with them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState


def prune_workflow(workflow: Any) -> int:
    """Prune the top workflow and all of its live subprocesses; return how many tasks were removed."""
    removed = 0
    for sub in list(workflow.subprocesses.values()):
        removed += _prune_one(sub, workflow)
    removed += _prune_one(workflow, workflow)
    return removed


def _keep_set(workflow: Any, top: Any) -> set[UUID]:
    keep: set[UUID] = {workflow.task_tree.id}
    if workflow.last_task is not None:
        keep.add(workflow.last_task.id)
    for task in workflow.tasks.values():
        if task.has_state(TaskState.FINISHED_MASK) and not task.has_state(TaskState.ERROR):
            continue
        keep.add(task.id)
        keep.update(task._children)
        if task._parent is not None:
            keep.add(task._parent)
        split = getattr(task.task_spec, "split_task", None)
        if split:
            ancestor = task.find_ancestor(split)
            if ancestor is not None:
                keep.add(ancestor.id)
    return keep


def _prune_one(workflow: Any, top: Any) -> int:
    keep = _keep_set(workflow, top)
    if len(keep) == len(workflow.tasks):
        return 0
    removed = [tid for tid in workflow.tasks if tid not in keep]
    _relink(workflow, keep)
    for tid in removed:
        del workflow.tasks[tid]
        _drop_subprocess(top, tid)
    return len(removed)


def _relink(workflow: Any, keep: set[UUID]) -> None:
    """Re-attach every kept task to its nearest kept ancestor, preserving child order."""
    tasks = workflow.tasks
    root = workflow.task_tree
    new_children: dict[UUID, list[UUID]] = {tid: [] for tid in keep}
    # Iterative depth-first walk: (task id, nearest kept ancestor id).
    stack: list[tuple[UUID, UUID]] = [(cid, root.id) for cid in reversed(root._children)]
    while stack:
        tid, kept_parent = stack.pop()
        task = tasks[tid]
        if tid in keep:
            task._parent = kept_parent
            new_children[kept_parent].append(tid)
            anchor = tid
        else:
            anchor = kept_parent
        stack.extend((cid, anchor) for cid in reversed(task._children) if cid in tasks)
    for tid, children in new_children.items():
        tasks[tid]._children = children


def _drop_subprocess(top: Any, task_id: UUID) -> None:
    sub = top.subprocesses.pop(task_id, None)
    if sub is None:
        return
    for tid in list(sub.tasks):
        _drop_subprocess(top, tid)

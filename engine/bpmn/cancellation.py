"""Cancelling part of a running workflow at once, as interrupting events do.

SpiffWorkflow's ``Task.cancel`` drops a task's unfinished children without cancelling them, so a
multi-instance sub-process cancelled that way would leave its instances' sub-workflows running.
Here every unfinished task of a branch is cancelled from the leaves up, so each one gets its own
``_on_cancel`` (sub-processes cancel their sub-workflows, waiting events stop listening).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from SpiffWorkflow.util.task import TaskIterator, TaskState


def cancel_branch(task: Any) -> None:
    """Cancel ``task`` and every unfinished task below it, the deepest first."""
    cancel_all(TaskIterator(task))


def cancel_scope(workflow: Any, spare: Callable[[Any], bool]) -> None:
    """Cancel every unfinished task of ``workflow`` (not of its sub-workflows) for which ``spare`` is false."""
    cancel_all(task for task in TaskIterator(workflow.task_tree) if not spare(task))


def cancel_all(tasks: Iterable[Any]) -> None:
    """Cancel the unfinished ``tasks``, children before parents, skipping any already gone."""
    for task in reversed(list(tasks)):
        if task.id in task.workflow.tasks and task.has_state(TaskState.NOT_FINISHED_MASK):
            task.cancel()


class CancelSafeCatchMixin:
    """A catching event that ignores events and updates once it is finished (e.g. cancelled by an interruption).

    SpiffWorkflow delivers a broadcast event to every catcher it found before delivering to the first;
    when the first one interrupts the scope of another, the other must not come back to life.
    """

    def catch(self, my_task: Any, event: Any) -> None:
        if not my_task.has_state(TaskState.FINISHED_MASK):
            super().catch(my_task, event)  # type: ignore[misc]

    def _update_hook(self, my_task: Any) -> Any:
        if my_task.has_state(TaskState.FINISHED_MASK):
            return False
        return super()._update_hook(my_task)  # type: ignore[misc]

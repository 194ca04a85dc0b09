"""Which open task a user may work on, by the engine's own rule, and what to say when a task is gone.

``Queries.tasks(user=...)`` lists exactly the tasks a user may work on (assigned to them, or offered to them,
to one of their groups or to everyone); cases follow the engine's case-visibility rule (``CaseService``).
"""

from __future__ import annotations

from flask_babel import gettext as _

from engine.cases.queries import TaskView
from engine.errors import NotFound, PermissionDenied
from web.extensions import WebUser, services
from web.i18n import local_time


def open_task(user: WebUser, instance_id: int, task_id: str) -> TaskView:
    """The open task ``task_id`` of case ``instance_id`` if ``user`` may work on it.

    Raises:
        PermissionDenied: the task is open but for other people.
        NotFound: no such open task (it may have been completed meanwhile).
    """
    queries = services().queries
    for task in queries.tasks(user=user.username, instance_id=instance_id):
        if task.id == task_id:
            return task
    if any(task.id == task_id for task in queries.tasks(instance_id=instance_id)):
        raise PermissionDenied(_("This task is for other people or groups."))
    raise NotFound(completed_message(instance_id, task_id) or _("This task does not exist or is no longer open."))


def completed_message(instance_id: int, task_id: str) -> str | None:
    """Who completed ``task_id`` and when, as a sentence; None if it was not completed."""
    for event in services().queries.history(instance_id):
        if event.kind == "task_completed" and event.task_id == task_id:
            return _("This task was already completed by %(who)s at %(when)s.", who=event.actor or "?",
                     when=local_time(event.at))
    return None

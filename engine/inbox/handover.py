"""When an official leaves: deactivating them hands their open personal tasks to the head of their unit.

A deactivated user cannot sign in and their sessions end (the ``end_sessions`` hook), but their row stays, so
the history of every case they worked on keeps their name. Reactivating them gives nothing back: the tasks stay
with whoever has them now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.notify import wording
from engine.notify.mail import notify
from engine.org.people import set_active
from engine.org.service import head_for
from engine.persistence import repository
from engine.persistence.models import InboxTask, TaskCandidateGroup
from engine.runtime.core import Runtime, Step
from engine.runtime.inbox_rows import EVERYONE, USER_PREFIX


@dataclass
class Departure:
    """What deactivating a user did: who got their tasks (None: nobody, offered to the tasks' groups again)."""

    username: str
    was_active: bool
    handed_to: str | None = None
    tasks: list[str] = field(default_factory=list)


class Departures:
    """Deactivates and reactivates users; one transaction each, tasks handed over in the same one."""

    def __init__(self, *, runtime: Runtime, end_sessions: Callable[[str], Any] | None = None) -> None:
        """``end_sessions(username)`` ends the user's server-side sessions (engine/org's session store, when
        there is one); without it, the web app already refuses an inactive user on their next request."""
        self.runtime = runtime
        self.end_sessions = end_sessions

    def deactivate(self, username: str, *, by: str | None) -> Departure:
        """Deactivate ``username``: they can no longer sign in, and their open tasks go to their unit's head.

        Raises:
            NotFound: no such user.
        """
        with self.runtime.transaction() as step:
            now = self.runtime.clock.now()
            head = head_for(step.conn, username)
            was_active = set_active(step.conn, username, False, now)
            result = Departure(username, was_active, head)
            for task in _personal_tasks(step.conn, username):
                self._hand_over(step, task, username, head, by)
                result.tasks.append(task.id)
        if self.end_sessions is not None:
            self.end_sessions(username)
        return result

    def reactivate(self, username: str) -> bool:
        """Let ``username`` sign in again; return whether they were inactive.

        Raises:
            NotFound: no such user.
        """
        with self.runtime.db.transaction() as conn:
            return not set_active(conn, username, True, self.runtime.clock.now())

    def _hand_over(self, step: Step, task: Any, username: str, head: str | None, by: str | None) -> None:
        conn, now = step.conn, self.runtime.clock.now()
        repository.lock_task(conn, task.id, head or username)  # the instance row, as a completion does
        if head is not None and head != username:
            repository.assign_task(conn, task.id, head)
            about = {"user": repository.person_name(conn, username), "task": task.name,
                     "case": repository.case_ref(conn, task.instance_id)}
            step.notifications.extend(notify(conn, [head], kind="reassigned", key=wording.HANDED_OVER, params=about,
                                             instance_id=task.instance_id, task_id=task.id, now=now))
        else:
            groups = [g for g in (task.group_codes or []) if g != USER_PREFIX + username]
            repository.assign_task(conn, task.id, None, offer_to=groups or [EVERYONE])
        repository.add_history(conn, [{"instance_id": task.instance_id, "at": now, "kind": "task_handed_over",
                                       "task_id": task.id, "element_id": task.element_id, "actor": by,
                                       "data": {"from": username, "to": head, "reason": "deactivated"}}])


def _personal_tasks(conn: Connection, username: str) -> list[Any]:
    """Open tasks assigned to ``username``, and unassigned ones offered to them alone."""
    mine = USER_PREFIX + username
    alone = (select(TaskCandidateGroup.task_id).where(TaskCandidateGroup.group_code == mine)
             .except_(select(TaskCandidateGroup.task_id).where(TaskCandidateGroup.group_code != mine)))
    query = (select(InboxTask.id, InboxTask.name, InboxTask.instance_id, InboxTask.element_id, InboxTask.group_codes)
             .where((InboxTask.assignee == username) | InboxTask.id.in_(alone)).order_by(InboxTask.created_at))
    return list(conn.execute(query))

"""Taking work: claim, unclaim and delegate open tasks, each one transaction that never races a completion.

Every command locks the task's instance row and the task row the way a completion does
(:func:`engine.persistence.repository.lock_task`), so a claim and a completion of the same task queue
instead of interleaving; the loser sees the winner's result (a Conflict naming who). Only someone who may see
the task's case learns anything about it: for anyone else the task does not exist (CaseAccess.task_case).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from engine.cases.queries import TaskView, task_view
from engine.cases.visibility import CaseAccess, no_task
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied, no_user
from engine.i18n import N_
from engine.inbox.delegates import DEFAULT_LIMIT, DelegateChoices, delegate_choices
from engine.inbox.release import returns_to
from engine.notify import wording
from engine.notify.mail import notify
from engine.persistence import repository
from engine.persistence.base import table_of
from engine.persistence.models import HistoryEvent, InboxTask, Instance
from engine.persistence.repository import OpenTask
from engine.runtime.checks import check_may_work
from engine.runtime.core import Runtime, Step
from engine.runtime.inbox_rows import EVERYONE
from engine.runtime.versions import require_version, task_version

_NAME = select(InboxTask.name).where(InboxTask.id == bindparam("task_id"))
_TASK_AND_VERSION = (select(table_of(InboxTask), Instance.lock_version)
                     .join(Instance, Instance.id == InboxTask.instance_id).where(InboxTask.id == bindparam("task_id")))
_COMPLETED = select(HistoryEvent.actor, HistoryEvent.at).where(
    HistoryEvent.task_id == bindparam("task_id"), HistoryEvent.kind == "task_completed")


class WorkService:
    """Claims, returns and hands on open tasks; records each act in the case's history."""

    def __init__(self, *, runtime: Runtime, access: CaseAccess) -> None:
        self.runtime = runtime
        self.access = access
        self.clock = runtime.clock

    def task(self, user: str, instance_id: int, task_id: str) -> tuple[TaskView, str]:
        """The open task ``task_id`` of case ``instance_id`` and its version (engine/runtime/versions.py), if
        ``user`` may see the case.

        Raises:
            NotFound: no such task in that case, or a case ``user`` may not see (the same error).
            Conflict: the task was completed (the message names by whom).
        """
        with self.runtime.db.connect() as conn:
            if self.access.task_case(conn, user, task_id) != instance_id:
                raise no_task(task_id)
            row = conn.execute(_TASK_AND_VERSION, {"task_id": task_id}).first()
            if row is None:
                raise closed_task_error(conn, task_id)
        return task_view(row), task_version(row.lock_version, row.assignee)

    def claim(self, task_id: str, user: str, *, instance_id: int | None = None, expected: str | None = None) -> None:
        """Take an unassigned task offered to ``user`` (claiming one's own task again changes nothing).

        Args:
            instance_id: the case the caller names the task by (a task of another case is as missing).
            expected: the task's version the caller read (engine/runtime/versions.py).

        Raises:
            Conflict: someone else has claimed (or completed) it; the message names them.
            PermissionDenied: the task is not offered to ``user``.
            NotFound: no such open task (of ``instance_id``), or not one of a case ``user`` may see.
            Stale: the task changed since version ``expected``.
        """
        with self.runtime.transaction() as step:
            task = self._lock(step, task_id, user, instance_id, expected)
            if task.assignee == user:
                return
            if task.assignee:
                raise Conflict(N_("task {task_id} is already claimed by {assignee}"), task_id=task_id,
                               assignee=task.assignee)
            check_may_work(task, user)
            repository.assign_task(step.conn, task_id, user)
            self._record(step, task, "task_claimed", user, {})

    def unclaim(self, task_id: str, user: str, *, instance_id: int | None = None,
                expected: str | None = None) -> str | None:
        """Let go of a task one holds ("Bỏ nhận"): it goes back where it came from (engine/inbox/release.py), to
        whoever gave it to ``user`` personally, else to its candidate groups (everyone if it has none). Returns
        the person it went back to, or None for the groups; the history records which.

        ``instance_id`` and ``expected`` as for :meth:`claim`.

        Raises:
            InvalidState: the task is not claimed by anyone.
            PermissionDenied: it is claimed by someone else.
        """
        with self.runtime.transaction() as step:
            task = self._require_holder(self._lock(step, task_id, user, instance_id, expected), task_id, user)
            target = returns_to(step.conn, task, user)
            if target is not None:
                repository.assign_task(step.conn, task_id, target)
                self._record(step, task, "task_unclaimed", user, {"returned_to": target})
                self._tell_delegate(step, task, user, target)
                return target
            repository.assign_task(step.conn, task_id, None, offer_to=list(task.group_codes) or [EVERYONE])
            self._record(step, task, "task_unclaimed", user, {"offered_to": list(task.group_codes)})
            return None

    def unclaim_target(self, task_id: str, user: str) -> tuple[str | None, tuple[str, ...]]:
        """Where :meth:`unclaim` would send the task now (to ask before doing it): the person, or None and the
        groups. Changes nothing.

        Raises:
            InvalidState, PermissionDenied: as :meth:`unclaim`.
        """
        with self.runtime.db.connect() as conn:
            found = repository.lock_task(conn, task_id, user)
            self.access.task_case(conn, user, task_id)
            if found is None:
                raise closed_task_error(conn, task_id)
            task = self._require_holder(found[1], task_id, user)
            return returns_to(conn, task, user), task.group_codes

    def _held(self, step: Step, task_id: str, user: str) -> OpenTask:
        return self._require_holder(self._lock(step, task_id, user), task_id, user)

    @staticmethod
    def _require_holder(task: OpenTask, task_id: str, user: str) -> OpenTask:
        if not task.assignee:
            raise InvalidState(N_("task {task_id} is not claimed by anyone"), task_id=task_id)
        if task.assignee != user:
            raise PermissionDenied(N_("task {task_id} is assigned to {assignee}"), task_id=task_id,
                                   assignee=task.assignee)
        return task

    def delegate(self, task_id: str, user: str, to_user: str) -> None:
        """Hand a task to a colleague: its assignee, or a candidate of an unassigned task, may do so.

        The delegate must be an active user; they are notified, and the history says who delegated.

        Raises:
            NotFound: no such task or active delegate.
            PermissionDenied: ``user`` may not work on the task.
        """
        if to_user == user:
            raise InvalidInput(N_("a task cannot be delegated to oneself"), {"to_user": ["must be someone else"]})
        with self.runtime.transaction() as step:
            task = self._lock(step, task_id, user)
            check_may_work(task, user)
            if repository.user_groups(step.conn, to_user) is None:
                raise no_user(to_user)
            repository.assign_task(step.conn, task_id, to_user)
            self._record(step, task, "task_delegated", user, {"from": task.assignee, "to": to_user})
            self._tell_delegate(step, task, user, to_user)

    def delegates(self, task_id: str, user: str, *, search: str = "", limit: int = DEFAULT_LIMIT) -> DelegateChoices:
        """The colleagues ``user`` may hand the task to, likeliest first: exactly whom :meth:`delegate` accepts.

        Members of the task's candidate groups (and users it names) come first, then people of ``user``'s own
        unit, then everyone else, by full name within each (engine/inbox/delegates.py).

        Args:
            search: words that must each begin a word of the person's full name, user name, title or unit name,
                ignoring case and Vietnamese diacritics (at most 100 characters; empty: everyone).
            limit: how many to list (1 to 100); ``DelegateChoices.total`` counts every match.

        Raises:
            NotFound: no such open task, or ``user`` is unknown or inactive.
            Conflict: the task was completed (the message names by whom).
            PermissionDenied: ``user`` may not work on the task, so may not hand it on either.
            InvalidInput: the search is too long or the limit out of range.
        """
        with self.runtime.db.connect() as conn:
            self.access.task_case(conn, user, task_id)
            task = repository.read_task(conn, task_id, user)
            if task is None:
                raise closed_task_error(conn, task_id)
            check_may_work(task, user)
            return delegate_choices(conn, task, user, search=search, limit=limit)

    def _tell_delegate(self, step: Step, task: OpenTask, user: str, to_user: str) -> None:
        """Notify the delegate (stored for the inbox, e-mailed after commit if set up)."""
        name = step.conn.execute(_NAME, {"task_id": task.id}).scalar()
        about = {"by": repository.person_name(step.conn, user), "task": name,
                 "case": repository.case_ref(step.conn, task.instance_id)}
        step.notifications.extend(notify(step.conn, [to_user], kind="delegated", key=wording.DELEGATED, params=about,
                                         instance_id=task.instance_id, task_id=task.id, now=self.clock.now()))

    def _lock(self, step: Step, task_id: str, user: str, instance_id: int | None = None,
              expected: str | None = None) -> OpenTask:
        """Lock the task and its instance; refuse a task that is gone, of a case the user may not see (or of
        another case than ``instance_id``), a user who does not exist, or a task no longer at version
        ``expected``."""
        found = repository.lock_task(step.conn, task_id, user)
        if found is not None and not found[1].user_active:
            raise no_user(user)
        # After the lock, so that who may see the case is decided on what the winner of a race left.
        case = self.access.task_case(step.conn, user, task_id)
        if instance_id is not None and case != instance_id:
            raise no_task(task_id)
        if found is None:
            raise closed_task_error(step.conn, task_id)
        require_version(task_version(found[0].lock_version, found[1].assignee), expected)
        return found[1]

    def _record(self, step: Step, task: OpenTask, kind: str, user: str, data: dict[str, Any]) -> None:
        """Append the act to the case's history."""
        now: datetime = self.clock.now()
        repository.add_history(step.conn, [{"instance_id": task.instance_id, "at": now, "kind": kind,
                                            "task_id": task.id, "element_id": task.element_id, "actor": user,
                                            "data": data}])


def completed_by(conn: Connection, task_id: str, instance_id: int | None = None) -> tuple[str | None, datetime] | None:
    """Who completed ``task_id`` (of case ``instance_id``, if given) and when; None if nobody did."""
    query = _COMPLETED if instance_id is None else _COMPLETED.where(HistoryEvent.instance_id == instance_id)
    done = conn.execute(query, {"task_id": task_id}).first()
    return (done.actor, done.at) if done is not None else None


def closed_task_error(conn: Connection, task_id: str) -> Exception:
    """The error for a task that is no longer open: completed (by whom, when) or unknown."""
    done = conn.execute(_COMPLETED, {"task_id": task_id}).first()
    if done is not None:
        return Conflict(N_("task {task_id} was already completed by {actor} at {when}"), task_id=task_id,
                        actor=done.actor, when=done.at.isoformat(timespec="seconds"))
    return NotFound(N_("no open task {task_id}"), task_id=task_id)

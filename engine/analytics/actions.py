"""A manager's one-click actions on an open task in their scope: remind whoever may work on it, or reassign it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.analytics.scope import Scope
from engine.analytics.sql import OPEN_FROM, OPEN_UNIT, inbox, users
from engine.errors import InvalidState, NotFound, PermissionDenied
from engine.i18n import N_
from engine.notify import wording
from engine.notify.mail import group_members, notify
from engine.persistence import repository
from engine.runtime.inbox_rows import USER_PREFIX


def visible_task(conn: Connection, scope: Scope, task_id: str) -> Any:
    """The open task ``task_id`` with the unit it counts for, if the manager's scope covers it.

    Raises:
        NotFound: no open task ``task_id``.
        PermissionDenied: the viewer is not a manager, or the task is outside their units.
    """
    scope.require_manager(N_("reminders and reassignments"))
    row = conn.execute(select(inbox.c.id, inbox.c.name, inbox.c.instance_id, inbox.c.element_id, inbox.c.assignee,
                              inbox.c.group_codes, inbox.c.due_at, OPEN_UNIT.label("unit_code"))
                       .select_from(OPEN_FROM).where(inbox.c.id == task_id)).first()
    if row is None:
        raise NotFound(N_("no open task {task_id}"), task_id=task_id)
    if not scope.sees_unit(row.unit_code):
        raise PermissionDenied(N_("task {task_id} is not in {viewer}'s units"), task_id=task_id, viewer=scope.viewer)
    return row


def remind(conn: Connection, scope: Scope, task_id: str, now: datetime, zone: ZoneInfo) -> tuple[list[str], list[int]]:
    """Notify the assignee (or, unassigned, every candidate) of a task and record it in the case's history.

    Returns:
        The users reminded and the notification ids (to be e-mailed after commit).

    Raises:
        InvalidState: nobody may work on the task (no assignee, no candidate).
    """
    task = visible_task(conn, scope, task_id)
    recipients = [task.assignee] if task.assignee else _candidates(conn, task.group_codes)
    if not recipients:
        raise InvalidState(N_("nobody is offered task {task_id} to be reminded"), task_id=task_id)
    about: dict[str, Any] = {"by": repository.person_name(conn, scope.viewer), "task": task.name,
                             "case": repository.case_ref(conn, task.instance_id)}
    if task.due_at:
        about["due"] = task.due_at.astimezone(zone)
    key = wording.REMINDED_BY if task.due_at else wording.REMINDED_BY_NO_DUE
    ids = notify(conn, recipients, kind="reminder", key=key, params=about, instance_id=task.instance_id,
                 task_id=task_id, now=now)
    _record(conn, task, "reminded", scope.viewer, now, {"to": recipients})
    return recipients, ids


def reassign(conn: Connection, scope: Scope, task_id: str, to_user: str, now: datetime) -> list[int]:
    """Give an open task to ``to_user`` (an active person in the manager's units), tell them, record it.

    Returns:
        The notification ids (to be e-mailed after commit).

    Raises:
        NotFound: no open task, or no active user ``to_user``.
        PermissionDenied: the task or ``to_user`` is outside the manager's units.
        InvalidState: the task is already ``to_user``'s.
    """
    if repository.lock_task(conn, task_id, to_user) is None:  # locks the task and its case, as a completion does
        raise NotFound(N_("no open task {task_id}"), task_id=task_id)
    task = visible_task(conn, scope, task_id)
    person = conn.execute(select(users.c.unit_code, users.c.active).where(users.c.username == to_user)).first()
    if person is None or not person.active:
        raise NotFound(N_("no user '{user}'"), user=to_user)
    if not scope.sees_unit(person.unit_code):
        raise PermissionDenied(N_("{user} is not in {viewer}'s units"), user=to_user, viewer=scope.viewer)
    if task.assignee == to_user:
        raise InvalidState(N_("task {task_id} is already assigned to {user}"), task_id=task_id, user=to_user)
    repository.assign_task(conn, task_id, to_user)
    about = {"by": repository.person_name(conn, scope.viewer), "task": task.name,
             "case": repository.case_ref(conn, task.instance_id)}
    ids = notify(conn, [to_user], kind="reassigned", key=wording.REASSIGNED_BY, params=about,
                 instance_id=task.instance_id, task_id=task_id, now=now)
    _record(conn, task, "task_reassigned", scope.viewer, now, {"from": task.assignee, "to": to_user})
    return ids


def _candidates(conn: Connection, group_codes: list[str] | None) -> list[str]:
    """Users a task is offered to: named users, then active members of its groups."""
    codes = list(group_codes or [])
    named = [code[len(USER_PREFIX):] for code in codes if code.startswith(USER_PREFIX)]
    return list(dict.fromkeys(named + group_members(conn, [c for c in codes if not c.startswith(USER_PREFIX)])))


def _record(conn: Connection, task: Any, kind: str, actor: str, now: datetime, data: dict[str, Any]) -> None:
    """Append the act to the case's history."""
    repository.add_history(conn, [{"instance_id": task.instance_id, "at": now, "kind": kind, "task_id": task.id,
                                   "element_id": task.element_id, "actor": actor, "data": data}])

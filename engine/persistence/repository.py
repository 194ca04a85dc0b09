"""Hot-path reads and writes of instances, inbox rows and history, as prebuilt SQL statements.

The engine's step (load, run, save) runs for every start and every completed task. These functions
work on a plain :class:`~sqlalchemy.engine.Connection` with statements built once at import, so
SQLAlchemy reuses their compiled form; each step is a handful of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Connection

from engine.case_fields import search_text
from engine.errors import Conflict
from engine.persistence.models import (
    HistoryEvent,
    InboxTask,
    Instance,
    InstanceStatus,
    Membership,
    ProcessVersion,
    TaskCandidateGroup,
    User,
)

_instances: Table = cast(Table, Instance.__table__)
_inbox: Table = cast(Table, InboxTask.__table__)
_candidates: Table = cast(Table, TaskCandidateGroup.__table__)
_history: Table = cast(Table, HistoryEvent.__table__)
_versions: Table = cast(Table, ProcessVersion.__table__)
_users: Table = cast(Table, User.__table__)
_members: Table = cast(Table, Membership.__table__)


@dataclass
class InstanceRecord:
    """An instance row locked for update, with its serialized state."""

    id: int
    process_version_id: int
    process_id: str
    business_key: str | None
    status: InstanceStatus
    lock_version: int
    state: str
    completed_tasks: int
    error_element: str | None = None
    error_message: str | None = None
    ended_at: datetime | None = None
    next_timer_at: datetime | None = None
    summary: str | None = None
    urgency: str | None = None


@dataclass(frozen=True)
class OpenTask:
    """An inbox row, its candidate groups, and what the database knows of the acting user."""

    id: str
    instance_id: int
    element_id: str
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    group_codes: tuple[str, ...]
    user_active: bool | None  # None: no such user
    user_is_candidate: bool
    user_unit: str | None = None


@dataclass(frozen=True)
class StartTarget:
    """The version a new instance starts on, and whether the starting user exists."""

    version_id: int
    process_id: str
    version: int
    user_active: bool | None


_RECORD_COLUMNS = (
    _instances.c.id, _instances.c.process_version_id, _instances.c.process_id, _instances.c.business_key,
    _instances.c.status, _instances.c.lock_version, _instances.c.state, _instances.c.completed_tasks,
    _instances.c.error_element, _instances.c.error_message, _instances.c.ended_at, _instances.c.next_timer_at,
    _instances.c.summary, _instances.c.urgency,
)
_USER_ACTIVE = (select(_users.c.active).where(_users.c.username == bindparam("user"))
                .scalar_subquery().label("user_active"))
_USER_UNIT = (select(_users.c.unit_code).where(_users.c.username == bindparam("user"))
              .scalar_subquery().label("user_unit"))
_USER_IS_CANDIDATE = exists().where(
    _candidates.c.task_id == _inbox.c.id,
    _candidates.c.group_code.in_(select(_members.c.group_code).where(_members.c.username == bindparam("user")))
).label("user_is_candidate")

_START_TARGET = (select(_versions.c.id, _versions.c.process_id, _versions.c.version, _USER_ACTIVE)
                 .where(_versions.c.process_id == bindparam("pid"))
                 .order_by(_versions.c.version.desc()).limit(1))
_LOCK_INSTANCE = (select(*_RECORD_COLUMNS).where(_instances.c.id == bindparam("instance_id"))
                  .with_for_update(of=_instances))
_LOCK_TASK = (select(*_RECORD_COLUMNS, _inbox.c.id.label("task_id"), _inbox.c.element_id, _inbox.c.assignee,
                     _inbox.c.created_at, _inbox.c.due_at, _inbox.c.group_codes, _USER_ACTIVE, _USER_IS_CANDIDATE,
                     _USER_UNIT)
              .join(_inbox, _inbox.c.instance_id == _instances.c.id)
              .where(_inbox.c.id == bindparam("task_id"))
              .with_for_update(of=(_instances, _inbox)))
_READ_TASK = (select(_inbox.c.id, _inbox.c.instance_id, _inbox.c.element_id, _inbox.c.assignee, _inbox.c.created_at,
                     _inbox.c.due_at, _inbox.c.group_codes, _USER_ACTIVE, _USER_IS_CANDIDATE)
              .where(_inbox.c.id == bindparam("task_id")))
_ASSIGN_TASK = update(_inbox).where(_inbox.c.id == bindparam("b_task")).values(assignee=bindparam("b_assignee"))
_WITHDRAW_OFFERS = delete(_candidates).where(_candidates.c.task_id == bindparam("b_task"))
_SAVE_INSTANCE = (update(_instances)
                  .where(_instances.c.id == bindparam("b_id"), _instances.c.lock_version == bindparam("b_lock"))
                  .values(completed_tasks=_instances.c.completed_tasks + bindparam("b_delta", type_=Integer)))
_USER_GROUPS = (select(_users.c.active, _members.c.group_code)
                .outerjoin(_members, _members.c.username == _users.c.username)
                .where(_users.c.username == bindparam("username")))
_OPEN_TASKS = select(_inbox.c.id).where(_inbox.c.instance_id == bindparam("instance_id"))
_DELETE_TASKS = delete(_inbox).where(_inbox.c.id.in_(bindparam("ids", expanding=True)))
# The case's unit is its starter's unit at the start (the unit the case's tasks are for; docs/inbox.md).
_INSERT_INSTANCE = insert(_instances).values(unit_code=select(_users.c.unit_code).where(
    _users.c.username == bindparam("b_starter")).scalar_subquery()).returning(_instances.c.id)
_INSERT_HISTORY = insert(_history)
_INSERT_TASKS = insert(_inbox)
_INSERT_CANDIDATES = insert(_candidates)


def _record(row: Any) -> InstanceRecord:
    return InstanceRecord(row.id, row.process_version_id, row.process_id, row.business_key,
                          InstanceStatus(row.status), row.lock_version, row.state, row.completed_tasks,
                          row.error_element, row.error_message, row.ended_at, row.next_timer_at, row.summary,
                          row.urgency)


def start_target(conn: Connection, process_id: str, user: str | None) -> StartTarget | None:
    """The newest version of ``process_id`` and whether ``user`` exists and is active (one query)."""
    row = conn.execute(_START_TARGET, {"pid": process_id, "user": user}).first()
    if row is None:
        return None
    return StartTarget(row.id, row.process_id, row.version, row.user_active)


def insert_instance(conn: Connection, record: InstanceRecord, *, started_by: str | None, now: datetime) -> int:
    """Insert a new instance with its first state and status; return its id."""
    record.id = conn.execute(_INSERT_INSTANCE, {
        "process_version_id": record.process_version_id, "process_id": record.process_id,
        "business_key": record.business_key, "status": record.status.value, "started_by": started_by,
        "started_at": now, "updated_at": now, "ended_at": record.ended_at, "lock_version": record.lock_version,
        "completed_tasks": record.completed_tasks, "state": record.state, "error_element": record.error_element,
        "error_message": record.error_message, "next_timer_at": record.next_timer_at, "summary": record.summary,
        "urgency": record.urgency, "search_text": search_text(record.business_key, record.summary),
        "b_starter": started_by,
    }).scalar_one()
    return record.id


def lock_instance(conn: Connection, instance_id: int) -> InstanceRecord | None:
    """Read an instance and its state, locking the instance row until the transaction ends."""
    row = conn.execute(_LOCK_INSTANCE, {"instance_id": instance_id}).first()
    return _record(row) if row is not None else None


def lock_task(conn: Connection, task_id: str, user: str) -> tuple[InstanceRecord, OpenTask] | None:
    """Read an open task with its instance (locked) and ``user``'s standing, in one statement.

    On PostgreSQL a concurrent completion makes this wait; when it commits, the task row is gone and
    nothing is returned (READ COMMITTED re-checks locked rows), so the caller reports a conflict.
    The state lives on the locked instance row, so what is read after such a wait is the new state.
    """
    row = conn.execute(_LOCK_TASK, {"task_id": task_id, "user": user}).first()
    if row is None:
        return None
    task = OpenTask(row.task_id, row.id, row.element_id, row.assignee, row.created_at, row.due_at,
                    tuple(row.group_codes or ()), row.user_active, bool(row.user_is_candidate), row.user_unit)
    return _record(row), task


def read_task(conn: Connection, task_id: str, user: str) -> OpenTask | None:
    """Read an open task and ``user``'s standing without locking anything (None if it is not open)."""
    row = conn.execute(_READ_TASK, {"task_id": task_id, "user": user}).first()
    if row is None:
        return None
    return OpenTask(row.id, row.instance_id, row.element_id, row.assignee, row.created_at, row.due_at,
                    tuple(row.group_codes or ()), row.user_active, bool(row.user_is_candidate))


def assign_task(conn: Connection, task_id: str, assignee: str | None, offer_to: list[str] | None = None) -> None:
    """Give an open task to ``assignee``, or (None) offer it again to ``offer_to``.

    An assigned task is offered to nobody: its offer rows go, so that the inbox's index on them holds only
    what a user could claim (the groups stay in ``group_codes``).
    """
    conn.execute(_ASSIGN_TASK, {"b_task": task_id, "b_assignee": assignee})
    conn.execute(_WITHDRAW_OFFERS, {"b_task": task_id})
    if assignee is None and offer_to:
        conn.execute(_INSERT_CANDIDATES, [{"task_id": task_id, "group_code": c} for c in dict.fromkeys(offer_to)])


def save_instance(conn: Connection, record: InstanceRecord, *, state: str, completed_delta: int,
                  now: datetime) -> None:
    """Write back state and status, refusing if someone else saved the instance since it was read."""
    result = conn.execute(_SAVE_INSTANCE, {
        "b_id": record.id, "b_lock": record.lock_version, "status": record.status.value,
        "error_element": record.error_element, "error_message": record.error_message, "ended_at": record.ended_at,
        "updated_at": now, "process_version_id": record.process_version_id, "lock_version": record.lock_version + 1,
        "state": state, "b_delta": completed_delta, "next_timer_at": record.next_timer_at,
        "summary": record.summary, "urgency": record.urgency,
        "search_text": search_text(record.business_key, record.summary)})
    if result.rowcount != 1:
        raise Conflict(f"instance {record.id} was changed by someone else at the same moment; try again")
    record.lock_version += 1
    record.state = state
    record.completed_tasks += completed_delta


def add_history(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append history events (one statement for all)."""
    if rows:
        for row in rows:
            for key in ("element_id", "element_type", "task_id", "actor", "data", "process_id", "unit_code",
                        "task_created_at", "due_at", "late_seconds"):
                row.setdefault(key, None)
        conn.execute(_INSERT_HISTORY, rows)


def open_task_ids(conn: Connection, instance_id: int) -> set[str]:
    """Ids of the open inbox rows of an instance."""
    return set(conn.execute(_OPEN_TASKS, {"instance_id": instance_id}).scalars())


def delete_tasks(conn: Connection, task_ids: list[str]) -> None:
    """Remove inbox rows (their candidate groups go with them: ON DELETE CASCADE)."""
    if task_ids:
        conn.execute(_DELETE_TASKS, {"ids": task_ids})


def insert_tasks(conn: Connection, rows: list[dict[str, Any]], groups: list[dict[str, str]]) -> None:
    """Add inbox rows and their candidate groups."""
    if rows:
        conn.execute(_INSERT_TASKS, rows)
    if groups:
        conn.execute(_INSERT_CANDIDATES, groups)


def user_groups(conn: Connection, username: str) -> set[str] | None:
    """The group codes of an active user, or None if there is no such active user."""
    rows = conn.execute(_USER_GROUPS, {"username": username}).all()
    if not rows or not rows[0].active:
        return None
    return {r.group_code for r in rows if r.group_code is not None}

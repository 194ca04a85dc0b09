"""Hot-path reads and writes of instances, inbox rows and history, as plain SQL statements.

The engine's step (load, run, save) runs for every start and every completed task; going through
SQLAlchemy Core here instead of the ORM unit of work keeps it to a handful of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.persistence.models import (
    HistoryEvent,
    InboxTask,
    Instance,
    InstanceState,
    InstanceStatus,
    Membership,
    TaskCandidateGroup,
    User,
)

_instances: Table = cast(Table, Instance.__table__)
_states: Table = cast(Table, InstanceState.__table__)
_inbox: Table = cast(Table, InboxTask.__table__)
_candidates: Table = cast(Table, TaskCandidateGroup.__table__)
_history: Table = cast(Table, HistoryEvent.__table__)


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


@dataclass(frozen=True)
class OpenTask:
    """An inbox row and its candidate groups."""

    id: str
    instance_id: int
    element_id: str
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    group_codes: tuple[str, ...]


_RECORD_COLUMNS = (
    _instances.c.id, _instances.c.process_version_id, _instances.c.process_id, _instances.c.business_key,
    _instances.c.status, _instances.c.lock_version, _states.c.state, _states.c.completed_tasks,
    _instances.c.error_element, _instances.c.error_message, _instances.c.ended_at,
)


def _record(row: Any) -> InstanceRecord:
    return InstanceRecord(row.id, row.process_version_id, row.process_id, row.business_key,
                          InstanceStatus(row.status), row.lock_version, row.state, row.completed_tasks,
                          row.error_element, row.error_message, row.ended_at)


def insert_instance(session: Session, *, process_version_id: int, process_id: str, business_key: str | None,
                    started_by: str | None, now: datetime) -> int:
    """Insert a running instance and return its id."""
    return session.connection().execute(insert(_instances).values(
        process_version_id=process_version_id, process_id=process_id, business_key=business_key,
        status=InstanceStatus.RUNNING.value, started_by=started_by, started_at=now, updated_at=now, lock_version=1,
    ).returning(_instances.c.id)).scalar_one()


def insert_state(session: Session, instance_id: int, state: str, completed_tasks: int) -> None:
    """Store the first serialized state of a new instance."""
    session.connection().execute(insert(_states).values(instance_id=instance_id, state=state,
                                                        completed_tasks=completed_tasks))


def lock_instance(session: Session, instance_id: int) -> InstanceRecord | None:
    """Read an instance and its state, locking the instance row until the transaction ends."""
    row = session.connection().execute(_LOCK_INSTANCE, {"instance_id": instance_id}).first()
    return _record(row) if row is not None else None


_LOCK_INSTANCE = (select(*_RECORD_COLUMNS).join(_states, _states.c.instance_id == _instances.c.id)
                  .where(_instances.c.id == bindparam("instance_id"))
                  .with_for_update(of=(_instances, _states)))
_LOCK_TASK = (select(*_RECORD_COLUMNS, _inbox.c.id.label("task_id"), _inbox.c.element_id, _inbox.c.assignee,
                     _inbox.c.created_at, _inbox.c.due_at, _inbox.c.group_codes)
              .join(_states, _states.c.instance_id == _instances.c.id)
              .join(_inbox, _inbox.c.instance_id == _instances.c.id)
              .where(_inbox.c.id == bindparam("task_id"))
              .with_for_update(of=(_instances, _states, _inbox)))
_SAVE_INSTANCE = (update(_instances)
                  .where(_instances.c.id == bindparam("b_id"), _instances.c.lock_version == bindparam("b_lock")))
_SAVE_STATE = (update(_states).where(_states.c.instance_id == bindparam("b_id"))
               .values(state=bindparam("b_state"),
                       completed_tasks=_states.c.completed_tasks + bindparam("b_delta", type_=Integer)))
_USER_GROUPS = (select(User.active, Membership.group_code)
                .outerjoin(Membership, Membership.username == User.username)
                .where(User.username == bindparam("username")))
_OPEN_TASKS = select(_inbox.c.id).where(_inbox.c.instance_id == bindparam("instance_id"))


def lock_task(session: Session, task_id: str) -> tuple[InstanceRecord, OpenTask] | None:
    """Read an open task and lock its instance in one statement.

    On PostgreSQL a concurrent completion makes this wait; when it commits, the task row is gone and
    nothing is returned (READ COMMITTED re-checks locked rows), so the caller reports a conflict.
    Every joined table is locked: PostgreSQL re-reads only locked rows after such a wait, and a stale
    state row would silently undo the other transaction's step.
    """
    row = session.connection().execute(_LOCK_TASK, {"task_id": task_id}).first()
    if row is None:
        return None
    task = OpenTask(row.task_id, row.id, row.element_id, row.assignee, row.created_at, row.due_at,
                    tuple(row.group_codes or ()))
    return _record(row), task


def save_instance(session: Session, record: InstanceRecord, *, state: str, completed_delta: int,
                  now: datetime) -> None:
    """Write back state and status, refusing if someone else saved the instance since it was read."""
    conn = session.connection()
    result = conn.execute(_SAVE_INSTANCE, {
        "b_id": record.id, "b_lock": record.lock_version, "status": record.status.value,
        "error_element": record.error_element, "error_message": record.error_message, "ended_at": record.ended_at,
        "updated_at": now, "process_version_id": record.process_version_id, "lock_version": record.lock_version + 1})
    if result.rowcount != 1:
        raise Conflict(f"instance {record.id} was changed by someone else at the same moment; try again")
    record.lock_version += 1
    if state != record.state:
        conn.execute(_SAVE_STATE, {"b_id": record.id, "b_state": state, "b_delta": completed_delta})
        record.state = state


def add_history(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append history events (one statement for all)."""
    if rows:
        for row in rows:
            for key in ("element_id", "element_type", "task_id", "actor", "data"):
                row.setdefault(key, None)
        session.connection().execute(insert(_history), rows)


def open_task_ids(session: Session, instance_id: int) -> set[str]:
    """Ids of the open inbox rows of an instance."""
    return set(session.connection().execute(_OPEN_TASKS, {"instance_id": instance_id}).scalars())


def delete_tasks(session: Session, task_ids: list[str]) -> None:
    """Remove inbox rows (their candidate groups go with them: ON DELETE CASCADE)."""
    if task_ids:
        session.connection().execute(delete(_inbox).where(_inbox.c.id.in_(task_ids)))


def insert_tasks(session: Session, rows: list[dict[str, Any]], groups: list[dict[str, str]]) -> None:
    """Add inbox rows and their candidate groups."""
    conn = session.connection()
    if rows:
        conn.execute(insert(_inbox), rows)
    if groups:
        conn.execute(insert(_candidates), groups)


def user_groups(session: Session, username: str) -> set[str] | None:
    """The group codes of an active user, or None if there is no such active user."""
    rows = session.connection().execute(_USER_GROUPS, {"username": username}).all()
    if not rows or not rows[0].active:
        return None
    return {r.group_code for r in rows if r.group_code is not None}

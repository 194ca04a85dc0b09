"""Hot-path reads and writes of instances, inbox rows and history, as prebuilt SQL statements.

The engine's step (load, run, save) runs for every start and every completed task. These functions
work on a plain :class:`~sqlalchemy.engine.Connection` with statements built once at import, so
SQLAlchemy reuses their compiled form; each step is a handful of statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Connection

from engine.errors import Conflict, NotFound
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.case_fields import case_reference
from engine.persistence.chain import GENESIS, HISTORY_CONTENT, chain_history
from engine.persistence.models import (
    EventSubscription,
    HistoryEvent,
    InboxTask,
    Instance,
    InstanceStatus,
    Membership,
    ProcessVersion,
    TaskCandidateGroup,
    User,
)
from engine.persistence.prepared import Prepared

_instances = table_of(Instance)
_inbox = table_of(InboxTask)
_candidates = table_of(TaskCandidateGroup)
_history = table_of(HistoryEvent)
_versions = table_of(ProcessVersion)
_users = table_of(User)
_members = table_of(Membership)
_subscriptions = table_of(EventSubscription)


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
    waits_for: str | None = None  # the messages and signals it waits for (engine/runtime/routing.py)
    history_head: str = GENESIS  # the case's history chain as read with the lock (engine/persistence/chain.py)
    history_count: int = 0


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
    _instances.c.summary, _instances.c.urgency, _instances.c.waits_for, _instances.c.history_head,
    _instances.c.history_count,
)
_USER_ACTIVE = (select(_users.c.active).where(_users.c.username == bindparam("user"))
                .scalar_subquery().label("user_active"))
_USER_UNIT = (select(_users.c.unit_code).where(_users.c.username == bindparam("user"))
              .scalar_subquery().label("user_unit"))
_USER_IS_CANDIDATE = exists().where(
    _candidates.c.task_id == _inbox.c.id,
    _candidates.c.group_code.in_(select(_members.c.group_code).where(_members.c.username == bindparam("user")))
).label("user_is_candidate")

_START_TARGET = Prepared(select(_versions.c.id, _versions.c.process_id, _versions.c.version, _USER_ACTIVE)
                        .where(_versions.c.process_id == bindparam("pid"))
                        .order_by(_versions.c.version.desc()).limit(1))
_LOCK_INSTANCE = Prepared(select(*_RECORD_COLUMNS).where(_instances.c.id == bindparam("instance_id"))
                          .with_for_update(of=_instances))
_LOCK_TASK = Prepared(select(*_RECORD_COLUMNS, _inbox.c.id.label("task_id"), _inbox.c.element_id, _inbox.c.assignee,
                             _inbox.c.created_at, _inbox.c.due_at, _inbox.c.group_codes, _USER_ACTIVE,
                             _USER_IS_CANDIDATE, _USER_UNIT)
                      .join(_inbox, _inbox.c.instance_id == _instances.c.id)
                      .where(_inbox.c.id == bindparam("task_id"))
                      .with_for_update(of=(_instances, _inbox)))
_READ_TASK = Prepared(select(_inbox.c.id, _inbox.c.instance_id, _inbox.c.element_id, _inbox.c.assignee,
                             _inbox.c.created_at, _inbox.c.due_at, _inbox.c.group_codes, _USER_ACTIVE,
                             _USER_IS_CANDIDATE)
                      .where(_inbox.c.id == bindparam("task_id")))
_ASSIGN_TASK = Prepared(update(_inbox).where(_inbox.c.id == bindparam("b_task"))
                        .values(assignee=bindparam("b_assignee")))
_WITHDRAW_OFFERS = Prepared(delete(_candidates).where(_candidates.c.task_id == bindparam("b_task")))
_SAVED_COLUMNS = ("status", "error_element", "error_message", "ended_at", "updated_at", "process_version_id",
                  "lock_version", "state", "next_timer_at", "summary", "urgency", "waits_for",
                  "history_head", "history_count")
# The history head read with the lock must still be the head: a step that chained from a stale head would fork
# the case's chain, so it is refused like a stale lock version.
_SAVE_INSTANCE = Prepared(update(_instances)
                          .where(_instances.c.id == bindparam("b_id"), _instances.c.lock_version == bindparam("b_lock"),
                                 _instances.c.history_head == bindparam("b_head"))
                          .values(completed_tasks=_instances.c.completed_tasks + bindparam("b_delta", type_=Integer)),
                          columns=_SAVED_COLUMNS)
_USER_GROUPS = Prepared(select(_users.c.active, _members.c.group_code)
                        .outerjoin(_members, _members.c.username == _users.c.username)
                        .where(_users.c.username == bindparam("username")))
_OPEN_TASKS = Prepared(select(_inbox.c.id).where(_inbox.c.instance_id == bindparam("instance_id")))
_DELETE_TASK = Prepared(delete(_inbox).where(_inbox.c.id == bindparam("b_id")))
# The case's unit is its starter's unit at the start (the unit the case's tasks are for; docs/inbox.md).
_NEW_INSTANCE_COLUMNS = ("process_version_id", "process_id", "business_key", "status", "started_by", "started_at",
                         "updated_at", "ended_at", "lock_version", "completed_tasks", "state", "error_element",
                         "error_message", "next_timer_at", "summary", "urgency", "waits_for")
_INSERT_INSTANCE = Prepared(insert(_instances).values(unit_code=select(_users.c.unit_code).where(
    _users.c.username == bindparam("b_starter")).scalar_subquery()).returning(_instances.c.id),
    columns=_NEW_INSTANCE_COLUMNS)
HISTORY_COLUMNS = HISTORY_CONTENT  # what a history row says; each also carries its place in the chain, and hash
_HISTORY_INSERTED = (*HISTORY_COLUMNS, "seq", "hash")
_INSERT_HISTORY = Prepared(insert(_history), columns=_HISTORY_INSERTED)
_LOCK_HEAD = Prepared(select(_instances.c.history_head, _instances.c.history_count)
                      .where(_instances.c.id == bindparam("instance_id")).with_for_update())
_SET_HEAD = Prepared(update(_instances).where(_instances.c.id == bindparam("b_id"),
                                              _instances.c.history_head == bindparam("b_head")),
                     columns=("history_head", "history_count"))
INBOX_COLUMNS = ("id", "instance_id", "process_id", "element_id", "name", "lane", "form_key", "assignee",
                 "created_at", "due_at", "group_codes", "group_unit_code")
_INSERT_TASKS = Prepared(insert(_inbox), columns=INBOX_COLUMNS)
_INSERT_CANDIDATES = Prepared(insert(_candidates), columns=("task_id", "group_code"))
_DROP_SUBSCRIPTIONS = Prepared(delete(_subscriptions).where(_subscriptions.c.instance_id == bindparam("b_instance")))
_INSERT_SUBSCRIPTIONS = Prepared(insert(_subscriptions), columns=("instance_id", "kind", "name", "created_at"))
# Running instances waiting for a message or signal, those that waited longest first.
_SUBSCRIBERS = Prepared(select(_subscriptions.c.instance_id).distinct()
                        .join(_instances, _instances.c.id == _subscriptions.c.instance_id)
                        .where(_subscriptions.c.kind == bindparam("kind"), _subscriptions.c.name == bindparam("name"),
                               _instances.c.status == InstanceStatus.RUNNING.value)
                        .order_by(_subscriptions.c.instance_id))


def _record(row: tuple[Any, ...]) -> InstanceRecord:
    """An :class:`InstanceRecord` from the first columns of a row (in ``_RECORD_COLUMNS`` order)."""
    (id_, version_id, process_id, business_key, status, lock_version, state, completed, error_element,
     error_message, ended_at, next_timer_at, summary, urgency, waits_for, history_head,
     history_count) = row[:_RECORD_WIDTH]
    return InstanceRecord(id_, version_id, process_id, business_key, InstanceStatus(status), lock_version, state,
                          completed, error_element, error_message, ended_at, next_timer_at, summary, urgency,
                          waits_for, history_head, history_count)


_RECORD_WIDTH = len(_RECORD_COLUMNS)


def start_target(conn: Connection, process_id: str, user: str | None) -> StartTarget | None:
    """The newest version of ``process_id`` and whether ``user`` exists and is active (one query)."""
    row = _START_TARGET.first(conn, {"pid": process_id, "user": user})
    return StartTarget(*row) if row is not None else None


def insert_instance(conn: Connection, record: InstanceRecord, *, started_by: str | None, now: datetime) -> int:
    """Insert a new instance with its first state and status; return its id."""
    row = _INSERT_INSTANCE.first(conn, {
        "process_version_id": record.process_version_id, "process_id": record.process_id,
        "business_key": record.business_key, "status": record.status.value, "started_by": started_by,
        "started_at": now, "updated_at": now, "ended_at": record.ended_at, "lock_version": record.lock_version,
        "completed_tasks": record.completed_tasks, "state": record.state, "error_element": record.error_element,
        "error_message": record.error_message, "next_timer_at": record.next_timer_at, "summary": record.summary,
        "urgency": record.urgency, "waits_for": record.waits_for, "b_starter": started_by,
    })
    assert row is not None  # INSERT ... RETURNING gives the new row
    record.id = row[0]
    return record.id


def lock_instance(conn: Connection, instance_id: int) -> InstanceRecord | None:
    """Read an instance and its state, locking the instance row until the transaction ends."""
    row = _LOCK_INSTANCE.first(conn, {"instance_id": instance_id})
    return _record(row) if row is not None else None


def lock_task(conn: Connection, task_id: str, user: str) -> tuple[InstanceRecord, OpenTask] | None:
    """Read an open task with its instance (locked) and ``user``'s standing, in one statement.

    On PostgreSQL a concurrent completion makes this wait; when it commits, the task row is gone and
    nothing is returned (READ COMMITTED re-checks locked rows), so the caller reports a conflict.
    The state lives on the locked instance row, so what is read after such a wait is the new state.
    """
    row = _LOCK_TASK.first(conn, {"task_id": task_id, "user": user})
    if row is None:
        return None
    record = _record(row)
    (open_id, element_id, assignee, created_at, due_at, group_codes, user_active, user_is_candidate,
     user_unit) = row[_RECORD_WIDTH:]
    task = OpenTask(open_id, record.id, element_id, assignee, created_at, due_at, tuple(group_codes or ()),
                    user_active, bool(user_is_candidate), user_unit)
    return record, task


def read_task(conn: Connection, task_id: str, user: str) -> OpenTask | None:
    """Read an open task and ``user``'s standing without locking anything (None if it is not open)."""
    row = _READ_TASK.first(conn, {"task_id": task_id, "user": user})
    if row is None:
        return None
    open_id, instance_id, element_id, assignee, created_at, due_at, group_codes, user_active, user_is_candidate = row
    return OpenTask(open_id, instance_id, element_id, assignee, created_at, due_at, tuple(group_codes or ()),
                    user_active, bool(user_is_candidate))


def assign_task(conn: Connection, task_id: str, assignee: str | None, offer_to: list[str] | None = None) -> None:
    """Give an open task to ``assignee``, or (None) offer it again to ``offer_to``.

    An assigned task is offered to nobody: its offer rows go, so that the inbox's index on them holds only
    what a user could claim (the groups stay in ``group_codes``).
    """
    _ASSIGN_TASK.rowcount(conn, {"b_task": task_id, "b_assignee": assignee})
    _WITHDRAW_OFFERS.rowcount(conn, {"b_task": task_id})
    if assignee is None and offer_to:
        _INSERT_CANDIDATES.executemany(conn, [{"task_id": task_id, "group_code": c} for c in dict.fromkeys(offer_to)])


def save_instance(conn: Connection, record: InstanceRecord, *, state: str, completed_delta: int,
                  now: datetime, history: tuple[str, int] | None = None) -> None:
    """Write back state and status, refusing if someone else saved the instance since it was read.

    Args:
        history: the case's new history head and count (rows chained by :func:`chain_history`), if it has new rows.
    """
    head, count = history or (record.history_head, record.history_count)
    changed = _SAVE_INSTANCE.rowcount(conn, {
        "b_id": record.id, "b_lock": record.lock_version, "status": record.status.value,
        "error_element": record.error_element, "error_message": record.error_message, "ended_at": record.ended_at,
        "updated_at": now, "process_version_id": record.process_version_id, "lock_version": record.lock_version + 1,
        "state": state, "b_delta": completed_delta, "next_timer_at": record.next_timer_at,
        "summary": record.summary, "urgency": record.urgency, "waits_for": record.waits_for,
        "b_head": record.history_head, "history_head": head, "history_count": count})
    if changed != 1:
        raise Conflict(N_("instance {instance_id} was changed by someone else at the same moment; try again"),
                       instance_id=record.id)
    record.history_head, record.history_count = head, count
    record.lock_version += 1
    record.state = state
    record.completed_tasks += completed_delta


def add_history(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Append history events to their cases' hash chains; columns a row does not name are NULL.

    Each case's chain head is read with its row locked (a step that holds the lock already pays nothing more)
    and moved on in the same transaction, so the rows of one case are chained in the order they commit.
    """
    by_case: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_case.setdefault(row["instance_id"], []).append(row)
    for instance_id, mine in by_case.items():
        found = _LOCK_HEAD.first(conn, {"instance_id": instance_id})
        if found is None:
            raise NotFound(N_("no instance {instance_id}"), instance_id=instance_id)
        head, count = chain_history(mine, found[0], found[1])
        set_history_head(conn, instance_id, found[0], (head, count))
    insert_chained_history(conn, rows)


def set_history_head(conn: Connection, instance_id: int, old_head: str, history: tuple[str, int]) -> None:
    """Move a case's history head on from ``old_head`` (refused if it is no longer the head)."""
    head, count = history
    if _SET_HEAD.rowcount(conn, {"b_id": instance_id, "b_head": old_head, "history_head": head,
                                 "history_count": count}) != 1:
        raise Conflict(N_("the history of instance {instance_id} was changed by someone else; try again"),
                       instance_id=instance_id)


def insert_chained_history(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert history rows that :func:`chain_history` gave their hashes (one statement for all)."""
    if rows:
        _INSERT_HISTORY.executemany(conn, [{key: row.get(key) for key in _HISTORY_INSERTED} for row in rows])


def open_task_ids(conn: Connection, instance_id: int) -> set[str]:
    """Ids of the open inbox rows of an instance."""
    return {row[0] for row in _OPEN_TASKS.rows(conn, {"instance_id": instance_id})}


def delete_tasks(conn: Connection, task_ids: list[str]) -> None:
    """Remove inbox rows (their candidate groups go with them: ON DELETE CASCADE)."""
    if task_ids:
        _DELETE_TASK.executemany(conn, [{"b_id": task_id} for task_id in task_ids])


def insert_tasks(conn: Connection, rows: list[dict[str, Any]], groups: list[dict[str, str]]) -> None:
    """Add inbox rows and their candidate groups."""
    if rows:
        _INSERT_TASKS.executemany(conn, rows)
    if groups:
        _INSERT_CANDIDATES.executemany(conn, groups)


def user_groups(conn: Connection, username: str) -> set[str] | None:
    """The group codes of an active user, or None if there is no such active user."""
    rows = _USER_GROUPS.rows(conn, {"username": username})
    if not rows or not rows[0][0]:
        return None
    return {code for _, code in rows if code is not None}


def replace_subscriptions(conn: Connection, instance_id: int, waits: list[tuple[str, str]], now: datetime) -> None:
    """Make ``waits`` ((kind, name) pairs) the messages and signals the instance is subscribed to."""
    _DROP_SUBSCRIPTIONS.rowcount(conn, {"b_instance": instance_id})
    if waits:
        _INSERT_SUBSCRIPTIONS.executemany(conn, [{"instance_id": instance_id, "kind": kind, "name": name,
                                                  "created_at": now} for kind, name in waits])


def subscribers(conn: Connection, kind: str, name: str) -> list[int]:
    """Running instances waiting for the message or signal ``name``, oldest instance first."""
    return [row[0] for row in _SUBSCRIBERS.rows(conn, {"kind": kind, "name": name})]


_CASE_TITLE = select(_instances.c.summary).where(_instances.c.id == bindparam("i"))


def case_ref(conn: Connection, instance_id: int) -> str:
    """How a notification names a case: ``12 «its title»`` (engine/persistence/case_fields.py)."""
    return case_reference(instance_id, conn.execute(_CASE_TITLE, {"i": instance_id}).scalar())


_FULL_NAME = select(_users.c.full_name).where(_users.c.username == bindparam("u"))


def person_name(conn: Connection, username: str) -> str:
    """How a notification names a person: their full name (the username when nobody has it)."""
    return str(conn.execute(_FULL_NAME, {"u": username}).scalar() or username)

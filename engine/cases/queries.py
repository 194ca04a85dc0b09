"""Read-side questions: the inbox, instances, their history. Never deserializes a workflow for the inbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException
from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from engine.bpmn.execution import current_data
from engine.bpmn.serializer import StateSerializer
from engine.errors import NotFound
from engine.i18n import N_
from engine.persistence.db import Database
from engine.persistence.models import (
    HistoryEvent,
    InboxTask,
    Instance,
    InstanceStatus,
    Membership,
    ProcessVersion,
    TaskCandidateGroup,
    Unit,
    User,
)
from engine.persistence.prepared import Prepared
from engine.runtime.inbox_rows import EVERYONE, USER_PREFIX
from engine.runtime.specs import SpecCache


@dataclass(frozen=True)
class TaskView:
    """An open task as the inbox shows it."""

    id: str
    instance_id: int
    process_id: str
    element_id: str
    name: str
    lane: str | None
    candidate_groups: list[str]
    assignee: str | None
    created_at: datetime
    due_at: datetime | None
    form_key: str | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = dict(self.__dict__)
        out["created_at"] = self.created_at.isoformat()
        out["due_at"] = self.due_at.isoformat() if self.due_at else None
        return out


@dataclass(frozen=True)
class HistoryView:
    """One line of an instance's history."""

    at: datetime
    kind: str
    element_id: str | None
    task_id: str | None
    actor: str | None
    data: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = dict(self.__dict__)
        out["at"] = self.at.isoformat()
        return out


@dataclass(frozen=True)
class InstanceView:
    """An instance with where it is now."""

    id: int
    process_id: str
    version: int
    business_key: str | None
    status: str
    started_by: str | None
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    error_element: str | None
    error_message: str | None
    completed_tasks: int
    summary: str | None = None
    open_tasks: list[TaskView] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    history: list[HistoryView] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("open_tasks", "history")}
        for key in ("started_at", "updated_at", "ended_at"):
            out[key] = out[key].isoformat() if out[key] else None
        out["open_tasks"] = [t.as_dict() for t in self.open_tasks]
        out["history"] = [h.as_dict() for h in self.history]
        return out


_TASK_COLUMNS = (InboxTask.id, InboxTask.instance_id, InboxTask.process_id, InboxTask.element_id, InboxTask.name,
                 InboxTask.lane, InboxTask.group_codes, InboxTask.assignee, InboxTask.created_at, InboxTask.due_at,
                 InboxTask.form_key)


def _visible_to_user() -> Any:
    """Assigned to :user, or unassigned and offered to one of their groups, to them, or to everyone."""
    mine = select(Membership.group_code).where(Membership.username == bindparam("user"))
    offered = exists().where(TaskCandidateGroup.task_id == InboxTask.id,
                             or_(TaskCandidateGroup.group_code.in_(mine),
                                 TaskCandidateGroup.group_code.in_([bindparam("user_code"), EVERYONE])))
    return or_(InboxTask.assignee == bindparam("user"), (InboxTask.assignee.is_(None) & offered))


def _tasks_statement(by_user: bool, by_instance: bool) -> Any:
    query = select(*_TASK_COLUMNS)
    if by_instance:
        query = query.where(InboxTask.instance_id == bindparam("instance_id"))
    if by_user:
        query = query.where(_visible_to_user())
    return query.order_by(InboxTask.due_at.is_(None), InboxTask.due_at, InboxTask.created_at,
                          InboxTask.id).limit(bindparam("limit"))


# Compiled once per database and run on the driver's cursor (the CLI's and the benchmarks' task list).
_TASKS = {(u, i): Prepared(_tasks_statement(u, i)) for u in (False, True) for i in (False, True)}


def task_view(row: Any) -> TaskView:
    """Turn an inbox row into its view."""
    return TaskView(row.id, row.instance_id, row.process_id, row.element_id, row.name, row.lane,
                    list(row.group_codes or []), row.assignee, row.created_at, row.due_at, row.form_key)


def _task_view_of(row: tuple[Any, ...]) -> TaskView:
    """The view of a row of ``_TASK_COLUMNS``."""
    id_, instance_id, process_id, element_id, name, lane, groups, assignee, created_at, due_at, form_key = row
    return TaskView(id_, instance_id, process_id, element_id, name, lane, list(groups or []), assignee, created_at,
                    due_at, form_key)


class Queries:
    """Answers what the inbox, the CLI and (later) the web pages ask."""

    def __init__(self, *, db: Database, serializer: StateSerializer | None = None,
                 specs: SpecCache | None = None) -> None:
        self.db = db
        self.serializer = serializer or StateSerializer()
        self.specs = specs or SpecCache(self.serializer)

    def tasks(self, *, user: str | None = None, instance_id: int | None = None, limit: int = 500) -> list[TaskView]:
        """Open tasks, earliest deadline first; for ``user``: assigned to them or offered to their groups."""
        statement = _TASKS[(user is not None, instance_id is not None)]
        params = {"user": user, "user_code": USER_PREFIX + (user or ""), "instance_id": instance_id, "limit": limit}
        with self.db.connect() as conn:
            return [_task_view_of(row) for row in statement.rows(conn, params)]

    def instance(self, instance_id: int, *, with_history: bool = True) -> InstanceView:
        """One instance, its open tasks, its current data and (optionally) its history."""
        with self.db.read() as session:
            instance = session.get(Instance, instance_id)
            if instance is None:
                raise NotFound(N_("no instance {instance_id}"), instance_id=instance_id)
            tasks = [task_view(r) for r in session.scalars(
                select(InboxTask).where(InboxTask.instance_id == instance_id).order_by(InboxTask.created_at))]
            history = self._history(session, instance_id) if with_history else []
            return InstanceView(
                instance.id, instance.process_id, instance.version.version, instance.business_key,
                instance.status.value, instance.started_by, instance.started_at, instance.updated_at,
                instance.ended_at, instance.error_element, instance.error_message,
                instance.completed_tasks, instance.summary, tasks, self._data(session, instance), history)

    def instances(self, *, status: str | None = None, process_id: str | None = None,
                  limit: int = 200) -> list[InstanceView]:
        """Instances, newest first, without history or data."""
        with self.db.read() as session:
            query = select(Instance, ProcessVersion.version).join(ProcessVersion)
            if status:
                query = query.where(Instance.status == InstanceStatus(status))
            if process_id:
                query = query.where(Instance.process_id == process_id)
            rows = session.execute(query.order_by(Instance.id.desc()).limit(limit)).all()
            return [InstanceView(i.id, i.process_id, v, i.business_key, i.status.value, i.started_by, i.started_at,
                                 i.updated_at, i.ended_at, i.error_element, i.error_message, i.completed_tasks,
                                 i.summary) for i, v in rows]

    def units(self) -> list[tuple[str, str]]:
        """Every unit as (code, name), by name: the choices of a unit filter."""
        with self.db.read() as session:
            return [(r.code, r.name) for r in session.execute(select(Unit.code, Unit.name).order_by(Unit.name))]

    def has_users(self) -> bool:
        """True once an organisation has been imported."""
        with self.db.read() as session:
            return session.execute(select(User.username).limit(1)).first() is not None

    def history(self, instance_id: int) -> list[HistoryView]:
        """Every history event of an instance, oldest first."""
        with self.db.read() as session:
            return self._history(session, instance_id)

    def task_history(self, task_id: str) -> list[HistoryView]:
        """The history events of one task, oldest first."""
        with self.db.read() as session:
            rows = session.scalars(select(HistoryEvent).where(HistoryEvent.task_id == task_id)
                                   .order_by(HistoryEvent.id))
            return [HistoryView(r.at, r.kind, r.element_id, r.task_id, r.actor, r.data) for r in rows]

    def _history(self, session: Session, instance_id: int) -> list[HistoryView]:
        rows = session.scalars(select(HistoryEvent).where(HistoryEvent.instance_id == instance_id)
                               .order_by(HistoryEvent.id))
        return [HistoryView(r.at, r.kind, r.element_id, r.task_id, r.actor, r.data) for r in rows]

    def task_data(self, instance_id: int, task_id: str) -> dict[str, Any]:
        """The data an open task sees: its own branch's, which differs from the case's last step in parallel
        branches (the lead unit's instructions are not in a co-ordinating unit's branch). Falls back to the
        case's data when the task is gone."""
        with self.db.read() as session:
            instance = session.get(Instance, instance_id)
            if instance is None:
                raise NotFound(N_("no instance {instance_id}"), instance_id=instance_id)
            spec = self.specs.get(session, instance.process_version_id)
            workflow = self.serializer.loads(instance.state, spec.spec, spec.subprocess_specs, None)
            try:
                task = workflow.get_task_from_id(UUID(task_id))
            except (ValueError, KeyError, TaskNotFoundException):
                task = None
            return {**current_data(workflow), **task.data} if task is not None else current_data(workflow)

    def _data(self, session: Session, instance: Instance) -> dict[str, Any]:
        spec = self.specs.get(session, instance.process_version_id)
        workflow = self.serializer.loads(instance.state, spec.spec, spec.subprocess_specs, None)
        return current_data(workflow)

"""The tables: deployed processes, instances and their state, the inbox, history, organisation."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.persistence.base import Base, Code, JsonDict, Name, Timestamp
from engine.persistence.chain import GENESIS


def _values(enum_cls: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_cls]


class InstanceStatus(enum.StrEnum):
    """Where an instance stands."""

    RUNNING = "running"
    SUSPENDED = "suspended"
    ERROR = "error"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class DeployedFile(Base):
    """A BPMN or DMN file as it was deployed (content kept, identified by hash)."""

    __tablename__ = "deployed_files"
    __table_args__ = (UniqueConstraint("name", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[Name]
    kind: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[Timestamp]


class DeployedDecision(Base):
    """A DMN decision id and the file that defines it (newest row wins)."""

    __tablename__ = "deployed_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[Code] = mapped_column(index=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("deployed_files.id"))


class ProcessVersion(Base):
    """One version of one process id: its parsed spec, XML and user-task metadata."""

    __tablename__ = "process_versions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[Code] = mapped_column(index=True)
    version: Mapped[int]
    name: Mapped[Name]
    content_hash: Mapped[str] = mapped_column(String(64))
    file_id: Mapped[int] = mapped_column(ForeignKey("deployed_files.id"))
    spec_json: Mapped[str] = mapped_column(Text)
    # element id -> {name, lane, candidate_groups, form, due, documentation, ...}
    tasks_meta: Mapped[JsonDict]
    documentation: Mapped[str] = mapped_column(Text, default="")
    deployed_at: Mapped[Timestamp]
    deployed_by: Mapped[str | None] = mapped_column(String(100))

    file: Mapped[DeployedFile] = relationship()


class Instance(Base):
    """A running or finished case of a procedure."""

    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    process_id: Mapped[Code] = mapped_column(index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # A one-line description of the case for lists and search (the process's ``summary`` expression).
    summary: Mapped[str | None] = mapped_column(String(500))
    # Decree 30 urgency level (flash, top_urgent, urgent, normal) from the process's ``urgency`` expression.
    urgency: Mapped[str | None] = mapped_column(String(20))
    # The unit of the user who started the case, at that moment: the unit the case (and its tasks) is for.
    unit_code: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[InstanceStatus] = mapped_column(
        Enum(InstanceStatus, native_enum=False, length=20, values_callable=_values), index=True
    )
    started_by: Mapped[str | None] = mapped_column(String(100), index=True)
    started_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]
    ended_at: Mapped[datetime | None]
    error_element: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    completed_tasks: Mapped[int] = mapped_column(Integer, default=0)
    # The earliest pending timer of this instance (None: it has none), so a step can skip timer bookkeeping.
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    # The messages and signals the instance waits for ("message:name" lines, sorted; None: none), mirrored by
    # event_subscriptions rows; kept here so that a step knows what it had without asking (engine/runtime/routing.py).
    waits_for: Mapped[str | None] = mapped_column(Text)
    # The head of the case's history hash chain and its length (engine/persistence/chain.py): read with the row
    # lock a step takes anyway and written by the step's own UPDATE, so the chain costs no extra statement.
    history_head: Mapped[str] = mapped_column(String(64), server_default=GENESIS)
    history_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # The serialized live workflow (kept small by pruning). Deferred: lists and reports never load it, and
    # as the last column it does not slow down reading the others.
    state: Mapped[str] = mapped_column(Text, deferred=True)

    version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}


class InboxTask(Base):
    """One open user task: what the inbox reads, never deserializing a workflow."""

    __tablename__ = "inbox_tasks"
    __table_args__ = (
        Index("ix_inbox_tasks_assignee_due", "assignee", "due_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[Code]
    element_id: Mapped[Code]
    name: Mapped[Name]
    lane: Mapped[str | None] = mapped_column(String(200))
    form_key: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[Timestamp]
    due_at: Mapped[datetime | None] = mapped_column(index=True)

    # Candidate group codes in model order, kept beside the indexed rows of task_candidate_groups so that
    # showing a task or checking who may work on it needs no second query.
    group_codes: Mapped[list[str]] = mapped_column(JSON(), default=list)
    # The case's unit (instances.unit_code), copied by a trigger when the row is inserted (0009), so that managers'
    # figures count unassigned tasks by unit without looking up each case (docs/managers.md).
    case_unit_code: Mapped[str | None] = mapped_column(String(100))
    # The unit of the group (or lane) the task is offered to, which it counts for while nobody holds it
    # (engine/org/attribution.py); NULL: offered to nobody in particular, or opened before 0020.
    group_unit_code: Mapped[str | None] = mapped_column(String(100))

    candidate_groups: Mapped[list[TaskCandidateGroup]] = relationship(
        back_populates="task", cascade="all, delete-orphan", passive_deletes=True
    )


class TaskCandidateGroup(Base):
    """Whom an unassigned open task is offered to: a group, ``user:<name>``, or ``*`` (everyone).

    A task assigned to someone has no rows here (its groups stay in ``InboxTask.group_codes``, so unclaiming
    offers it again), so the inbox finds a user's tasks by index alone (docs/inbox.md).
    """

    __tablename__ = "task_candidate_groups"
    __table_args__ = (Index("ix_task_candidate_groups_group_code_task_id", "group_code", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("inbox_tasks.id", ondelete="CASCADE"), primary_key=True)
    group_code: Mapped[Code] = mapped_column(primary_key=True)

    task: Mapped[InboxTask] = relationship(back_populates="candidate_groups")


class HistoryEvent(Base):
    """Append-only record of who did what, when, with which data."""

    __tablename__ = "history"
    __table_args__ = (
        Index("ix_history_instance_id_id", "instance_id", "id"),
        Index("ix_history_kind_at", "kind", "at"),
        Index("ix_history_actor_instance_id", "actor", "instance_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    at: Mapped[Timestamp]
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_type: Mapped[str | None] = mapped_column(String(60))
    task_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    # Filled on task_completed events, for managers' figures by SQL aggregation: the process, the actor's
    # unit at that moment, when the task opened, its deadline, and how late it was in working seconds.
    process_id: Mapped[str | None] = mapped_column(String(100))
    unit_code: Mapped[str | None] = mapped_column(String(100))
    task_created_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    late_seconds: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the row's content chained to the previous row of its case (engine/persistence/chain.py). NULL only
    # in rows copied in by seeding tools; `procflow audit verify` reports such a row as not in the chain.
    seq: Mapped[int | None] = mapped_column(Integer)  # the row's position in its case's chain: 1, 2, ...
    hash: Mapped[str | None] = mapped_column(String(64))


class Unit(Base):
    """An organisational unit (agency, office, department, party cell), nested."""

    __tablename__ = "units"

    code: Mapped[Code] = mapped_column(primary_key=True)
    name: Mapped[Name]
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    head_username: Mapped[str | None] = mapped_column(String(100))


class User(Base):
    """A person who works in procflow."""

    __tablename__ = "users"

    username: Mapped[Code] = mapped_column(primary_key=True)
    full_name: Mapped[Name]
    email: Mapped[str | None] = mapped_column(String(300))
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The language of the user's e-mails (and of the web app until they pick one): "vi" or "en".
    language: Mapped[str] = mapped_column(String(5), default="vi", server_default="vi")
    # When the user was deactivated (left the agency); None while active. The row stays: history names them.
    deactivated_at: Mapped[datetime | None]


class Group(Base):
    """A role or group; lanes and candidate groups in models name these."""

    __tablename__ = "groups"

    code: Mapped[Code] = mapped_column(primary_key=True)
    name: Mapped[Name]


class Membership(Base):
    """A user belongs to a group."""

    __tablename__ = "memberships"

    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), primary_key=True)
    group_code: Mapped[str] = mapped_column(ForeignKey("groups.code", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class DayKind(enum.StrEnum):
    """What a calendar day is: a day off of some kind, or a weekend day worked instead."""

    HOLIDAY = "holiday"
    COMPENSATORY = "compensatory"
    SWAPPED = "swapped"
    EXTRA_WORKDAY = "extra_workday"


class DaySource(enum.StrEnum):
    """Who put a calendar day in the database."""

    SHIPPED = "shipped"
    ADMIN = "admin"


class CalendarDay(Base):
    """A date that departs from the weekly rhythm: a public holiday, a day off in lieu, or a Saturday worked."""

    __tablename__ = "calendar_days"

    date: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(Enum(DayKind, native_enum=False, length=20, values_callable=_values))
    name_vi: Mapped[Name]
    name_en: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[DaySource] = mapped_column(Enum(DaySource, native_enum=False, length=20, values_callable=_values))
    # Part of the calendar cache's version, with the revision in calendar_settings (engine/calendar/store.py).
    updated_at: Mapped[Timestamp]


class CalendarSetting(Base):
    """One office-hours setting (``timezone``, ``periods``, ``workdays``; absent means default) or the ``revision``."""

    __tablename__ = "calendar_settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON())
    updated_at: Mapped[Timestamp]


class TimerKind(enum.StrEnum):
    """What a timer does when it falls due."""

    BPMN = "bpmn"              # a BPMN timer event of an instance (boundary, intermediate, event sub-process)
    REMINDER = "reminder"      # remind whoever may work on a task before its deadline
    ESCALATION = "escalation"  # the deadline passed: tell the head of the unit
    REASSIGN = "reassign"      # the grace period after escalation passed: give the task to the head
    PROCESS_START = "process_start"  # a top-level timer start event: start a new case of a process version


class TimerStatus(enum.StrEnum):
    """Where a timer stands."""

    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


# A timer belongs to an instance, or (a timer start event) to a process version: exactly one of them.
TIMER_OWNER = "(instance_id IS NULL) <> (process_version_id IS NULL)"


class Timer(Base):
    """A moment something must happen: SQL is the source of truth; Redis only wakes a worker."""

    __tablename__ = "timers"
    # No uniqueness on (instance, task, kind): a cycle timer leaves one fired row per firing.
    __table_args__ = (Index("ix_timers_status_due_at", "status", "due_at"),
                      CheckConstraint(TIMER_OWNER, name="owner"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # The instance the timer belongs to; None for ``process_start``, which names a process version instead.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    process_version_id: Mapped[int | None] = mapped_column(ForeignKey("process_versions.id"), index=True)
    kind: Mapped[TimerKind] = mapped_column(Enum(TimerKind, native_enum=False, length=20, values_callable=_values))
    # Spiff task id (bpmn), inbox task id (reminder, escalation, reassign), or for process_start the number of
    # the occurrence in its timer's cycle ("1" for a date or a duration; engine/timers/starts.py).
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[Timestamp]
    status: Mapped[TimerStatus] = mapped_column(
        Enum(TimerStatus, native_enum=False, length=20, values_callable=_values), default=TimerStatus.PENDING)
    fired_at: Mapped[datetime | None]
    created_at: Mapped[Timestamp]


class EventSubscription(Base):
    """A running instance waits for a message or signal of this name (routing between instances)."""

    __tablename__ = "event_subscriptions"
    __table_args__ = (Index("ix_event_subscriptions_kind_name_id", "kind", "name", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # message | signal
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[Timestamp]


class Notification(Base):
    """A message for one user (reminder, escalation, returned work); shown in the inbox, e-mailed if set up.

    Stored as a key of engine/notify/wording.py and its parameters, rendered in the reader's language when read.
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_username_created_at", "username", "created_at"),
                      Index("ix_notifications_username_read_at", "username", "read_at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    message_key: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict[str, Any]] = mapped_column(JSON(), default=dict)
    created_at: Mapped[Timestamp]
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    email_error: Mapped[str | None] = mapped_column(Text)


class Counter(Base):
    """A yearly running number (arrival numbers of incoming documents, numbers of outgoing ones)."""

    __tablename__ = "counters"

    name: Mapped[Code] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


# The staff inbox's tables (saved filters, drafts, comments, attachments) live in their own module; importing it
# here puts them on Base.metadata wherever the models are loaded (Alembic, tests, services).
from engine.persistence import case_models  # noqa: E402,F401


class DeployedForm(Base):
    """A version of a form definition (Camunda Forms JSON); process versions point at the ones they use."""

    __tablename__ = "deployed_forms"
    __table_args__ = (UniqueConstraint("key", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[Code] = mapped_column(index=True)  # the file name without .form
    form_id: Mapped[Code] = mapped_column(index=True)  # the "id" inside the JSON (Camunda 8's formId)
    version: Mapped[int]
    name: Mapped[Name]  # the file as deployed
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[Timestamp]


# Managers' figures (rollups kept by triggers, settings, yearly evaluations), the users' signing certificates
# (engine/signing/registry.py), documents and their files, the exchange between agencies, API tokens, sessions
# and sign-in throttling, operations,
# the access log and the anchors of the hash chains (docs/security.md), on Base.metadata the same way.
from engine.persistence import (  # noqa: E402,F401
    account_models,
    analytics_models,
    audit_models,
    document_models,
    exchange_models,
    migration_models,
    ops_models,
    retention_models,
    signing_models,
    storage_models,
    token_models,
)

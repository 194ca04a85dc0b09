"""Timers as rows in SQL: kept in step with each instance's workflow and inbox, in the same transaction.

Every BPMN timer an instance waits on, and every reminder, escalation and reassignment of a task with
a deadline, is a row of ``timers`` with its due moment. SQL is the source of truth: Redis/RQ only
wakes a worker at the due moment (see engine/queue/jobs.py), and a reconciliation pass restores anything
Redis lost. Firing a timer changes its row from pending to fired in the same transaction as its
effect, so a timer fired twice (two workers, a retried job) changes the instance once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from engine.bpmn.execution import tasks_in_state
from engine.calendar.working_time import WorkingDuration
from engine.persistence.base import table_of
from engine.persistence.models import Timer, TimerKind, TimerStatus

_timers = table_of(Timer)

DEFAULT_REMINDER = "working:P1D"
TASK_KINDS = (TimerKind.REMINDER.value, TimerKind.ESCALATION.value, TimerKind.REASSIGN.value)


@dataclass(frozen=True)
class DueTimer:
    """A pending timer to wake a worker for."""

    id: int
    due_at: datetime


class Dispatcher(Protocol):
    """What happens after a step commits: wake workers for timers, deliver notifications."""

    def schedule(self, timers: list[DueTimer]) -> None:
        """Arrange for each timer to be fired at (or just after) its due moment."""

    def deliver(self, notification_ids: list[int]) -> None:
        """Send the e-mails of newly stored notifications (if e-mail is set up)."""


class InlineDispatcher:
    """No queue: timers are fired by calling the services (tests, simulations, the CLI); mail is sent at once."""

    def __init__(self, mailer: Any = None) -> None:
        self.mailer = mailer

    def schedule(self, timers: list[DueTimer]) -> None:
        """Nothing wakes up by itself here: whoever drives the clock fires due timers."""

    def deliver(self, notification_ids: list[int]) -> None:
        """Send the e-mails now, if a mailer is configured."""
        if self.mailer is not None and notification_ids:
            self.mailer.send(notification_ids)


def waiting_bpmn_timers(workflow: Any) -> dict[str, tuple[str, datetime]]:
    """The timer events a workflow (and its subprocesses) waits on: {task id: (element id, due moment)}."""
    found: dict[str, tuple[str, datetime]] = {}
    for task in tasks_in_state(workflow, TaskState.WAITING):
        definition = _timer_of(getattr(task.task_spec, "event_definition", None))
        if definition is None:
            continue
        value = task._get_internal_data("event_value")
        if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
            value = value.get("next") if value.get("cycles", 0) != 0 else None
        if value:
            found[str(task.id)] = (task.task_spec.bpmn_id, TimerEventDefinition.get_datetime(str(value)))
    return found


def _timer_of(definition: Any) -> TimerEventDefinition | None:
    """The timer a waiting event depends on: its own, or the one inside a multiple event (event-based gateway)."""
    if isinstance(definition, TimerEventDefinition):
        return definition
    if isinstance(definition, MultipleEventDefinition):
        return next((d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)), None)
    return None


_PENDING = select(_timers.c.id, _timers.c.kind, _timers.c.task_id, _timers.c.due_at).where(
    _timers.c.instance_id == bindparam("instance_id"), _timers.c.status == TimerStatus.PENDING.value)
_CANCEL = update(_timers).where(_timers.c.id.in_(bindparam("ids", expanding=True))).values(
    status=TimerStatus.CANCELLED.value)
_FIRED = update(_timers).where(_timers.c.id.in_(bindparam("ids", expanding=True))).values(
    status=TimerStatus.FIRED.value, fired_at=bindparam("b_now"))
_RESCHEDULE = update(_timers).where(_timers.c.id == bindparam("b_id")).values(due_at=bindparam("b_due"))
_INSERT = insert(_timers).returning(_timers.c.id, _timers.c.due_at)


@dataclass
class TimerPlan:
    """What a step wants of an instance's timers."""

    bpmn: dict[str, tuple[str, datetime]]
    task_timers: list[dict[str, Any]]  # new reminder/escalation/reassign rows
    closed_tasks: set[str]             # inbox tasks that closed: their task timers are cancelled
    fired: set[str] = field(default_factory=set)  # Spiff tasks completed in this step (timers that fired)

    def is_empty(self) -> bool:
        """True when the step neither has nor wants any timer."""
        return not (self.bpmn or self.task_timers or self.closed_tasks)


def sync_timers(conn: Connection, instance_id: int, plan: TimerPlan, now: datetime,
                has_pending: bool) -> tuple[list[DueTimer], datetime | None]:
    """Make the instance's pending timer rows match ``plan``.

    Returns:
        The timers inserted or moved (to be scheduled after commit), and the earliest pending due moment.
    """
    if plan.is_empty() and not has_pending:
        return [], None
    pending = conn.execute(_PENDING, {"instance_id": instance_id}).all() if has_pending else []
    cancel: list[int] = []
    fired: list[int] = []
    scheduled: list[DueTimer] = []
    earliest: list[datetime] = []
    for row in pending:
        if row.kind == TimerKind.BPMN.value:
            wanted = plan.bpmn.pop(row.task_id, None)
            if wanted is None:
                (fired if row.task_id in plan.fired else cancel).append(row.id)
                continue
            if wanted[1] != row.due_at:
                conn.execute(_RESCHEDULE, {"b_id": row.id, "b_due": wanted[1]})
                scheduled.append(DueTimer(row.id, wanted[1]))
            earliest.append(wanted[1])
        elif row.task_id in plan.closed_tasks:
            cancel.append(row.id)
        else:
            earliest.append(row.due_at)
    if cancel:
        conn.execute(_CANCEL, {"ids": cancel})
    if fired:
        conn.execute(_FIRED, {"ids": fired, "b_now": now})
    rows = [_row(instance_id, TimerKind.BPMN, task_id, element, due, now)
            for task_id, (element, due) in plan.bpmn.items()] + plan.task_timers
    if rows:
        for inserted in conn.execute(_INSERT, rows).all():
            scheduled.append(DueTimer(inserted.id, inserted.due_at))
            earliest.append(inserted.due_at)
    return scheduled, min(earliest) if earliest else None


def _row(instance_id: int, kind: TimerKind, task_id: str, element_id: str | None, due: datetime,
         now: datetime) -> dict[str, Any]:
    return {"instance_id": instance_id, "kind": kind.value, "task_id": task_id, "element_id": element_id,
            "due_at": due, "status": TimerStatus.PENDING.value, "created_at": now, "fired_at": None}


def task_timer_rows(instance_id: int, task: dict[str, Any], meta: dict[str, Any], calendar: Any,
                    now: datetime) -> list[dict[str, Any]]:
    """Reminder before and escalation at the deadline of a new inbox task (plus reassignment if modelled)."""
    due = task.get("due_at")
    if due is None:
        return []
    rows = [_row(instance_id, TimerKind.ESCALATION, task["id"], task["element_id"], due, now)]
    reminder = shift(due, meta.get("reminder") or DEFAULT_REMINDER, calendar, backwards=True)
    if now < reminder < due:
        rows.append(_row(instance_id, TimerKind.REMINDER, task["id"], task["element_id"], reminder, now))
    if meta.get("reassign_after"):
        rows.append(_row(instance_id, TimerKind.REASSIGN, task["id"], task["element_id"],
                         shift(due, meta["reassign_after"], calendar), now))
    return rows


def shift(moment: datetime, expression: str, calendar: Any, *, backwards: bool = False) -> datetime:
    """Move ``moment`` by a working-time (``working:P1D``) or ISO 8601 (``PT2H``) duration."""
    text = expression.strip().strip('"').strip("'")
    working = calendar.parse_working_duration(text) if calendar is not None else None
    if working is not None:
        if backwards:
            working = WorkingDuration(days=-working.days, time=-working.time)
        return calendar.add(moment, working)
    parsed = TimerEventDefinition.parse_iso_duration(text)
    delta = TimerEventDefinition.get_timedelta_from_start(parsed, moment)
    return moment - delta if backwards else moment + delta


def mark_fired(conn: Connection, timer_id: int, now: datetime) -> None:
    """Record that a timer has had its effect."""
    conn.execute(update(_timers).where(_timers.c.id == timer_id).values(status=TimerStatus.FIRED.value, fired_at=now))


_LOCK = select(_timers).where(_timers.c.id == bindparam("timer_id")).with_for_update()


def lock_timer(conn: Connection, timer_id: int) -> Any:
    """Read a timer row and lock it until the transaction ends (None if it does not exist)."""
    return conn.execute(_LOCK, {"timer_id": timer_id}).first()


def pending_due(conn: Connection, until: datetime, limit: int = 10000) -> list[DueTimer]:
    """Pending timers due before ``until``, earliest first."""
    rows = conn.execute(select(_timers.c.id, _timers.c.due_at)
                        .where(_timers.c.status == TimerStatus.PENDING.value, _timers.c.due_at <= until)
                        .order_by(_timers.c.due_at).limit(limit)).all()
    return [DueTimer(r.id, r.due_at) for r in rows]


SOON = timedelta(seconds=2)

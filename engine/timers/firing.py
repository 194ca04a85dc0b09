"""Firing timers: BPMN timer events, reminders, escalations and reassignments, each exactly once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from engine.notify import wording
from engine.notify.mail import group_members, notify
from engine.org.attribution import alert_head
from engine.org.service import head_for
from engine.persistence import repository
from engine.persistence.models import (
    InboxTask,
    Instance,
    InstanceStatus,
    ProcessVersion,
    Timer,
    TimerKind,
    TimerStatus,
)
from engine.runtime.core import Runtime, Step
from engine.runtime.inbox_rows import USER_PREFIX
from engine.runtime.scheduling import DueTimer, lock_timer, mark_fired, pending_due
from engine.runtime.specs import LoadedSpec
from engine.telemetry import TIMER_LAG_SECONDS
from engine.timers.escalation import Escalation, resolve
from engine.timers.starts import TimerStarts

FIRED, EARLY, SKIPPED, WAITING = "fired", "early", "skipped", "waiting"


@dataclass(frozen=True)
class PendingTimer:
    """A pending timer as listed: a case's (``instance_id``) or a process version's (``process_start``)."""

    id: int
    kind: str
    due_at: datetime
    process_id: str | None
    version: int | None
    instance_id: int | None
    element_id: str | None
    task_id: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {**asdict(self), "due_at": self.due_at.isoformat()}


class TimerService:
    """Fires due timers; safe to call twice for the same timer, from any number of workers."""

    def __init__(self, *, runtime: Runtime, timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.runtime = runtime
        self.zone = ZoneInfo(timezone)
        self.clock = runtime.clock
        self._handlers: dict[str, Callable[[Step, Any, datetime], str]] = {
            TimerKind.BPMN.value: self._fire_bpmn,
            TimerKind.REMINDER.value: self._remind,
            TimerKind.ESCALATION.value: self._escalate,
            TimerKind.REASSIGN.value: self._reassign,
            TimerKind.PROCESS_START.value: self._start_case,
        }
        self.starts = TimerStarts(clock=self.clock, calendar=runtime.calendar,
                                  evaluate=runtime.script_engine.environment.evaluate)

    def fire(self, timer_id: int) -> str:
        """Fire one timer if it is pending and due.

        Returns:
            ``fired``; ``early`` (not due yet: schedule it again); ``waiting`` (its case is suspended:
            it fires when resumed); or ``skipped`` (already fired or cancelled, or unknown).
        """
        with self.runtime.transaction() as step:
            row = lock_timer(step.conn, timer_id)
            if row is None or row.status != TimerStatus.PENDING.value:
                return SKIPPED
            now = self.clock.now()
            if row.due_at > now:
                return EARLY
            TIMER_LAG_SECONDS.observe(max(0.0, (now - row.due_at).total_seconds()))
            return self._handlers[row.kind](step, row, now)

    def due(self, until: datetime | None = None, limit: int = 10000) -> list[DueTimer]:
        """Pending timers due by ``until`` (default: now), earliest first."""
        with self.runtime.db.read() as session:
            return pending_due(session.connection(), until or self.clock.now(), limit)

    def fire_due(self) -> int:
        """Fire every timer due now (a burst worker, a simulation); return how many fired."""
        return sum(self.fire(t.id) == FIRED for t in self.due())

    def pending(self, *, process_id: str | None = None, kind: str | None = None,
                limit: int = 100) -> list[PendingTimer]:
        """Pending timers, earliest first, with the process (and version) each belongs to."""
        version_id = func.coalesce(Timer.process_version_id, Instance.process_version_id)
        query = (select(Timer.id, Timer.kind, Timer.due_at, Timer.instance_id, Timer.element_id, Timer.task_id,
                        ProcessVersion.process_id, ProcessVersion.version)
                 .outerjoin(Instance, Instance.id == Timer.instance_id)
                 .outerjoin(ProcessVersion, ProcessVersion.id == version_id)
                 .where(Timer.status == TimerStatus.PENDING).order_by(Timer.due_at, Timer.id).limit(limit))
        if process_id is not None:
            query = query.where(ProcessVersion.process_id == process_id)
        if kind is not None:
            query = query.where(Timer.kind == TimerKind(kind))
        with self.runtime.db.read() as session:
            return [PendingTimer(r.id, TimerKind(r.kind).value, r.due_at, r.process_id, r.version, r.instance_id,
                                 r.element_id, r.task_id) for r in session.execute(query)]

    # -- handlers -----------------------------------------------------------------------------
    def _fire_bpmn(self, step: Step, row: Any, now: datetime) -> str:
        status = _instance_status(step, row.instance_id)
        if status is InstanceStatus.SUSPENDED:
            return WAITING
        mark_fired(step.conn, row.id, now)
        if status is InstanceStatus.RUNNING:
            self.runtime.advance(step, row.instance_id)
        return FIRED

    def _start_case(self, step: Step, row: Any, now: datetime) -> str:
        """A timer start event: a new case of its process version (engine/timers/starts.py)."""
        return FIRED if self.starts.fire(self.runtime, step, row, now) else SKIPPED

    def _remind(self, step: Step, row: Any, now: datetime) -> str:
        task = _open_task(step, row.task_id)
        if task is None:
            return self._done(step, row, now)
        if _instance_status(step, row.instance_id) is InstanceStatus.SUSPENDED:
            return WAITING
        users = [task.assignee] if task.assignee else _candidates(step, task.group_codes)
        self._tell(step, users, "reminder", wording.REMINDER_DUE, self._about(step, task, row), row, now)
        return self._done(step, row, now, "reminder_sent", {"to": users})

    def _escalate(self, step: Step, row: Any, now: datetime) -> str:
        task = _open_task(step, row.task_id)
        if task is None:
            return self._done(step, row, now)
        if _instance_status(step, row.instance_id) is InstanceStatus.SUSPENDED:
            return WAITING
        target = self._target(step, row, task)
        about = self._about(step, task, row)
        if task.assignee:
            about["assignee"] = repository.person_name(step.conn, task.assignee)
        key = wording.OVERDUE if task.assignee else wording.OVERDUE_UNCLAIMED
        self._tell(step, target.told, "escalation", key, about, row, now)
        return self._done(step, row, now, "escalated", target.escalated(task.assignee))

    def _reassign(self, step: Step, row: Any, now: datetime) -> str:
        task = _open_task(step, row.task_id)
        if task is None:
            return self._done(step, row, now)
        target = self._target(step, row, task)
        head = target.taker
        if head is None or head == task.assignee:
            return self._done(step, row, now, "reassign_skipped", {"reason": _why_not(target, task.assignee),
                                                                   **target.details()})
        repository.assign_task(step.conn, task.id, head)
        self._tell(step, [head], "reassigned", wording.REASSIGNED_OVERDUE, self._about(step, task, row), row, now)
        return self._done(step, row, now, "reassigned", {"from": task.assignee, "to": head, **target.details()})

    def _target(self, step: Step, row: Any, task: Any) -> Escalation:
        """Whom the overdue task goes to: its ``procflow:escalateTo`` resolved now, else the head of unit."""
        version_id = step.conn.execute(select(Instance.process_version_id)
                                       .where(Instance.id == row.instance_id)).scalar_one()
        spec = self.runtime.specs.get(step.conn, version_id)
        expression = spec.tasks_meta.get(row.element_id, {}).get("escalate_to")

        def head() -> str | None:
            """The head of the unit the task counts for (engine/org/attribution.py)."""
            if task.assignee or task.group_unit_code:
                return alert_head(step.conn, task.assignee, task.group_unit_code, None)
            return head_for(step.conn, _started_by(step, row.instance_id))  # offered to anyone: the starter's head

        if not expression:
            return Escalation.to_head(head())
        return resolve(step.conn, expression, lambda: self._task_data(step, spec, row), head)

    def _task_data(self, step: Step, spec: LoadedSpec, row: Any) -> dict[str, Any]:
        """The open task's data as last saved (for a ``${variable}`` in ``procflow:escalateTo``)."""
        state = step.conn.execute(select(Instance.state).where(Instance.id == row.instance_id)).scalar_one()
        workflow = self.runtime.serializer.loads(state, spec.spec, spec.subprocess_specs, self.runtime.script_engine)
        task = workflow.get_task_from_id(UUID(row.task_id))
        return dict(task.data) if task is not None else {}

    def _about(self, step: Step, task: Any, row: Any) -> dict[str, Any]:
        """The parameters every timer's notification has: the task, its case (with its title), its deadline."""
        return {"task": task.name, "case": repository.case_ref(step.conn, row.instance_id),
                "due": task.due_at.astimezone(self.zone) if task.due_at else "-"}

    def _tell(self, step: Step, users: list[str], kind: str, key: str, params: dict[str, Any], row: Any,
              now: datetime) -> None:
        step.notifications.extend(notify(step.conn, users, kind=kind, key=key, params=params,
                                         instance_id=row.instance_id, task_id=row.task_id, now=now))

    def _done(self, step: Step, row: Any, now: datetime, kind: str | None = None,
              data: dict[str, Any] | None = None) -> str:
        mark_fired(step.conn, row.id, now)
        if kind:
            repository.add_history(step.conn, [{"instance_id": row.instance_id, "at": now, "kind": kind,
                                                "task_id": row.task_id, "element_id": row.element_id, "data": data}])
        return FIRED


def _open_task(step: Step, task_id: str) -> Any:
    return step.conn.execute(select(InboxTask.id, InboxTask.name, InboxTask.assignee, InboxTask.group_codes,
                                    InboxTask.due_at, InboxTask.group_unit_code)
                             .where(InboxTask.id == task_id)).first()


def _instance_status(step: Step, instance_id: int) -> InstanceStatus | None:
    value = step.conn.execute(select(Instance.status).where(Instance.id == instance_id)).scalar()
    return InstanceStatus(value) if value is not None else None


def _started_by(step: Step, instance_id: int) -> str | None:
    return step.conn.execute(select(Instance.started_by).where(Instance.id == instance_id)).scalar()


def _why_not(target: Escalation, assignee: str | None) -> str:
    """Why a reassignment gives the task to nobody: today's reason, or the group escalateTo names."""
    if target.group:
        return f"procflow:escalateTo names the group {target.group}: its members are told, nobody is given the task"
    if target.expression and not target.fallback and target.taker == assignee:
        return f"procflow:escalateTo names {assignee}, who has the task already"
    return "no head of unit to give it to"


def _candidates(step: Step, group_codes: list[str] | None) -> list[str]:
    codes = list(group_codes or [])
    users = [c[len(USER_PREFIX):] for c in codes if c.startswith(USER_PREFIX)]
    return users + group_members(step.conn, [c for c in codes if not c.startswith(USER_PREFIX)])



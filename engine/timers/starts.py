"""Timer start events start new cases: a process's schedule as ``process_start`` rows of ``timers``.

A top-level start event with a timer (timeDate, timeDuration, timeCycle) makes its process start by itself.
Deploying a new version of such a process cancels the process's pending ``process_start`` rows and inserts one
for the new version, due at the timer's next occurrence from the engine clock's now, in the deployment's
transaction. Firing that row (engine/timers/firing.py, row locked) starts a case of the version whose start event
counts as fired, and for a cycle inserts the row of the next occurrence: one row is pending per timer start event
at a time. A hand start (``procflow start``) is unchanged: its start event waits for the timer inside the case.

Occurrences follow SpiffWorkflow's reading of the timer (ISO 8601 text or an expression; ``engine.bpmn.timers``):

* timeDate: once, at that moment; nothing if it is already past.
* timeDuration: once, that long after the deployment (``working:`` durations use the business calendar).
* timeCycle ``R<n>/<start>/<period>`` or ``R<n>/<period>``: first at the start (no start: now + period), then
  every period, n times (``R/``: for ever). Occurrences already past are skipped and count as used, at deploy
  time and after a late firing alike: a worker that was down for weeks starts one late case, not one per week.

The row's ``task_id`` holds the occurrence's number in its cycle ("1" for a date or a duration).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from engine.bpmn.script_engine import ProcflowScriptEngine
from engine.bpmn.timers import parse_recurring
from engine.calendar.store import pinned
from engine.clock import Clock
from engine.persistence.base import table_of
from engine.persistence.db import raise_if_unavailable
from engine.persistence.models import ProcessVersion, Timer, TimerKind, TimerStatus
from engine.runtime.core import Runtime
from engine.runtime.scheduling import Dispatcher, DueTimer, InlineDispatcher, mark_fired, shift
from engine.runtime.start_events import top_start_events
from engine.runtime.step_writer import Step

DATE, DURATION, CYCLE = "date", "duration", "cycle"
log = logging.getLogger("procflow.start_timers")
_timers = table_of(Timer)
_INSERT = insert(_timers).returning(_timers.c.id, _timers.c.due_at)


@dataclass(frozen=True)
class StartTimer:
    """A top-level start event with a timer."""

    element_id: str
    kind: str  # date | duration | cycle
    expression: str


@dataclass(frozen=True)
class Occurrence:
    """One moment a timer start event fires."""

    due_at: datetime
    number: int  # its position in the cycle, from 1


def timer_starts(spec: Any) -> list[StartTimer]:
    """The top-level timer start events of a process spec (event sub-processes have their own specs)."""
    found = []
    for start in top_start_events(spec):
        definition: Any = getattr(start, "event_definition", None)
        kind = _kind(definition)
        if kind is not None:
            found.append(StartTimer(start.bpmn_id, kind, definition.expression))
    return found


def _kind(definition: Any) -> str | None:
    if isinstance(definition, CycleTimerEventDefinition):
        return CYCLE
    if isinstance(definition, DurationTimerEventDefinition):
        return DURATION
    if isinstance(definition, TimeDateEventDefinition):
        return DATE
    return None


class StartSchedule:
    """The occurrences of timer start events, on the engine's clock and business calendar."""

    def __init__(self, *, calendar: Any = None, evaluate: Callable[[str, dict[str, Any]], Any] | None = None) -> None:
        self.calendar = calendar
        self._evaluate = evaluate or ProcflowScriptEngine(calendar=calendar).environment.evaluate

    def first(self, timer: StartTimer, now: datetime) -> Occurrence | None:
        """The first occurrence at or after ``now`` (None: the timer never fires again, or cannot be read)."""
        value = self._value(timer)
        if value is None:
            return None
        try:
            if timer.kind == DATE:
                moment = TimerEventDefinition.parse_time_or_duration(value)
                return Occurrence(moment, 1) if isinstance(moment, datetime) and moment >= now else None
            if timer.kind == DURATION:
                return Occurrence(shift(now, value, self.calendar), 1)
            cycles, start, period = parse_recurring(value, now)
            return _on_or_after(Occurrence(start, 1), cycles, period, now)
        except Exception as exc:  # a value that is no ISO 8601 date, duration or cycle
            raise_if_unavailable(exc)
            log.warning("timer start event %s: cannot read %r (%s); nothing scheduled", timer.element_id, value, exc)
            return None

    def after(self, timer: StartTimer, fired: Occurrence, now: datetime) -> Occurrence | None:
        """The occurrence after ``fired`` (skipping those already past), or None when the cycle is over."""
        value = self._value(timer) if timer.kind == CYCLE else None
        if value is None:
            return None
        try:
            cycles, _, period = parse_recurring(value, fired.due_at)
        except Exception as exc:  # read before, at deployment: only an expression that changes its mind fails
            log.warning("timer start event %s: cannot read %r (%s); no further case", timer.element_id, value, exc)
            return None
        return _on_or_after(Occurrence(fired.due_at + period, fired.number + 1), cycles, period, now)

    def _value(self, timer: StartTimer) -> str | None:
        """The timer's expression evaluated without case data, as SpiffWorkflow evaluates it on a start event."""
        try:
            return str(self._evaluate(timer.expression, {})).strip()
        except Exception as exc:  # e.g. it needs case data a timer-started case does not have
            raise_if_unavailable(exc)
            log.warning("timer start event %s: %r cannot be evaluated (%s); nothing scheduled",
                        timer.element_id, timer.expression, exc)
            return None


def _on_or_after(first: Occurrence, cycles: int, period: timedelta, now: datetime) -> Occurrence | None:
    """``first``, or the first occurrence after it at or after ``now``; None past ``cycles`` (-1: for ever)."""
    if period <= timedelta(0):
        return None
    due, number = first.due_at, first.number
    if due < now:
        missed = math.ceil((now - due) / period)
        due, number = due + missed * period, number + missed
    if 0 <= cycles < number:
        return None
    return Occurrence(due, number)


class TimerStarts:
    """Schedules (at deployment) and fires (in a worker) the cases that timer start events start."""

    def __init__(self, *, clock: Clock, calendar: Any = None, dispatcher: Dispatcher | None = None,
                 evaluate: Callable[[str, dict[str, Any]], Any] | None = None) -> None:
        self.clock = clock
        self.schedule = StartSchedule(calendar=calendar, evaluate=evaluate)
        self.dispatcher: Dispatcher = dispatcher or InlineDispatcher()

    # -- deployment -----------------------------------------------------------------------------
    def deployed(self, conn: Connection, process_id: str, version: int, spec: Any, *,
                 created: bool) -> list[DueTimer]:
        """Bring the process's schedule in line with a deployment that left ``version`` (``spec``) in place.

        A new version replaces the process's pending rows by its own (if it has a timer start event). An unchanged
        version keeps its schedule; only the latest one that never had one (deployed before procflow scheduled
        timer starts) is scheduled now. Returns the rows inserted, to be dispatched after commit.
        """
        starts = timer_starts(spec)
        if not created and not starts:
            return []
        latest = conn.execute(select(ProcessVersion.id, ProcessVersion.version)
                              .where(ProcessVersion.process_id == process_id)
                              .order_by(ProcessVersion.version.desc()).limit(1)).one()
        version_id = latest.id
        if created:
            _cancel_pending(conn, process_id)
        elif latest.version != version or _ever_scheduled(conn, version_id):
            return []  # an older version's file deployed again, or a schedule already made
        now = self.clock.now()
        with pinned(self.schedule.calendar, conn):  # the deployment's connection: no second one from the pool
            return self._insert(conn, version_id, [(t, self.schedule.first(t, now)) for t in starts], now)

    def dispatch(self, timers: list[DueTimer]) -> None:
        """Wake a worker for each inserted row (after commit); reconciliation catches up if this is lost."""
        if timers:
            self.dispatcher.schedule(timers)

    # -- firing ---------------------------------------------------------------------------------
    def fire(self, runtime: Runtime, step: Step, row: Any, now: datetime) -> bool:
        """Start the case of a due ``process_start`` row locked by the caller; schedule the next occurrence.

        Returns False (the row is cancelled) when a newer version of the process has been deployed since.
        """
        conn = step.conn
        spec = runtime.specs.get(conn, row.process_version_id)
        timer = next((t for t in timer_starts(spec.spec) if t.element_id == row.element_id), None)
        if timer is None or _superseded(conn, row.process_version_id):
            conn.execute(update(_timers).where(_timers.c.id == row.id).values(status=TimerStatus.CANCELLED.value))
            return False
        mark_fired(conn, row.id, now)
        fired = Occurrence(row.due_at, _number(row.task_id))
        step.timers.extend(self._insert(conn, row.process_version_id, [(timer, self.schedule.after(timer, fired, now))],
                                        now))
        started = {"version": spec.version, "timer": timer.element_id, "due_at": row.due_at.isoformat()}
        runtime.create_instance(step, spec, {}, None, None, started, start_at=timer.element_id)
        return True

    def _insert(self, conn: Connection, version_id: int, planned: list[tuple[StartTimer, Occurrence | None]],
                now: datetime) -> list[DueTimer]:
        rows = [{"instance_id": None, "process_version_id": version_id, "kind": TimerKind.PROCESS_START.value,
                 "task_id": str(occurrence.number), "element_id": timer.element_id, "due_at": occurrence.due_at,
                 "status": TimerStatus.PENDING.value, "created_at": now, "fired_at": None}
                for timer, occurrence in planned if occurrence is not None]
        if not rows:
            return []
        return [DueTimer(r.id, r.due_at) for r in conn.execute(_INSERT, rows).all()]


def _number(task_id: str) -> int:
    try:
        return int(task_id)
    except ValueError:
        return 1


def _cancel_pending(conn: Connection, process_id: str) -> None:
    versions = select(ProcessVersion.id).where(ProcessVersion.process_id == process_id)
    conn.execute(update(_timers).where(_timers.c.kind == TimerKind.PROCESS_START.value,
                                       _timers.c.status == TimerStatus.PENDING.value,
                                       _timers.c.process_version_id.in_(versions))
                 .values(status=TimerStatus.CANCELLED.value))


def _ever_scheduled(conn: Connection, version_id: int) -> bool:
    return conn.execute(select(_timers.c.id).where(_timers.c.process_version_id == version_id).limit(1)).first() \
        is not None


def _superseded(conn: Connection, version_id: int) -> bool:
    """True when a newer version of the process of ``version_id`` exists."""
    mine = aliased(ProcessVersion)
    newer = (select(ProcessVersion.id).join(mine, mine.process_id == ProcessVersion.process_id)
             .where(mine.id == version_id, ProcessVersion.version > mine.version).limit(1))
    return conn.execute(newer).first() is not None

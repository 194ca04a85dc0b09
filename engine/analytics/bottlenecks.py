"""Bottlenecks of one procedure: per step, how long tasks waited and how many were late (for the diagram heatmap)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from engine.analytics.periods import Period
from engine.analytics.scope import Scope
from engine.analytics.sql import COMPLETED, OPEN_FROM, between, history, history_in_scope, inbox, open_in_scope
from engine.persistence.base import table_of
from engine.persistence.models import ProcessVersion


@dataclass(frozen=True)
class StepFigures:
    """One step (BPMN element) of a procedure: completed tasks, their waiting time, late share, open tasks now."""

    element_id: str
    name: str
    completed: int
    mean_wait_hours: float | None  # calendar time from the task opening to its completion
    median_wait_hours: float | None
    with_deadline: int
    late: int
    late_share: float | None
    open_now: int
    open_overdue: int


@dataclass(frozen=True)
class Bottlenecks:
    """The steps of one procedure, slowest (by median wait) first."""

    process_id: str
    period: Period
    steps: list[StepFigures] = field(default_factory=list)


def bottlenecks(conn: Connection, scope: Scope, process_id: str, start: datetime, end: datetime,
                period: Period, now: datetime) -> Bottlenecks:
    """Figures per step of ``process_id`` for tasks completed in ``start <= at < end``, and open tasks now.

    Args:
        conn: a reading connection.
        scope: whose tasks (by the completing person's unit; open tasks by the unit they count for).
        process_id: the procedure.
        start: the period's first moment.
        end: the moment after the period.
        period: the period, as given.
        now: the current moment (for open overdue tasks).

    Returns:
        One entry per step that had completed or open tasks.
    """
    where = and_(COMPLETED, history.c.process_id == process_id, between(history.c.at, start, end),
                 history_in_scope(scope))
    done = _postgres_steps(conn, where) if conn.dialect.name == "postgresql" else _python_steps(conn, where)
    waiting = _open_steps(conn, scope, process_id, now)
    names = _step_names(conn, process_id)
    steps = [_step(e, names.get(e, e), done.get(e), waiting.get(e, (0, 0))) for e in set(done) | set(waiting)]
    steps.sort(key=lambda s: (-(s.median_wait_hours or 0.0), s.element_id))
    return Bottlenecks(process_id, period, steps)


_Done = tuple[int, float | None, float | None, int, int]  # completed, mean and median wait (s), deadline, late


def _postgres_steps(conn: Connection, where: Any) -> dict[str, _Done]:
    """Per-step figures computed by PostgreSQL (``percentile_cont`` for the median)."""
    h = history.c
    wait = func.extract("epoch", h.at - h.task_created_at)
    with_deadline = func.sum(case((h.due_at.is_not(None), 1), else_=0))
    late = func.sum(case((and_(h.due_at.is_not(None), h.late_seconds > 0), 1), else_=0))
    rows = conn.execute(select(h.element_id, func.count(), func.avg(wait), func.percentile_cont(0.5).within_group(wait),
                               with_deadline, late).where(where).group_by(h.element_id)).all()
    return {r[0]: (int(r[1]), _float(r[2]), _float(r[3]), int(r[4] or 0), int(r[5] or 0)) for r in rows}


def _python_steps(conn: Connection, where: Any) -> dict[str, _Done]:
    """The same figures on SQLite, from the period's rows of one procedure (small installations)."""
    h = history.c
    waits: dict[str, list[float]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in conn.execute(select(h.element_id, h.at, h.task_created_at, h.due_at, h.late_seconds).where(where)):
        tally = counts[row.element_id]
        tally[0] += 1
        tally[1] += row.due_at is not None
        tally[2] += row.due_at is not None and (row.late_seconds or 0) > 0
        if row.task_created_at is not None:
            waits[row.element_id].append((row.at - row.task_created_at).total_seconds())
    return {e: (c[0], statistics.fmean(waits[e]) if waits[e] else None,
                statistics.median(waits[e]) if waits[e] else None, c[1], c[2]) for e, c in counts.items()}


def _open_steps(conn: Connection, scope: Scope, process_id: str, now: datetime) -> dict[str, tuple[int, int]]:
    """Open tasks per step now, and how many of them are overdue."""
    overdue = func.sum(case((inbox.c.due_at < now, 1), else_=0))
    rows = conn.execute(select(inbox.c.element_id, func.count(), overdue).select_from(OPEN_FROM)
                        .where(inbox.c.process_id == process_id, open_in_scope(scope))
                        .group_by(inbox.c.element_id)).all()
    return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}


def _step(element_id: str, name: str, done: _Done | None, waiting: tuple[int, int]) -> StepFigures:
    """Build one step's figures."""
    completed, mean, median, with_deadline, late = done or (0, None, None, 0, 0)
    return StepFigures(element_id, name, completed, _hours(mean), _hours(median), with_deadline, late,
                       late / with_deadline if with_deadline else None, waiting[0], waiting[1])


def _step_names(conn: Connection, process_id: str) -> dict[str, str]:
    """Step names from the newest version's task metadata (no workflow is loaded)."""
    v = table_of(ProcessVersion).c
    meta = conn.execute(select(v.tasks_meta).where(v.process_id == process_id)
                        .order_by(v.version.desc()).limit(1)).scalar()
    tasks = (meta or {}).get("tasks", meta or {})  # deployments keep the tasks under "tasks"
    return {key: str(value.get("name") or key) for key, value in tasks.items() if isinstance(value, dict)}


def _float(value: Any) -> float | None:
    """A database number as a float (None stays None)."""
    return None if value is None else float(value)


def _hours(seconds: float | None) -> float | None:
    """Seconds as hours."""
    return None if seconds is None else seconds / 3600

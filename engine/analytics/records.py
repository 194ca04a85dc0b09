"""On-time record per unit and person, and figures per procedure, for a period (monthly rollups plus edges)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from engine.analytics.periods import Period, local_midnight
from engine.analytics.rollups import cycle_bucket, percentile
from engine.analytics.scope import OrgTree, Scope
from engine.analytics.sql import (
    COMPLETED,
    between,
    case_months,
    cases_in_scope,
    history,
    history_in_scope,
    instances,
    months_in_scope,
    task_months,
    users,
)
from engine.persistence.base import table_of
from engine.persistence.models import ProcessVersion


@dataclass
class Tally:
    """Counts of completed tasks that add up across months, units and people."""

    completed: int = 0
    with_deadline: int = 0
    on_time: int = 0
    late: int = 0
    late_seconds: int = 0
    max_late_seconds: int = 0

    def add(self, other: Tally) -> None:
        """Add ``other``'s counts to these."""
        self.completed += other.completed
        self.with_deadline += other.with_deadline
        self.on_time += other.on_time
        self.late += other.late
        self.late_seconds += other.late_seconds
        self.max_late_seconds = max(self.max_late_seconds, other.max_late_seconds)


@dataclass(frozen=True)
class RecordRow:
    """One line of the on-time record; rates are None when no task had a deadline."""

    key: str
    name: str
    unit_code: str | None
    completed: int
    with_deadline: int
    on_time: int
    late: int
    on_time_rate: float | None
    avg_late_days: float | None  # over the late tasks
    max_late_days: float

    @classmethod
    def of(cls, key: str, name: str, unit_code: str | None, tally: Tally, day_seconds: int) -> RecordRow:
        """Build a row from a tally; lateness is expressed in working days of ``day_seconds``."""
        rate = tally.on_time / tally.with_deadline if tally.with_deadline else None
        average = tally.late_seconds / tally.late / day_seconds if tally.late else None
        return cls(key, name, unit_code, tally.completed, tally.with_deadline, tally.on_time, tally.late, rate,
                   average, tally.max_late_seconds / day_seconds)


@dataclass(frozen=True)
class OnTimeRecord:
    """Completed tasks of a period: per unit (its own, and with the units below), per person, in total."""

    period: Period
    units: list[RecordRow] = field(default_factory=list)
    unit_totals: list[RecordRow] = field(default_factory=list)
    people: list[RecordRow] = field(default_factory=list)
    total: RecordRow | None = None


@dataclass(frozen=True)
class ProcedureRow:
    """Cases of one procedure completed in a period: how many, how long (calendar time), how many in time."""

    process_id: str
    name: str
    cases: int
    with_deadline: int
    within_deadline: int
    within_deadline_share: float | None
    mean_cycle_days: float | None
    median_cycle_days: float | None
    p90_cycle_days: float | None


@dataclass
class Tallies:
    """Completed-task tallies per (unit code or '', username), and the people's full names."""

    found: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    names: dict[str, str] = field(default_factory=dict)

    def collect(self, rows: Any) -> None:
        """Add grouped rows (unit, actor, full name, six sums)."""
        for unit, actor, name, *sums in rows:
            self.found[(unit, actor)].add(Tally(*(int(value or 0) for value in sums)))
            self.names[actor] = name or actor


def tallies(conn: Connection, scope: Scope, period: Period, offset: int) -> Tallies:
    """Completed-task tallies for the period: full months from the rollup, the edges from the history.

    Args:
        conn: a reading connection.
        scope: whose figures.
        period: the local dates.
        offset: the UTC offset (minutes) the rollup's months are counted in.

    Returns:
        Tallies keyed by (unit code or '', username), with names.
    """
    found = Tallies()
    months = period.full_months()
    if months is not None:
        m = task_months.c
        found.collect(conn.execute(
            select(m.unit_code, m.actor, users.c.full_name, func.sum(m.completed), func.sum(m.with_deadline),
                   func.sum(m.on_time), func.sum(m.late), func.sum(m.late_seconds), func.max(m.max_late_seconds))
            .select_from(task_months.outerjoin(users, users.c.username == m.actor))
            .where(m.month >= months[0], m.month < months[1], months_in_scope(scope))
            .group_by(m.unit_code, m.actor, users.c.full_name)))
    for start, end in period.edges():
        found.collect(_history_tallies(conn, scope, local_midnight(start, offset), local_midnight(end, offset)))
    return found


def _history_tallies(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[Any]:
    """The same tallies read from the history rows of ``start <= at < end``."""
    h = history.c
    has_deadline = h.due_at.is_not(None)
    is_late = and_(has_deadline, h.late_seconds > 0)
    # The same expression objects in SELECT and GROUP BY, so that PostgreSQL sees the same parameters in both.
    unit, actor = func.coalesce(h.unit_code, ""), func.coalesce(h.actor, "")
    return list(conn.execute(select(
        unit, actor, users.c.full_name, func.count(),
        func.sum(case((has_deadline, 1), else_=0)),
        func.sum(case((and_(has_deadline, func.coalesce(h.late_seconds, 0) <= 0), 1), else_=0)),
        func.sum(case((is_late, 1), else_=0)), func.sum(case((is_late, h.late_seconds), else_=0)),
        func.max(case((is_late, h.late_seconds), else_=0)))
        .select_from(history.outerjoin(users, users.c.username == h.actor))
        .where(COMPLETED, between(h.at, start, end), history_in_scope(scope))
        .group_by(unit, actor, users.c.full_name)).all())


def on_time_record(found: Tallies, period: Period, tree: OrgTree, day_seconds: int) -> OnTimeRecord:
    """Turn tallies into the record's rows (units, units with those below, people, total)."""
    per_unit: dict[str, Tally] = defaultdict(Tally)
    per_person: dict[str, Tally] = defaultdict(Tally)
    person_unit: dict[str, str] = {}
    total = Tally()
    for (unit, actor), tally in found.found.items():
        per_unit[unit].add(tally)
        per_person[actor].add(tally)
        person_unit.setdefault(actor, unit)
        total.add(tally)
    names = found.names
    units = [RecordRow.of(code, tree.name(code), code or None, t, day_seconds) for code, t in sorted(per_unit.items())]
    people = [RecordRow.of(user, names.get(user, user), person_unit[user] or None, t, day_seconds)
              for user, t in sorted(per_person.items())]
    return OnTimeRecord(period, units, _unit_totals(per_unit, tree, day_seconds), people,
                        RecordRow.of("", "", None, total, day_seconds))


def _unit_totals(per_unit: dict[str, Tally], tree: OrgTree, day_seconds: int) -> list[RecordRow]:
    """Each unit's figures including every unit below it (only units that have figures, and their ancestors)."""
    rolled: dict[str, Tally] = defaultdict(Tally)
    for code, tally in per_unit.items():
        for target in [code, *tree.ancestors(code)] if code in tree.units else [code]:
            rolled[target].add(tally)
    return [RecordRow.of(code, tree.name(code), code or None, t, day_seconds) for code, t in sorted(rolled.items())]


def procedure_rows(conn: Connection, scope: Scope, period: Period, offset: int) -> list[ProcedureRow]:
    """Figures per procedure of the cases completed in the period (cycle percentiles from the bucketed rollup).

    Args:
        conn: a reading connection.
        scope: whose cases (by the case's unit).
        period: the local dates the cases ended in.
        offset: the UTC offset (minutes) of the rollup's months.

    Returns:
        One row per procedure, by process id.
    """
    buckets: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, 0]))
    months = period.full_months()
    if months is not None:
        for process_id, bucket, *sums in _rollup_buckets(conn, scope, months):
            _add(buckets[process_id][int(bucket)], sums)
    for start, end in period.edges():
        for process_id, cycle, has_deadline, late in _edge_cases(conn, scope, local_midnight(start, offset),
                                                                 local_midnight(end, offset)):
            _add(buckets[process_id][cycle_bucket(cycle)], [1, has_deadline, has_deadline and not late, cycle])
    names = _process_names(conn, set(buckets))
    return [_procedure(pid, names.get(pid, pid), hist) for pid, hist in sorted(buckets.items())]


def _rollup_buckets(conn: Connection, scope: Scope, months: tuple[date, date]) -> list[Any]:
    """(process, bucket, cases, with deadline, on time, cycle seconds) of the whole months, from the rollup."""
    c = case_months.c
    return list(conn.execute(select(c.process_id, c.cycle_bucket, func.sum(c.cases), func.sum(c.with_deadline),
                                    func.sum(c.on_time), func.sum(c.cycle_seconds))
                             .where(c.month >= months[0], c.month < months[1], cases_in_scope(scope))
                             .group_by(c.process_id, c.cycle_bucket)).all())


def _add(target: list[int], sums: Any) -> None:
    """Add (cases, with deadline, on time, cycle seconds) into a bucket's sums."""
    for index, value in enumerate(sums):
        target[index] += int(value or 0)


def _edge_cases(conn: Connection, scope: Scope, start: datetime, end: datetime) -> list[tuple[str, int, int, int]]:
    """(process id, cycle seconds, had a deadline, was late) of each case completed in ``start <= at < end``."""
    h, t = history.c, history.alias("t")
    deadline = select(func.count()).where(t.c.instance_id == h.instance_id, t.c.kind == "task_completed",
                                          t.c.due_at.is_not(None)).scalar_subquery()
    late = select(func.count()).where(t.c.instance_id == h.instance_id, t.c.kind == "task_completed",
                                      t.c.due_at.is_not(None), t.c.late_seconds > 0).scalar_subquery()
    query = (select(instances.c.process_id, instances.c.started_at, h.at, deadline, late)
             .join(instances, instances.c.id == h.instance_id)
             .where(h.kind == "instance_completed", between(h.at, start, end)))
    if not scope.everything:
        query = query.where(instances.c.unit_code.in_(sorted(scope.units)))
    # Rounded half up, as SQL's ROUND does in the triggers.
    return [(r.process_id, max(math.floor((r.at - r.started_at).total_seconds() + 0.5), 0), int(r[3] > 0),
             int(r[4] > 0)) for r in conn.execute(query)]


def _procedure(process_id: str, name: str, histogram: dict[int, list[int]]) -> ProcedureRow:
    """Summarise one procedure's cycle-time histogram."""
    cases = sum(s[0] for s in histogram.values())
    with_deadline = sum(s[1] for s in histogram.values())
    within = sum(s[2] for s in histogram.values())
    pairs = [(bucket, s[0]) for bucket, s in histogram.items()]
    return ProcedureRow(process_id, name, cases, with_deadline, within,
                        within / with_deadline if with_deadline else None,
                        _days(sum(s[3] for s in histogram.values()) / cases) if cases else None,
                        _days(percentile(pairs, 0.5)), _days(percentile(pairs, 0.9)))


def _days(seconds: float | None) -> float | None:
    """Calendar seconds as days."""
    return None if seconds is None else seconds / 86_400


def _process_names(conn: Connection, process_ids: set[str]) -> dict[str, str]:
    """The name of each process's newest version."""
    if not process_ids:
        return {}
    v = table_of(ProcessVersion).c
    rows = conn.execute(select(v.process_id, v.name, v.version).where(v.process_id.in_(sorted(process_ids)))
                        .order_by(v.process_id, v.version)).all()
    return {r.process_id: r.name for r in rows}


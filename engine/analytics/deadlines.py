"""Deadlines now: open tasks overdue or due soon, by unit and person, with the cases they hold up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.engine import Connection

from engine.analytics.scope import OrgTree, Scope
from engine.analytics.sql import OPEN_FROM, OPEN_UNIT, UNASSIGNED_UNIT, inbox, instances, open_in_scope, users
from engine.analytics.worktime import WorkingTimeline


@dataclass(frozen=True)
class DeadlineTask:
    """An open task past or near its deadline; ``late_seconds`` is working time past it (0 if not yet due)."""

    task_id: str
    instance_id: int
    process_id: str
    element_id: str
    name: str
    assignee: str | None
    unit_code: str | None
    created_at: datetime
    due_at: datetime
    business_key: str | None
    summary: str | None
    overdue: bool
    late_seconds: int
    late_days: float
    remaining_seconds: int


@dataclass(frozen=True)
class DeadlineGroup:
    """Overdue and due-soon counts of one unit or one person, and how late their oldest overdue task is."""

    key: str | None  # unit code, or username (None: unassigned tasks of the unit)
    name: str
    unit_code: str | None
    overdue: int
    due_soon: int
    oldest_due_at: datetime | None
    max_late_seconds: int
    max_late_days: float


@dataclass(frozen=True)
class DeadlineCase:
    """A case with open tasks overdue or due soon."""

    instance_id: int
    process_id: str
    business_key: str | None
    summary: str | None
    unit_code: str | None
    overdue_tasks: int
    due_soon_tasks: int
    earliest_due_at: datetime
    late_seconds: int
    late_days: float


@dataclass(frozen=True)
class Deadlines:
    """What a manager sees under "deadlines now"."""

    now: datetime
    soon_until: datetime
    overdue: int
    due_soon: int
    units: list[DeadlineGroup] = field(default_factory=list)
    people: list[DeadlineGroup] = field(default_factory=list)
    tasks: list[DeadlineTask] = field(default_factory=list)
    cases: list[DeadlineCase] = field(default_factory=list)


@dataclass(frozen=True)
class DeadlineQuery:
    """Which open tasks to look at: the scope, optional drill-down filters, the moments, how many rows."""

    scope: Scope
    now: datetime
    soon_until: datetime
    unit: str | None = None
    person: str | None = None
    limit: int = 50


def deadlines_now(conn: Connection, query: DeadlineQuery, tree: OrgTree, timeline: WorkingTimeline) -> Deadlines:
    """Answer "deadlines now" for ``query`` from the open tasks alone (no workflow is loaded).

    Args:
        conn: a reading connection.
        query: scope, filters and moments.
        tree: the organisation, for unit names.
        timeline: the business calendar's working time, for lateness.

    Returns:
        Counts by unit and by person, the most overdue tasks and cases, lateness in working time.
    """
    where = _filters(query)
    people = _groups(conn, query, timeline)
    units = _unit_groups(people, tree, timeline, query.now)
    return Deadlines(now=query.now, soon_until=query.soon_until,
                     overdue=sum(g.overdue for g in units), due_soon=sum(g.due_soon for g in units),
                     units=units, people=[p for p in people if p.key is not None],
                     tasks=_tasks(conn, where, query, timeline), cases=_cases(conn, where, query, timeline))


def _filters(query: DeadlineQuery) -> ColumnElement[bool]:
    """Open tasks with a deadline up to ``soon_until`` in scope, narrowed to a unit or a person if asked."""
    parts = [inbox.c.due_at < query.soon_until, open_in_scope(query.scope)]
    if query.unit is not None:
        parts.append(OPEN_UNIT == query.unit)
    if query.person is not None:
        parts.append(inbox.c.assignee == query.person)
    return and_(*parts)


def _counts(now: datetime) -> tuple[Any, Any]:
    """Overdue and due-soon counters of a grouped query."""
    overdue = func.sum(case((inbox.c.due_at < now, 1), else_=0))
    return overdue, func.count() - overdue


def _groups(conn: Connection, query: DeadlineQuery, timeline: WorkingTimeline) -> list[DeadlineGroup]:
    """One group per assignee (in their unit), and one per unit for its unassigned tasks (key None)."""
    rows = _assigned(conn, query) + (_unassigned(conn, query) if query.person is None else [])
    groups = [_group(key, name or key or "", unit, overdue, soon, oldest, timeline, query.now)
              for unit, key, name, overdue, soon, oldest in rows]
    return sorted(groups, key=lambda g: (-g.max_late_seconds, -g.overdue, -g.due_soon, g.key or ""))


def _sums(now: datetime) -> list[Any]:
    """Overdue count, due-soon count and oldest overdue deadline of a grouped query."""
    overdue, soon = _counts(now)
    return [overdue.label("overdue"), soon.label("soon"),
            func.min(case((inbox.c.due_at < now, inbox.c.due_at), else_=None)).label("oldest")]


def _assigned(conn: Connection, query: DeadlineQuery) -> list[tuple[Any, ...]]:
    """Per assignee (grouped first, then given their unit and name)."""
    scope = query.scope
    if scope.person is not None and query.person not in (None, scope.person):
        return []
    person = scope.person or query.person
    where = [inbox.c.due_at < query.soon_until, inbox.c.assignee.is_not(None)]
    if person is not None:
        where.append(inbox.c.assignee == person)
    per = select(inbox.c.assignee, *_sums(query.now)).where(*where).group_by(inbox.c.assignee).subquery()
    found = select(users.c.unit_code, per.c.assignee, users.c.full_name, per.c.overdue, per.c.soon, per.c.oldest)
    found = found.select_from(per.outerjoin(users, users.c.username == per.c.assignee))
    if scope.units and not scope.everything:
        found = found.where(users.c.unit_code.in_(sorted(scope.units)))
    if query.unit is not None:
        found = found.where(users.c.unit_code == query.unit)
    return [tuple(r) for r in conn.execute(found)]


def _unassigned(conn: Connection, query: DeadlineQuery) -> list[tuple[Any, ...]]:
    """Per unit they count for, tasks nobody has taken (a specialist sees none: they are not theirs)."""
    scope = query.scope
    if scope.person is not None:
        return []
    unit = UNASSIGNED_UNIT
    found = select(unit, *_sums(query.now)).where(inbox.c.due_at < query.soon_until, inbox.c.assignee.is_(None))
    if scope.units and not scope.everything:
        found = found.where(unit.in_(sorted(scope.units)))
    if query.unit is not None:
        found = found.where(unit == query.unit)
    return [(r[0], None, None, r[1], r[2], r[3]) for r in conn.execute(found.group_by(unit))]


def _group(key: str | None, name: str, unit_code: str | None, overdue: int, soon: int, oldest: datetime | None,
           timeline: WorkingTimeline, now: datetime) -> DeadlineGroup:
    """Build a group row, with the working-time lateness of its oldest overdue task."""
    late = timeline.late_seconds(oldest, now) if oldest is not None else 0
    return DeadlineGroup(key, name, unit_code, int(overdue), int(soon), oldest, late, timeline.days(late))


def _unit_groups(people: list[DeadlineGroup], tree: OrgTree, timeline: WorkingTimeline,
                 now: datetime) -> list[DeadlineGroup]:
    """Sum the person groups per unit."""
    totals: dict[str | None, tuple[int, int, datetime | None]] = {}
    for p in people:
        overdue, soon, oldest = totals.get(p.unit_code, (0, 0, None))
        if p.oldest_due_at is not None and (oldest is None or p.oldest_due_at < oldest):
            oldest = p.oldest_due_at
        totals[p.unit_code] = (overdue + p.overdue, soon + p.due_soon, oldest)
    groups = [_group(code, tree.name(code), code, o, s, d, timeline, now) for code, (o, s, d) in totals.items()]
    return sorted(groups, key=lambda g: (-g.max_late_seconds, -g.overdue, -g.due_soon, g.key or ""))


def _tasks(conn: Connection, where: ColumnElement[bool], query: DeadlineQuery,
           timeline: WorkingTimeline) -> list[DeadlineTask]:
    """The ``limit`` tasks with the earliest deadlines, lateness computed by the calendar."""
    first = (select(inbox.c.id, inbox.c.instance_id, inbox.c.process_id, inbox.c.element_id, inbox.c.name,
                    inbox.c.assignee, OPEN_UNIT.label("unit_code"), inbox.c.created_at, inbox.c.due_at)
             .select_from(OPEN_FROM).where(where).order_by(inbox.c.due_at, inbox.c.id).limit(query.limit).subquery())
    rows = conn.execute(select(first, instances.c.business_key, instances.c.summary)
                        .join(instances, instances.c.id == first.c.instance_id)
                        .order_by(first.c.due_at, first.c.id)).all()
    return [_task(r, query.now, timeline) for r in rows]


def _task(row: Any, now: datetime, timeline: WorkingTimeline) -> DeadlineTask:
    """Build a task row with its working-time lateness or time left."""
    late = timeline.late_seconds(row.due_at, now)
    left = 0 if row.due_at <= now else int(timeline.between(now, row.due_at).total_seconds())
    return DeadlineTask(row.id, row.instance_id, row.process_id, row.element_id, row.name, row.assignee,
                        row.unit_code, row.created_at, row.due_at, row.business_key, row.summary, row.due_at < now,
                        late, timeline.days(late), left)


def _cases(conn: Connection, where: ColumnElement[bool], query: DeadlineQuery,
           timeline: WorkingTimeline) -> list[DeadlineCase]:
    """The ``limit`` cases whose open tasks have the earliest deadlines (read in deadline order, not grouped)."""
    ids: list[int] = []
    batch = query.limit * 8
    while True:
        found = conn.execute(select(inbox.c.instance_id).select_from(OPEN_FROM).where(where)
                             .order_by(inbox.c.due_at, inbox.c.id).limit(batch)).scalars().all()
        ids = list(dict.fromkeys(found))[:query.limit]
        if len(ids) == query.limit or len(found) < batch:
            break
        batch *= 4
    if not ids:
        return []
    overdue, soon = _counts(query.now)
    per = (select(inbox.c.instance_id, overdue.label("overdue"), soon.label("soon"),
                  func.min(inbox.c.due_at).label("earliest"))
           .select_from(OPEN_FROM).where(where, inbox.c.instance_id.in_(ids)).group_by(inbox.c.instance_id)
           .subquery())
    rows = conn.execute(select(instances.c.id, instances.c.process_id, instances.c.business_key,
                               instances.c.summary, instances.c.unit_code, per.c.overdue, per.c.soon, per.c.earliest)
                        .join(per, per.c.instance_id == instances.c.id)
                        .order_by(per.c.earliest, instances.c.id)).all()
    cases = []
    for r in rows:
        late = timeline.late_seconds(r.earliest, query.now)
        cases.append(DeadlineCase(r.id, r.process_id, r.business_key, r.summary, r.unit_code, int(r.overdue),
                                  int(r.soon), r.earliest, late, timeline.days(late)))
    return cases

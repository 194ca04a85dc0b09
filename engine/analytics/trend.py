"""The trend of overdue tasks: how many tasks were overdue at the end of each of the last weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from engine.analytics.periods import local_date, local_midnight
from engine.analytics.scope import Scope
from engine.analytics.sql import COMPLETED, OPEN_FROM, history, history_in_scope, inbox, open_in_scope, week_index

WEEK = 604_800
_MONDAY = date(1970, 1, 5)


@dataclass(frozen=True)
class TrendPoint:
    """Tasks overdue at the end of the week that began on ``week_start`` (local Monday)."""

    week_start: date
    ended_at: datetime  # the next Monday 00:00, agency time
    overdue: int


def overdue_trend(conn: Connection, scope: Scope, now: datetime, weeks: int, offset: int) -> list[TrendPoint]:
    """Count, for each of the last ``weeks`` finished weeks, the tasks overdue when it ended.

    A task is overdue at a moment E when its deadline is before E and it was not completed before E: completed
    tasks come from the history (deadline before E, completed at or after E), open ones from the inbox.

    Args:
        conn: a reading connection.
        scope: whose tasks (history by the completing person's unit, open tasks by the unit they count for).
        now: the current moment; the week containing it is not finished and not shown.
        weeks: how many weeks.
        offset: the agency's UTC offset in minutes (weeks run Monday 00:00 to Monday 00:00 local time).

    Returns:
        One point per week, oldest first.
    """
    origin = int(local_midnight(_MONDAY, offset).timestamp())
    current = (int(now.timestamp()) - origin) // WEEK
    boundaries = list(range(current - weeks + 1, current + 1))  # start of week k = end of week k - 1
    if not boundaries:
        return []
    first, last = (_moment(origin, k) for k in (boundaries[0], boundaries[-1]))
    late = _late_completions(conn, scope, origin, first, last)
    still_open = _open_by_due_week(conn, scope, origin, last)
    return [TrendPoint(local_date(_moment(origin, k - 1), offset), _moment(origin, k),
                       sum(n for due, done, n in late if due < k <= done) + sum(n for due, n in still_open if due < k))
            for k in boundaries]


def _moment(origin: int, week: int) -> datetime:
    """The UTC moment week ``week`` begins."""
    return datetime.fromtimestamp(origin, UTC) + timedelta(seconds=week * WEEK)


def _late_completions(conn: Connection, scope: Scope, origin: int, first: datetime,
                      last: datetime) -> list[tuple[int, int, int]]:
    """(week of the deadline, week of the completion, count) of tasks completed late across the window."""
    h = history.c
    due_week = week_index(h.due_at, conn.dialect.name, origin)
    done_week = week_index(h.at, conn.dialect.name, origin)
    rows = conn.execute(select(due_week, done_week, func.count())
                        .where(and_(COMPLETED, h.at > h.due_at), h.at >= first, h.due_at < last,
                               history_in_scope(scope))
                        .group_by(due_week, done_week)).all()
    return [(int(due), int(done), int(n)) for due, done, n in rows]


def _open_by_due_week(conn: Connection, scope: Scope, origin: int, last: datetime) -> list[tuple[int, int]]:
    """(week of the deadline, count) of open tasks whose deadline is before the last boundary."""
    due_week = week_index(inbox.c.due_at, conn.dialect.name, origin)
    query = select(due_week, func.count()).where(inbox.c.due_at < last)
    if not scope.everything:
        query = query.select_from(OPEN_FROM).where(open_in_scope(scope))
    return [(int(due), int(n)) for due, n in conn.execute(query.group_by(due_week))]

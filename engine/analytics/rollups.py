"""The monthly rollups: the cycle-time buckets, percentiles read from them, and rebuilding them from the history.

Triggers on ``history`` (``alembic/versions/0009_managers_figures.py``) keep ``task_month_figures`` and
``case_month_figures`` up to date in the step's own transaction. ``rebuild`` recomputes both from the history with
the same rules, for data loaded around the triggers (a bulk import) or after changing the UTC offset.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection

from engine.persistence.analytics_models import OFFSET_KEY, AnalyticsSetting, CaseMonthFigure, TaskMonthFigure

DEFAULT_OFFSET_MINUTES = 420  # Asia/Ho_Chi_Minh
# (below this many seconds, bucket width): 15 minutes under a day, an hour under 10 days, 6 hours under 100 days.
_BUCKETS = ((86_400, 900), (864_000, 3_600), (8_640_000, 21_600))
_DAY = 86_400


def cycle_bucket(seconds: int) -> int:
    """Round a cycle time down to its bucket (the rule the triggers apply in SQL)."""
    seconds = max(int(seconds), 0)
    width = next((w for limit, w in _BUCKETS if seconds < limit), _DAY)
    return seconds // width * width


def percentile(histogram: Iterable[tuple[int, int]], fraction: float) -> float | None:
    """``percentile_cont(fraction)`` of the values a histogram of (value, count) pairs stands for.

    Args:
        histogram: bucket values and how many items each holds (any order).
        fraction: 0.5 for the median, 0.9 for the 90th percentile.

    Returns:
        The linearly interpolated percentile, or None for an empty histogram.
    """
    pairs = sorted((value, count) for value, count in histogram if count > 0)
    total = sum(count for _, count in pairs)
    if total == 0:
        return None
    rank = fraction * (total - 1)
    low, high = _value_at(pairs, int(rank)), _value_at(pairs, min(int(rank) + 1, total - 1))
    return low + (high - low) * (rank - int(rank))


def _value_at(pairs: list[tuple[int, int]], index: int) -> int:
    """The ``index``-th value (0-based) of the sorted items a histogram stands for."""
    seen = 0
    for value, count in pairs:
        seen += count
        if index < seen:
            return value
    return pairs[-1][0]


def offset_minutes(conn: Connection) -> int:
    """The UTC offset (minutes) the rollups' months and weeks are counted in."""
    value = conn.execute(select(AnalyticsSetting.value).where(AnalyticsSetting.key == OFFSET_KEY)).scalar()
    return int(value) if value is not None else DEFAULT_OFFSET_MINUTES


def _month(dialect: str, column: str) -> str:
    """SQL for the first day of the local month of ``column`` (offset bound as :offset)."""
    if dialect == "sqlite":
        return f"date({column}, :offset || ' minutes', 'start of month')"
    return f"CAST(date_trunc('month', ({column} AT TIME ZONE 'UTC') + make_interval(mins => :offset)) AS date)"


def _cycle(dialect: str) -> str:
    """SQL for a case's cycle time in whole seconds (not below 0)."""
    if dialect == "sqlite":
        return "MAX(CAST(ROUND((julianday(h.at) - julianday(i.started_at)) * 86400) AS INTEGER), 0)"
    return "GREATEST(CAST(ROUND(EXTRACT(EPOCH FROM (h.at - i.started_at))) AS BIGINT), 0)"


def _bucket_sql(seconds: str) -> str:
    """SQL for :func:`cycle_bucket`."""
    cases = " ".join(f"WHEN {seconds} < {limit} THEN {seconds} / {w} * {w}" for limit, w in _BUCKETS)
    return f"CASE {cases} ELSE {seconds} / {_DAY} * {_DAY} END"


_LATE = "due_at IS NOT NULL AND late_seconds > 0"
_TASKS = """
INSERT INTO task_month_figures (month, unit_code, actor, completed, with_deadline, on_time, late, late_seconds,
                                max_late_seconds)
SELECT {month}, COALESCE(unit_code, ''), COALESCE(actor, ''), COUNT(*),
       SUM(CASE WHEN due_at IS NOT NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN due_at IS NOT NULL AND COALESCE(late_seconds, 0) <= 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN {late} THEN 1 ELSE 0 END), SUM(CASE WHEN {late} THEN late_seconds ELSE 0 END),
       MAX(CASE WHEN {late} THEN late_seconds ELSE 0 END)
FROM history WHERE kind = 'task_completed'
GROUP BY 1, 2, 3
"""
_CASES = """
INSERT INTO case_month_figures (month, process_id, unit_code, cycle_bucket, cases, with_deadline, on_time,
                                cycle_seconds)
SELECT month, process_id, unit, bucket, COUNT(*), SUM(has_deadline), SUM(on_time), SUM(cycle)
FROM (SELECT c.month, c.process_id, CASE WHEN d.k = 0 THEN c.unit_code ELSE '*' END AS unit,
             {bucket} AS bucket, c.has_deadline, c.has_deadline * (1 - c.was_late) AS on_time, c.cycle
      FROM (SELECT {month} AS month, i.process_id, COALESCE(i.unit_code, '') AS unit_code, {cycle} AS cycle,
                   CASE WHEN t.with_deadline > 0 THEN 1 ELSE 0 END AS has_deadline,
                   CASE WHEN t.late > 0 THEN 1 ELSE 0 END AS was_late
            FROM history h JOIN instances i ON i.id = h.instance_id
            LEFT JOIN (SELECT instance_id, SUM(CASE WHEN due_at IS NOT NULL THEN 1 ELSE 0 END) AS with_deadline,
                              SUM(CASE WHEN {late} THEN 1 ELSE 0 END) AS late
                       FROM history WHERE kind = 'task_completed' GROUP BY instance_id) t
                   ON t.instance_id = h.instance_id
            WHERE h.kind = 'instance_completed') c
      CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1) d) case_rows
GROUP BY month, process_id, unit, bucket
"""


def rebuild(conn: Connection, offset: int | None = None) -> dict[str, Any]:
    """Recompute both rollups from the history (in the caller's transaction), optionally at a new UTC offset.

    Args:
        conn: a connection inside a writing transaction.
        offset: the UTC offset in minutes to count months in from now on; None keeps the stored one.

    Returns:
        How many rollup rows each table now has, and the offset used.
    """
    if offset is not None:
        conn.execute(delete(AnalyticsSetting).where(AnalyticsSetting.key == OFFSET_KEY))
        conn.execute(insert(AnalyticsSetting).values(key=OFFSET_KEY, value=offset))
    minutes = offset_minutes(conn)
    dialect = conn.dialect.name
    conn.execute(delete(TaskMonthFigure))
    conn.execute(delete(CaseMonthFigure))
    conn.execute(text(_TASKS.format(month=_month(dialect, "at"), late=_LATE)), {"offset": minutes})
    conn.execute(text(_CASES.format(month=_month(dialect, "h.at"), cycle=_cycle(dialect), late=_LATE,
                                    bucket=_bucket_sql("c.cycle"))), {"offset": minutes})
    counts = {table.__tablename__: conn.execute(select(func.count()).select_from(table)).scalar_one()
              for table in (TaskMonthFigure, CaseMonthFigure)}
    return {**counts, "utc_offset_minutes": minutes}


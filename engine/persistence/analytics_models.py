"""Managers' figures: monthly rollups kept by database triggers on ``history``, settings, yearly evaluations.

The rollups are written by triggers (``alembic/versions/0009_managers_figures.py``) in the transaction that
appends the history event, so they are always exactly what the history says; ``engine.analytics.rollups``
rebuilds them from the history when needed (a bulk import, a change of the agency's UTC offset).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String, Text, and_
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Timestamp, table_of
from engine.persistence.models import HistoryEvent

# unit_code of a case figure row that counts the cases of every unit (the agency leader's view).
ALL_UNITS = "*"
# Key of analytics_settings holding the UTC offset (minutes) used for month and week boundaries.
OFFSET_KEY = "utc_offset_minutes"


class TaskMonthFigure(Base):
    """Tasks one person completed in one month while in one unit (``''``: no unit)."""

    __tablename__ = "task_month_figures"
    __table_args__ = (Index("ix_task_month_figures_actor_month", "actor", "month"),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month, agency time
    unit_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    actor: Mapped[str] = mapped_column(String(100), primary_key=True)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    with_deadline: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    late: Mapped[int] = mapped_column(Integer, default=0)
    late_seconds: Mapped[int] = mapped_column(BigInteger, default=0)  # working seconds, summed over late tasks
    max_late_seconds: Mapped[int] = mapped_column(Integer, default=0)


class CaseMonthFigure(Base):
    """Cases of one procedure that ended (completed) in one month, by unit and cycle-time bucket."""

    __tablename__ = "case_month_figures"

    # The case's unit (instances.unit_code, '' for none), or ALL_UNITS for the row that counts every unit. First in
    # the key: a leader reads only the ALL_UNITS rows of a period, a head only their units' rows.
    unit_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Calendar seconds from start to end, rounded down to 15 min / 1 h / 6 h / 1 day (engine.analytics.rollups).
    cycle_bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    cases: Mapped[int] = mapped_column(Integer, default=0)
    with_deadline: Mapped[int] = mapped_column(Integer, default=0)
    on_time: Mapped[int] = mapped_column(Integer, default=0)
    cycle_seconds: Mapped[int] = mapped_column(BigInteger, default=0)  # exact, summed


class AnalyticsSetting(Base):
    """One managers' setting (the evaluation thresholds, the UTC offset of the figures) as JSON."""

    __tablename__ = "analytics_settings"

    key: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON())
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str | None] = mapped_column(String(100))


class Evaluation(Base):
    """A person's confirmed yearly classification: what was proposed, what the manager decided, and why."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_year_unit_code", "year", "unit_code"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    unit_code: Mapped[str | None] = mapped_column(String(100))
    proposed: Mapped[str | None] = mapped_column(String(40))  # None: no task with a deadline that year
    final: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON())  # the figures the proposal was made from
    confirmed_by: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[Timestamp]


_history = table_of(HistoryEvent)
_completed = _history.c.kind == "task_completed"
# Bottlenecks of one procedure in a period read completed tasks by process and time.
Index("ix_history_completed_process_at", _history.c.process_id, _history.c.at,
      postgresql_where=_completed, sqlite_where=_completed)
# The overdue trend reads only tasks completed after their deadline (a small share of all completions).
_late = and_(_completed, _history.c.at > _history.c.due_at)
Index("ix_history_completed_late_at", _history.c.at, _history.c.due_at, _history.c.unit_code, _history.c.actor,
      postgresql_where=_late, sqlite_where=_late)

"""The one definition of "due soon", shared by the inbox filter, the deadline pages, the personal record and the
task marks of every page: a task is due soon when its deadline is not yet passed and falls before the end of one
working day from now, by the working-time calendar (holidays, weekends and office hours count as they should).

A deadline at ``now`` or later and strictly before :func:`due_soon_until` is due soon; one before ``now`` is overdue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.calendar.working_time import WorkingDuration

DUE_SOON_WINDOW = WorkingDuration(days=1)


def due_soon_until(calendar: Any, now: datetime) -> datetime:
    """The end of the due-soon window: one working day from ``now``.

    Args:
        calendar: a working calendar or the calendar service (anything with ``add(start, WorkingDuration)``);
            None only where there is none (24 hours then).
    """
    if calendar is None:
        return now + timedelta(days=1)
    return calendar.add(now, DUE_SOON_WINDOW)


def due_state(due_at: datetime | None, now: datetime, soon_until: datetime) -> str:
    """``"overdue"``, ``"soon"`` or ``""`` (no deadline, or a later one)."""
    if due_at is None:
        return ""
    if due_at < now:
        return "overdue"
    return "soon" if due_at < soon_until else ""

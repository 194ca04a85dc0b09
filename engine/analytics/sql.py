"""Shared pieces of the managers' queries: tables, the unit an open task counts for, scope filters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, true
from sqlalchemy.sql import ColumnElement

from engine.analytics.scope import Scope
from engine.persistence.analytics_models import ALL_UNITS, CaseMonthFigure, TaskMonthFigure
from engine.persistence.base import table_of
from engine.persistence.models import HistoryEvent, InboxTask, Instance, User

history = table_of(HistoryEvent)
inbox = table_of(InboxTask)
instances = table_of(Instance)
users = table_of(User)
task_months = table_of(TaskMonthFigure)
case_months = table_of(CaseMonthFigure)
assignees = users.alias("assignee_user")

# An open task counts for whoever holds it (engine/org/attribution.py, docs/managers.md): its assignee's unit;
# unassigned, the unit of the group or lane it is offered to, kept on the inbox row when it opens; offered to
# nobody in particular, its case's unit, which a trigger copies onto the row (migration 0009).
OPEN_FROM = inbox.outerjoin(assignees, assignees.c.username == inbox.c.assignee)
UNASSIGNED_UNIT = func.coalesce(inbox.c.group_unit_code, inbox.c.case_unit_code)
OPEN_UNIT = case((inbox.c.assignee.is_(None), UNASSIGNED_UNIT), else_=assignees.c.unit_code)
COMPLETED = history.c.kind == "task_completed"


def open_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Open tasks the scope covers."""
    if scope.everything:
        return true()
    if scope.units:
        return OPEN_UNIT.in_(sorted(scope.units))
    return inbox.c.assignee == scope.person


def history_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Completed-task history rows the scope covers (by the actor's unit at completion)."""
    if scope.everything:
        return true()
    if scope.units:
        return history.c.unit_code.in_(sorted(scope.units))
    return history.c.actor == scope.person


def months_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Rows of ``task_month_figures`` the scope covers."""
    if scope.everything:
        return true()
    if scope.units:
        return task_months.c.unit_code.in_(sorted(scope.units))
    return task_months.c.actor == scope.person


def cases_in_scope(scope: Scope) -> ColumnElement[bool]:
    """Rows of ``case_month_figures`` the scope covers: the all-units rows for a leader, else the units' own."""
    if scope.everything:
        return case_months.c.unit_code == ALL_UNITS
    return case_months.c.unit_code.in_(sorted(scope.units))


def between(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """``start <= column < end``."""
    return and_(column >= start, column < end)


def week_index(column: Any, dialect: str, origin: int) -> ColumnElement[Any]:
    """The week number of a moment: whole weeks since ``origin`` (a local Monday 00:00, in Unix seconds)."""
    if dialect == "sqlite":
        # Integer division of seconds after the origin: a floor for every moment since 1970.
        return (cast(func.strftime("%s", column), Integer) - literal(origin)) // literal(604800)
    return func.floor((func.extract("epoch", column) - literal(origin)) / literal(604800))

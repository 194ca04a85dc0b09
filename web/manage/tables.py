"""Every table of the managers' pages, by the name its CSV and XLSX downloads go by (a lookup table, not a switch).

Each entry reads its rows for the viewer from the same service call as its page, with the page's own query
arguments, so that a download holds what the page shows (all rows, not only the first ones listed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.analytics import columns
from web.i18n import locale
from web.manage.common import analytics, chosen_period, chosen_year
from web.manage.params import BottleneckSchema, DeadlineSchema, TrendSchema
from web.params import load

EXPORT_LIMIT = 5000  # tasks and cases in a "deadlines now" download (the page lists fewer)

Rows = tuple[Sequence[Any], str]  # the items, and what names the download (a date or a period)


@dataclass(frozen=True)
class Table:
    """A downloadable table: its title, its columns, how to read its rows, whether it is for managers only."""

    title: Any
    columns: Callable[[], list[tuple[str, str]]]
    rows: Callable[[str], Rows]
    managers_only: bool = True


def _engine_columns(table: str) -> Callable[[], list[tuple[str, str]]]:
    """The column headers engine/analytics/export.py gives this table, in the user's language."""
    return lambda: columns(table, locale())


def _case_columns() -> list[tuple[str, str]]:
    """Headers of the cases held up by late tasks."""
    return [("instance_id", _("Case")), ("process_id", _("Procedure")), ("business_key", _("Case number")),
            ("summary", _("Summary")), ("unit_code", _("Unit")), ("overdue_tasks", _("Overdue tasks")),
            ("due_soon_tasks", _("Tasks due soon")), ("earliest_due_at", _("Earliest deadline")),
            ("late_days", _("Working days late"))]


def _deadlines(part: str, *, own: bool = False) -> Callable[[str], Rows]:
    """Rows of one part of "deadlines now" (``own``: only the viewer's tasks)."""
    def rows(viewer: str) -> Rows:
        filters = load(DeadlineSchema(), request.args)
        person = viewer if own else filters["person"]
        found = analytics().deadlines_now(viewer, unit=None if own else filters["unit"], person=person,
                                          limit=EXPORT_LIMIT)
        return getattr(found, part), found.now.date().isoformat()
    return rows


def _record(part: str) -> Callable[[str], Rows]:
    """Rows of one part of the on-time record for the chosen period."""
    def rows(viewer: str) -> Rows:
        choice = chosen_period()
        found = getattr(analytics().on_time_record(viewer, choice.period), part)
        if part == "people" and not analytics().scope_for(viewer).is_manager:
            found = [row for row in found if row.key == viewer]
        return found, _period_name(choice)
    return rows


def _procedures(viewer: str) -> Rows:
    choice = chosen_period()
    return analytics().procedure_figures(viewer, choice.period), _period_name(choice)


def _bottlenecks(viewer: str) -> Rows:
    choice = chosen_period()
    process_id = load(BottleneckSchema(), request.args)["process_id"] or ""
    found = analytics().bottlenecks(viewer, process_id, choice.period)
    return found.steps, f"{process_id}-{_period_name(choice)}"


def _trend(viewer: str) -> Rows:
    weeks = load(TrendSchema(), request.args)["weeks"]
    return analytics().overdue_trend(viewer, weeks), f"{weeks}w"


def _evaluation(viewer: str) -> Rows:
    year = chosen_year()
    return analytics().evaluation(viewer, year, locale=locale()), str(year)


def _period_name(choice: Any) -> str:
    last = choice.last_day
    return f"{choice.period.start.isoformat()}_{last.isoformat()}"


TABLES: dict[str, Table] = {
    "deadline-tasks": Table(_l("Overdue and due-soon tasks"), _engine_columns("deadline_tasks"),
                            _deadlines("tasks")),
    "deadline-cases": Table(_l("Cases held up"), _case_columns, _deadlines("cases")),
    "deadline-units": Table(_l("Deadlines by unit"), _engine_columns("deadline_groups"), _deadlines("units")),
    "deadline-people": Table(_l("Deadlines by person"), _engine_columns("deadline_groups"), _deadlines("people")),
    "my-tasks": Table(_l("My overdue and due-soon tasks"), _engine_columns("deadline_tasks"),
                      _deadlines("tasks", own=True), managers_only=False),
    "record-units": Table(_l("On-time record by unit"), _engine_columns("record"), _record("units")),
    "record-unit-totals": Table(_l("On-time record with the units below"), _engine_columns("record"),
                                _record("unit_totals")),
    "record-people": Table(_l("On-time record by person"), _engine_columns("record"), _record("people"),
                           managers_only=False),
    "procedures": Table(_l("Procedures"), _engine_columns("procedures"), _procedures),
    "bottlenecks": Table(_l("Slowest steps"), _engine_columns("bottlenecks"), _bottlenecks),
    "trend": Table(_l("Overdue tasks by week"), _engine_columns("trend"), _trend, managers_only=False),
    "evaluation": Table(_l("Yearly evaluation"), _engine_columns("evaluation"), _evaluation, managers_only=False),
}

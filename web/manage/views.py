"""The managers' pages: dashboard, deadlines now, on-time records, bottlenecks, yearly evaluation, one's own record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.analytics import Scope
from engine.analytics.evaluation import level_name
from engine.errors import NotFound
from web.extensions import services
from web.i18n import locale
from web.manage import bp
from web.manage.common import (
    analytics,
    chosen_period,
    chosen_year,
    current_year,
    manager_scope,
    me,
    period_label,
    scope,
)
from web.manage.params import LEVEL_CODES, BottleneckSchema, DeadlineSchema
from web.params import load

DEADLINE_ROWS = 100  # tasks and cases listed on "deadlines now" (downloads hold them all)


def _page(template: str, viewer_scope: Scope, status: int = 200, **context: Any) -> ResponseReturnValue:
    """Render a managers' page with what every one of them needs (the viewer's scope, procedure names)."""
    return render_template(template, scope=viewer_scope, names=services().catalogue.names(), **context), status


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The dashboard: deadlines now, the period's on-time record and procedures, charts; others see their own."""
    viewer = scope()
    if not viewer.is_manager:
        return redirect(url_for("manage.mine"))
    choice = chosen_period()
    board = analytics().dashboard(me(), choice.period)
    cases = sum(p.cases for p in board.procedures)
    return _page("manage/dashboard.html", viewer, board=board, choice=choice, label=period_label(choice),
                 cases=cases)


@bp.get("/deadlines")
@login_required
def deadlines() -> ResponseReturnValue:
    """Open tasks overdue or due soon, by unit and person, with one-click reminders and reassignment."""
    return deadlines_page(request.args, back=request.full_path)


def deadlines_page(args: Mapping[str, str], *, back: str, errors: dict[str, list[str]] | None = None,
                   status: int = 200) -> ResponseReturnValue:
    """Render "deadlines now" for the filters in ``args`` (again after a refused reassignment, with its message
    under the task's list of people: ``errors`` by task id)."""
    viewer = manager_scope("deadlines of units")
    filters = load(DeadlineSchema(), args)
    found = analytics().deadlines_now(me(), unit=filters["unit"], person=filters["person"], limit=DEADLINE_ROWS)
    people = analytics().evaluation(me(), current_year(), locale=locale())  # whom a task may be given to
    return _page("manage/deadlines.html", viewer, status, found=found, filters=filters, people=people,
                 back=back, limit=DEADLINE_ROWS, errors=errors or {})


@bp.get("/records")
@login_required
def records() -> ResponseReturnValue:
    """The on-time record per unit and person, and the figures per procedure, for the chosen period."""
    viewer = manager_scope("records of units")
    choice = chosen_period()
    record = analytics().on_time_record(me(), choice.period)
    procedures = analytics().procedure_figures(me(), choice.period)
    return _page("manage/records.html", viewer, record=record, procedures=procedures, choice=choice,
                 label=period_label(choice))


@bp.get("/bottlenecks")
@login_required
def bottlenecks() -> ResponseReturnValue:
    """A procedure's diagram coloured by each step's waiting time or late share, and its slowest steps."""
    viewer = manager_scope("bottlenecks")
    wanted = load(BottleneckSchema(), request.args)
    names = services().catalogue.names()
    ordered = sorted(names, key=lambda pid: (names[pid].casefold(), pid))
    process_id = wanted["process_id"] or (ordered[0] if ordered else None)
    if process_id is not None and process_id not in names:
        raise NotFound(f"no deployed process '{process_id}'")
    choice = chosen_period()
    found = analytics().bottlenecks(me(), process_id, choice.period) if process_id else None
    return _page("manage/bottlenecks.html", viewer, found=found, process_id=process_id, ordered=ordered,
                 measure=wanted["measure"], choice=choice, label=period_label(choice))


@bp.get("/evaluation")
@login_required
def evaluation() -> ResponseReturnValue:
    """The year's evaluation of each person: tasks, on-time rate, proposed and confirmed classification."""
    return evaluation_page(chosen_year())


def evaluation_page(year: int, errors: dict[str, dict[str, list[str]]] | None = None,
                    typed: dict[str, Any] | None = None, status: int = 200) -> ResponseReturnValue:
    """Render the evaluation of ``year`` (again after a refused decision, with its messages and input)."""
    viewer = manager_scope("evaluations of units")
    rows = analytics().evaluation(me(), year, locale=locale())
    return _page("manage/evaluation.html", viewer, status, rows=rows, year=year, levels=LEVEL_CODES,
                 thresholds=analytics().thresholds(), errors=errors or {}, typed=typed or {},
                 level_names=_level_names())


@bp.get("/me")
@login_required
def mine() -> ResponseReturnValue:
    """One's own record: open tasks past or near their deadline, the period's on-time record, the year's evaluation."""
    viewer, username = scope(), me()
    choice = chosen_period()
    found = analytics().deadlines_now(username, person=username, limit=DEADLINE_ROWS)
    record = [r for r in analytics().on_time_record(username, choice.period).people if r.key == username]
    evaluation_rows = [r for r in analytics().evaluation(username, choice.year, locale=locale())
                       if r.username == username]
    return _page("manage/mine.html", viewer, found=found, record=record[0] if record else None,
                 evaluation=evaluation_rows[0] if evaluation_rows else None, choice=choice,
                 label=period_label(choice))


def _level_names() -> dict[str, str]:
    return {code: level_name(code, locale()) for code in LEVEL_CODES}

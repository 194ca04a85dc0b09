"""What every managers' view needs: the analytics service, the viewer's scope, numbers as people read them."""

from __future__ import annotations

from datetime import date

from flask import request
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _

from engine.analytics import AnalyticsService, Scope
from web.extensions import services, user
from web.i18n import locale
from web.manage import bp
from web.manage.params import PeriodChoice, PeriodSchema, period_choice
from web.params import load


def analytics() -> AnalyticsService:
    """The engine's analytics service."""
    return services().analytics


def me() -> str:
    """The signed-in viewer's user name."""
    return user().username


def scope() -> Scope:
    """What the viewer may see."""
    return analytics().scope_for(me())


def manager_scope(what: str) -> Scope:
    """The viewer's scope, if they head units or lead the agency; a specialist gets a 403 page."""
    found = scope()
    found.require_manager(what)
    return found


def current_year() -> int:
    """The current year in the agency's time."""
    return analytics().current_year().start.year


def chosen_year() -> int:
    """The year in the query string (default: the current year)."""
    return load(PeriodSchema(), request.args)["year"] or current_year()


def chosen_period() -> PeriodChoice:
    """The period in the query string (default: the current year)."""
    return period_choice(request.args, current_year())


@bp.app_template_filter("rate")
def rate(value: float | None) -> str:
    """A share as a percentage ("—" when there is nothing to measure)."""
    return "—" if value is None else format_percent(value, "#,##0.#%")


@bp.app_template_filter("decimal1")
def decimal1(value: float | None) -> str:
    """A number with at most one decimal ("—" for none)."""
    return "—" if value is None else format_decimal(value, "#,##0.#")


def lateness(seconds: int, days: float) -> str:
    """How late, in working time: working days from one day on, working hours below."""
    if seconds <= 0:
        return ""
    if days >= 1:
        return _("%(n)s working days", n=decimal1(days))
    return _("%(n)s working hours", n=decimal1(seconds / 3600))


def time_left(seconds: int) -> str:
    """Working time left before a deadline (due-soon tasks have less than a working day)."""
    return _("%(n)s working hours left", n=decimal1(seconds / 3600))


bp.add_app_template_global(lateness, "lateness")
bp.add_app_template_global(time_left, "time_left")


def period_label(choice: PeriodChoice) -> str:
    """The period in words, to follow "in": a year, a quarter, a month, or two dates."""
    if choice.custom:
        return _("from %(start)s to %(end)s", start=format_date(choice.period.start, "dd/MM/yyyy"),
                 end=format_date(choice.last_day, "dd/MM/yyyy"))
    if choice.part.startswith("q"):
        return _("quarter %(q)s of %(year)s", q=choice.part[1:], year=choice.year)
    if choice.part.startswith("m"):
        return _("month %(month)s/%(year)s", month=choice.part[1:], year=choice.year)
    return _("the year %(year)s", year=choice.year)


def short_date(day: date) -> str:
    """A day as a chart label (13/04, or 13 Apr in English)."""
    return format_date(day, "dd/MM" if locale() == "vi" else "d MMM")

"""The managers' pages' query arguments, validated with marshmallow: periods, drill-down filters, measures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.analytics import Period
from web.params import load

PARTS = ("", "q1", "q2", "q3", "q4", *(f"m{n}" for n in range(1, 13)))
MEASURES = ("wait", "late")
MAX_DAYS = 366  # working days late: a year is the most a threshold can mean
LEVEL_CODES = ("excellent", "good", "complete", "not_complete")


class PeriodSchema(Schema):
    """A year, optionally narrowed to a quarter or month, or a custom range of dates (both ends included)."""

    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    part = fields.String(load_default="", validate=validate.OneOf(PARTS))
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)

    @validates_schema
    def both_ends(self, data: dict[str, Any], **kwargs: Any) -> None:
        """A custom range needs both dates, in order."""
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise ValidationError(_("Give both dates of the period."), "start" if start is None else "end")
        if start is not None and end is not None and end < start:
            raise ValidationError(_("The period ends before it starts."), "end")


class DeadlineSchema(Schema):
    """Drill-down filters of "deadlines now"."""

    unit = fields.String(load_default=None, validate=validate.Length(max=100))
    person = fields.String(load_default=None, validate=validate.Length(max=100))


class TrendSchema(Schema):
    """How many finished weeks the overdue trend covers."""

    weeks = fields.Integer(load_default=12, validate=validate.Range(2, 52))


class BottleneckSchema(Schema):
    """Which procedure's steps, coloured by which measure."""

    process_id = fields.String(load_default=None, validate=validate.Length(max=200))
    measure = fields.String(load_default="wait", validate=validate.OneOf(MEASURES))


class ConfirmSchema(Schema):
    """A manager's decision on one person's classification."""

    classification = fields.String(required=True, validate=validate.OneOf(LEVEL_CODES))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class ReassignSchema(Schema):
    """Whom to give an open task to (blank: the page asks to choose)."""

    to_user = fields.String(load_default="", validate=validate.Length(max=100))


class ThresholdsFormSchema(Schema):
    """The thresholds form: the lowest on-time rate (in %) and the longest lateness (working days) per level."""

    excellent_rate = fields.Float(required=True, validate=validate.Range(0, 100))
    excellent_days = fields.Float(load_default=None, validate=validate.Range(0, MAX_DAYS))
    good_rate = fields.Float(required=True, validate=validate.Range(0, 100))
    good_days = fields.Float(load_default=None, validate=validate.Range(0, MAX_DAYS))
    complete_rate = fields.Float(required=True, validate=validate.Range(0, 100))
    complete_days = fields.Float(load_default=None, validate=validate.Range(0, MAX_DAYS))
    min_tasks = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))


def thresholds_from_form(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The thresholds the form gives, as ``AnalyticsService.set_thresholds`` takes them (rates from % to 0-1)."""
    given = load(ThresholdsFormSchema(), {k: str(v).replace(",", ".") for k, v in raw.items()})
    levels = [{"code": code, "min_on_time_rate": round(given[f"{code}_rate"] / 100, 4),
               "max_late_days": given[f"{code}_days"]} for code in LEVEL_CODES[:3]]
    return {"levels": levels, "fallback": LEVEL_CODES[3], "min_tasks": given["min_tasks"]}


@dataclass(frozen=True)
class PeriodChoice:
    """The period a page shows, and how the user chose it (to fill the form and build links again)."""

    period: Period
    year: int
    part: str = ""
    custom: bool = False

    def args(self) -> dict[str, str]:
        """Query arguments that give this period back."""
        if self.custom:
            last = self.period.end - timedelta(days=1)
            return {"start": self.period.start.isoformat(), "end": last.isoformat()}
        return {"year": str(self.year), **({"part": self.part} if self.part else {})}

    @property
    def last_day(self) -> date:
        """The period's last day (its end is excluded)."""
        return self.period.end - timedelta(days=1)


def period_choice(raw: Mapping[str, Any], current_year: int) -> PeriodChoice:
    """The period asked for in ``raw`` (default: the current year)."""
    found = load(PeriodSchema(), raw)
    year = found["year"] or current_year
    if found["start"] is not None:
        start, end = found["start"], found["end"]
        return PeriodChoice(Period(start, end + timedelta(days=1)), start.year, custom=True)
    part = found["part"]
    if part.startswith("q"):
        return PeriodChoice(Period.quarter(year, int(part[1:])), year, part)
    if part.startswith("m"):
        return PeriodChoice(Period.month(year, int(part[1:])), year, part)
    return PeriodChoice(Period.year(year), year)

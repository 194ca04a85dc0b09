"""What administrators give the business calendar, checked: days, office-hours settings and holiday files.

Marshmallow schemas validate each input; :func:`validated` turns their messages into
:class:`~engine.errors.InvalidInput` with a field path per problem (``holidays.3.date``), and
:func:`read_holiday_file` reads a file in the format of ``engine/data/holidays_vn.yaml``. The database side,
and the calendar built from it, is in engine.calendar.store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine.calendar.working_time import WorkingCalendar
from engine.errors import InvalidInput
from engine.i18n import N_
from engine.persistence.models import DayKind

DAY_KINDS = tuple(kind.value for kind in DayKind)
# The holiday file says "public" for a statutory holiday (engine/data/holidays_vn.yaml); the database says "holiday".
_FILE_KINDS = {"public": DayKind.HOLIDAY, "holiday": DayKind.HOLIDAY, "compensatory": DayKind.COMPENSATORY,
               "swapped": DayKind.SWAPPED}
_EXTRA_WORKDAY_NAMES = ("Ngày làm bù", "Make-up working day")
_PERIOD = re.compile(r"\s*(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})\s*")


class _TextDatesLoader(yaml.SafeLoader):
    """A safe YAML loader that leaves dates as text, so a bad one is reported by the schema with its place."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _date_field() -> fields.Date:
    """Return a required date field whose error shows the expected form."""
    return fields.Date(required=True, error_messages={"invalid": "expected a date as YYYY-MM-DD"})


def _not_blank(value: str) -> None:
    """Refuse a text made only of spaces."""
    if not value.strip():
        raise ValidationError("must not be blank")


def _calendar_accepts(key: str) -> Callable[[Any], None]:
    """Return a validator that asks the calendar itself whether it accepts ``value`` for setting ``key``."""

    def check(value: Any) -> None:
        try:
            WorkingCalendar.from_config({key: value})
        except (TypeError, ValueError) as exc:
            raise ValidationError(str(exc)) from exc

    return check


def _period_text(value: str) -> None:
    """Refuse an office period not written ``HH:MM-HH:MM``."""
    if not _PERIOD.fullmatch(value):
        raise ValidationError(f"expected HH:MM-HH:MM such as 07:30-11:30, got {value!r}")


class SettingsSchema(Schema):
    """Office-hours settings as an administrator gives them; every key is optional."""

    timezone = fields.String(validate=[_not_blank, _calendar_accepts("timezone")])
    periods = fields.List(fields.String(validate=_period_text),
                          validate=[validate.Length(min=1, error="give at least one office period"),
                                    _calendar_accepts("periods")])
    workdays = fields.List(fields.Integer(validate=validate.Range(0, 6, error="a weekday is 0 (Monday) to 6 (Sunday)")),
                           validate=validate.Length(min=1, error="give at least one working weekday"))


class DaySchema(Schema):
    """One calendar day as an administrator enters it."""

    date = _date_field()
    kind = fields.String(required=True, validate=validate.OneOf(DAY_KINDS, error=f"use one of: {', '.join(DAY_KINDS)}"))
    name_vi = fields.String(required=True, validate=[validate.Length(max=500), _not_blank])
    name_en = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class FileHolidaySchema(Schema):
    """One entry of a holiday file's ``holidays`` list."""

    date = _date_field()
    name_vi = fields.String(required=True, validate=[validate.Length(max=500), _not_blank])
    name_en = fields.String(required=True, validate=[validate.Length(max=500), _not_blank])
    kind = fields.String(load_default="public",
                         validate=validate.OneOf(list(_FILE_KINDS), error=f"use one of: {', '.join(_FILE_KINDS)}"))


class FileExtraWorkdaySchema(Schema):
    """One entry of a holiday file's ``extra_workdays`` list (a date alone is accepted too)."""

    date = _date_field()
    name_vi = fields.String(load_default=_EXTRA_WORKDAY_NAMES[0], validate=validate.Length(1, 500))
    name_en = fields.String(load_default=_EXTRA_WORKDAY_NAMES[1], validate=validate.Length(max=500))


class HolidayFileSchema(Schema):
    """A holiday file in the format of ``engine/data/holidays_vn.yaml``."""

    holidays = fields.List(fields.Nested(FileHolidaySchema), load_default=list)
    extra_workdays = fields.List(fields.Nested(FileExtraWorkdaySchema), load_default=list)

    @validates_schema
    def each_date_once(self, data: Mapping[str, Any], **_: Any) -> None:
        """Refuse a date listed twice: it cannot be two kinds of day at once."""
        seen: set[date] = set()
        problems: dict[str, list[str]] = {}
        for key in ("holidays", "extra_workdays"):
            for index, entry in enumerate(data.get(key, [])):
                if entry["date"] in seen:
                    problems[f"{key}.{index}.date"] = [f"{entry['date']} is listed more than once"]
                seen.add(entry["date"])
        if problems:
            raise ValidationError(problems)


def load_settings(given: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the office-hours settings given (None for those not given) and write them as they are stored.

    Raises:
        InvalidInput: a setting is invalid; ``fields`` says which.
    """
    data = validated(SettingsSchema(), {k: v for k, v in given.items() if v is not None},
                     N_("invalid calendar settings"))
    if "periods" in data:
        data["periods"] = [_PERIOD.sub(r"\1-\2", text) for text in data["periods"]]
    if "workdays" in data:
        data["workdays"] = sorted(set(data["workdays"]))
    if "timezone" in data:
        data["timezone"] = data["timezone"].strip()
    return data


def read_holiday_file(path: Path) -> dict[date, tuple[DayKind, str, str | None]]:
    """Read and validate a holiday file into {date: (kind, name_vi, name_en)}."""
    if not path.is_file():
        raise InvalidInput(N_("{path}: no such file"), path=path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_TextDatesLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InvalidInput(N_("{path}{where}: not valid YAML ({problem})"), path=path, where=where,
                           problem=getattr(exc, 'problem', exc)) from exc
    if not isinstance(raw, dict):
        raise InvalidInput(N_("{path}: expected a mapping with 'holidays' and 'extra_workdays'"), path=path)
    extra = raw.get("extra_workdays")
    if isinstance(extra, list):  # a bare date is a valid extra working day, as load_extra_workdays reads it
        raw = {**raw, "extra_workdays": [entry if isinstance(entry, dict) else {"date": entry} for entry in extra]}
    data = validated(HolidayFileSchema(), raw, N_("{path}: invalid holiday file"), path=path)
    days = {h["date"]: (_FILE_KINDS[h["kind"]], h["name_vi"].strip(), h["name_en"].strip()) for h in data["holidays"]}
    for entry in data["extra_workdays"]:
        days[entry["date"]] = (DayKind.EXTRA_WORKDAY, entry["name_vi"].strip(), entry["name_en"].strip() or None)
    return days


def date_text(value: Any) -> Any:
    """Write a date (not a datetime) as ``YYYY-MM-DD``; leave anything else for the schema to judge."""
    return value.isoformat() if isinstance(value, date) and not isinstance(value, datetime) else value


def validated(schema: Schema, raw: Mapping[str, Any], message: str, **params: Any) -> dict[str, Any]:
    """Validate ``raw`` with ``schema``, as InvalidInput (``message`` with ``params``) with field messages when
    it does not fit."""
    try:
        return dict(schema.load(raw))
    except ValidationError as exc:
        raise InvalidInput(message, _flatten(exc.messages), **params) from exc


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages into ``{"holidays.3.date": [...]}``."""
    if not isinstance(messages, Mapping):
        items = messages if isinstance(messages, list) else [messages]
        return {prefix or "_schema": [str(item) for item in items]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat

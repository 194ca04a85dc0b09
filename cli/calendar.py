"""``procflow calendar``: deadlines in working time, the holidays administrators keep, and office hours."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from cli.common import echo_json, friendly_errors, services_of
from engine.calendar.store import DAY_KINDS, CalendarEntry, CalendarSettings
from engine.calendar.working_time import WorkingDuration
from engine.errors import InvalidInput, InvalidState

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Bounds that keep a typo (an extra zero or three) from making the command count for minutes.
MAX_DAYS = 10_000
MAX_HOURS = 75_000


def _fields_in_message(func: Callable[..., Any]) -> Callable[..., Any]:
    """Spell an InvalidInput's field messages out in its text, since the command line shows only the text."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            if not exc.fields:
                raise
            details = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.fields.items())
            raise InvalidInput(f"{exc} ({details})", exc.fields) from exc

    return wrapper


@click.group()
def calendar() -> None:
    """Working-time calendar: deadlines, holidays and office hours."""


@calendar.command("due")
@click.argument("start", metavar="FROM")
@click.option("--working-days", "days", type=int, default=None, help="Working days to add (negative: before).")
@click.option("--working-hours", "hours", type=float, default=None, help="Working hours to add, e.g. 4 or 2.5.")
@click.pass_context
@friendly_errors
def due(ctx: click.Context, start: str, days: int | None, hours: float | None) -> None:
    """Print the moment a duration of working time after FROM falls due, in ISO 8601.

    FROM is an ISO 8601 moment with its UTC offset, e.g. 2026-04-29T09:00+07:00; with --working-days 2 that
    gives 2026-05-05T09:00:00+07:00 (30 April, 1 May and the weekend are not working days).
    """
    moment, duration = _moment(start), _duration(days, hours)
    try:
        result = services_of(ctx).calendar.add(moment, duration)
    except (ValueError, OverflowError) as exc:  # no working day for years, or beyond the year 9999
        raise InvalidState(f"cannot compute the due moment: {exc}") from exc
    click.echo(result.isoformat())


def _moment(text: str) -> datetime:
    """Read FROM, refusing a moment without a UTC offset (it would be ambiguous)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"FROM {text!r} is not an ISO 8601 moment such as 2026-04-29T09:00+07:00") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"FROM {text!r} has no UTC offset; write it with one, e.g. 2026-04-29T09:00+07:00")
    return moment


def _duration(days: int | None, hours: float | None) -> WorkingDuration:
    """Turn exactly one of --working-days and --working-hours into a working duration."""
    if (days is None) == (hours is None):
        raise InvalidInput("give exactly one of --working-days N and --working-hours H")
    if days is not None:
        if abs(days) > MAX_DAYS:
            raise InvalidInput(f"--working-days must be between -{MAX_DAYS} and {MAX_DAYS}")
        return WorkingDuration(days=days)
    assert hours is not None
    if not math.isfinite(hours) or abs(hours) > MAX_HOURS:
        raise InvalidInput(f"--working-hours must be a number between -{MAX_HOURS} and {MAX_HOURS}")
    return WorkingDuration(time=timedelta(hours=hours))


@calendar.group()
def holidays() -> None:
    """Public holidays, days off in lieu and extra working days, kept in the database."""


@holidays.command("list")
@click.option("--year", type=int, default=None, help="Only this year.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def holidays_list(ctx: click.Context, year: int | None, fmt: str) -> None:
    """List the stored calendar days in date order."""
    found = services_of(ctx).calendar.list_days(year)
    if fmt == "json":
        echo_json([entry.as_dict() for entry in found])
        return
    if not found:
        click.echo(f"no calendar days in {year}" if year is not None else "no calendar days")
    for entry in found:
        click.echo(_day_line(entry))


@holidays.command("add")
@click.argument("day", metavar="DATE")
@click.argument("name")
@click.option("--kind", type=click.Choice(DAY_KINDS), default="holiday", show_default=True,
              help="A day off (holiday, compensatory, swapped) or a Saturday worked (extra_workday).")
@click.option("--name-en", default=None, help="English name.")
@click.pass_context
@friendly_errors
@_fields_in_message
def holidays_add(ctx: click.Context, day: str, name: str, kind: str, name_en: str | None) -> None:
    """Add the day DATE (YYYY-MM-DD) called NAME, or replace the day stored on that date."""
    entry = services_of(ctx).calendar.add_day(day, kind, name, name_en)
    click.echo(f"saved {_day_line(entry)}")


@holidays.command("remove")
@click.argument("day", metavar="DATE")
@click.pass_context
@friendly_errors
@_fields_in_message
def holidays_remove(ctx: click.Context, day: str) -> None:
    """Remove the day stored on DATE (YYYY-MM-DD), shipped or added."""
    entry = services_of(ctx).calendar.remove_day(day)
    click.echo(f"removed {_day_line(entry)}")


@holidays.command("import")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Also remove stored days of the file's years that it does not list.")
@click.pass_context
@friendly_errors
@_fields_in_message
def holidays_import(ctx: click.Context, path: Path, replace: bool) -> None:
    """Load a holiday file in the format of engine/data/holidays_vn.yaml (e.g. next year's holidays)."""
    result = services_of(ctx).calendar.import_file(path, replace=replace)
    years = ", ".join(map(str, result.years)) or "no year"
    click.echo(f"imported {path} ({years}): {result.added} added, {result.updated} updated, "
               f"{result.unchanged} unchanged, {result.removed} removed")
    if result.kept:
        dates = ", ".join(day.isoformat() for day in result.kept)
        click.echo(f"warning: kept {len(result.kept)} stored day(s) the file does not list: {dates} "
                   "(use --replace to remove them)", err=True)


@calendar.command("settings")
@click.option("--timezone", default=None, help="IANA time zone, e.g. Asia/Ho_Chi_Minh.")
@click.option("--periods", default=None, help="Office periods in order, e.g. 07:30-11:30,13:30-17:00.")
@click.option("--workdays", default=None, help="Working weekdays, 0 (Monday) to 6 (Sunday), e.g. 0,1,2,3,4.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
@_fields_in_message
def settings(ctx: click.Context, timezone: str | None, periods: str | None, workdays: str | None, fmt: str) -> None:
    """Show the office-hours settings, or change those given."""
    service = services_of(ctx).calendar
    if timezone is None and periods is None and workdays is None:
        current = service.settings()
    else:
        current = service.set_settings(timezone=timezone, periods=_items(periods), workdays=_items(workdays))
    if fmt == "json":
        echo_json(current.as_dict())
        return
    for line in _settings_lines(current):
        click.echo(line)


def _items(text: str | None) -> list[str] | None:
    """Split a comma-separated option value (None when the option was not given)."""
    return None if text is None else [item.strip() for item in text.split(",") if item.strip()]


def _day_line(entry: CalendarEntry) -> str:
    """Format one calendar day on one line."""
    english = f" / {entry.name_en}" if entry.name_en else ""
    return (f"{entry.date.isoformat()} {WEEKDAYS[entry.date.weekday()]}  {entry.kind:<13} {entry.source:<7}  "
            f"{entry.name_vi}{english}")


def _settings_lines(current: CalendarSettings) -> list[str]:
    """Format the settings, marking those left at their default."""

    def mark(key: str) -> str:
        return "" if key in current.customized else "  (default)"

    names = ", ".join(WEEKDAYS[day] for day in current.workdays)
    return [
        f"timezone: {current.timezone}{mark('timezone')}",
        f"periods: {','.join(current.periods)}{mark('periods')}",
        f"workdays: {','.join(map(str, current.workdays))} ({names}){mark('workdays')}",
    ]

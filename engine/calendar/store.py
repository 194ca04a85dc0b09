"""The business calendar kept in the database: the days an administrator maintains and the agency's office hours.

``CalendarService.calendar()`` builds a :class:`~engine.calendar.working_time.WorkingCalendar` from the
``calendar_days`` and
``calendar_settings`` tables and caches it. Before reusing the cached calendar it reads a cheap version, so a
change made by another process (the web app, a worker, ``procflow calendar ...``) is seen by the next computation.
The version is a revision counter that every write of this service raises (kept in ``calendar_settings`` under
the key ``revision``), plus the row counts and newest ``updated_at`` of both tables for rows edited by hand.
Timestamps alone would not do: a removal can take the newest stamp away, and a virtual clock may stand still.

A step of the runtime holds one connection and may hold locks; if it asked the pool for a second connection to
re-read the calendar, a crowd of steps waiting on the same lock could starve it. So a step pins the calendar
with :meth:`CalendarService.using` and its own connection: within it, every deadline uses that calendar.

What administrators give it (days, settings, holiday files) is checked by engine.calendar.input.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.calendar.input import (
    DAY_KINDS,
    DaySchema,
    FileExtraWorkdaySchema,
    FileHolidaySchema,
    HolidayFileSchema,
    SettingsSchema,
    date_text,
    load_settings,
    read_holiday_file,
    validated,
)
from engine.calendar.working_time import (
    DEFAULT_PERIODS,
    DEFAULT_TIMEZONE,
    DEFAULT_WORKDAYS,
    WorkingCalendar,
    WorkingDuration,
    parse_working_duration,
)
from engine.clock import Clock, SystemClock
from engine.errors import InvalidState, NotFound
from engine.i18n import N_
from engine.persistence.db import Database
from engine.persistence.models import CalendarDay, CalendarSetting, DayKind, DaySource

__all__ = [
    "DAY_KINDS", "REVISION_KEY", "SETTING_KEYS", "CalendarEntry", "CalendarService", "CalendarSettings", "DaySchema",
    "FileExtraWorkdaySchema", "FileHolidaySchema", "HolidayFileSchema", "ImportResult", "SettingsSchema", "pinned",
]

SETTING_KEYS = ("timezone", "periods", "workdays")
REVISION_KEY = "revision"

_VERSION = select(
    select(CalendarSetting.value).where(CalendarSetting.key == REVISION_KEY).scalar_subquery(),
    select(func.count()).select_from(CalendarDay).scalar_subquery(),
    select(func.max(CalendarDay.updated_at)).scalar_subquery(),
    select(func.count()).select_from(CalendarSetting).scalar_subquery(),
    select(func.max(CalendarSetting.updated_at)).scalar_subquery(),
)

# The calendar pinned by the step running in this thread (or task): (the service, its calendar).
_pinned: ContextVar[tuple[Any, WorkingCalendar] | None] = ContextVar("procflow_pinned_calendar", default=None)


@dataclass(frozen=True)
class CalendarEntry:
    """A calendar day as stored: a day off of some kind, or an extra working day."""

    date: date
    kind: str
    name_vi: str
    name_en: str | None
    source: str
    updated_at: datetime

    @property
    def is_day_off(self) -> bool:
        """True for a holiday, compensatory or swapped day; False for an extra working day."""
        return self.kind != DayKind.EXTRA_WORKDAY

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-ready data."""
        return {"date": self.date.isoformat(), "kind": self.kind, "name_vi": self.name_vi, "name_en": self.name_en,
                "source": self.source, "updated_at": self.updated_at.isoformat()}


@dataclass(frozen=True)
class CalendarSettings:
    """The agency's office hours in effect; ``customized`` names the keys set in the database."""

    timezone: str
    periods: tuple[str, ...]
    workdays: tuple[int, ...]
    customized: frozenset[str] = frozenset()

    def as_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready data."""
        return {"timezone": self.timezone, "periods": list(self.periods), "workdays": list(self.workdays),
                "customized": sorted(self.customized)}


@dataclass(frozen=True)
class ImportResult:
    """What importing a holiday file changed; ``kept`` lists days of its years that it does not mention."""

    years: tuple[int, ...]
    added: int
    updated: int
    unchanged: int
    removed: int
    kept: tuple[date, ...]


class CalendarService:
    """Maintains holidays and office hours in the database and computes deadlines with them.

    It also serves as the script engine's calendar (``parse_working_duration`` and ``add``), so BPMN timers and
    task deadlines written ``working:P2D`` follow what administrators keep here.
    """

    parse_working_duration = staticmethod(parse_working_duration)

    def __init__(self, *, db: Database, clock: Clock | None = None, timezone: str = DEFAULT_TIMEZONE) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.default_timezone = timezone
        self._cached: tuple[tuple[Any, ...], WorkingCalendar] | None = None
        # Another process's edits are noticed within this many seconds; until then the cached calendar
        # serves every deadline without a query (steps run inside their own transaction and connection).
        self.refresh_after = 5.0
        self._checked_at = -1e9

    def calendar(self) -> WorkingCalendar:
        """Return the working calendar as the database has it now (cached until something changes).

        Returns:
            The calendar of the stored settings (defaults where unset), holidays and extra working days.

        Raises:
            InvalidState: the stored rows do not make a calendar (edited by hand into something invalid).
        """
        pinned = _pinned.get()
        if pinned is not None and pinned[0] is self:
            return pinned[1]
        cached = self._cached
        if cached is not None and time.monotonic() - self._checked_at < self.refresh_after:
            return cached[1]
        with self.db.read() as session:
            return self._current(session)

    @contextmanager
    def using(self, conn: Connection) -> Iterator[WorkingCalendar]:
        """Within the block, :meth:`calendar` is the calendar as ``conn`` sees it, read at most once.

        A step calls this with its own connection, so computing its deadlines never asks the pool for
        another one (which a crowd of concurrent steps may hold).
        """
        cached = self._cached
        if cached is not None and time.monotonic() - self._checked_at < self.refresh_after:
            current = cached[1]
        else:
            current = self._current(conn)
        token = _pinned.set((self, current))
        try:
            yield current
        finally:
            _pinned.reset(token)

    def _current(self, session: Session | Connection) -> WorkingCalendar:
        """The cached calendar if its version is still the stored one, else a fresh one (and cache it)."""
        cached = self._cached
        version = tuple(session.execute(_VERSION).one())
        self._checked_at = time.monotonic()
        if cached is not None and cached[0] == version:
            return cached[1]
        built = self._build(session)
        self._cached = (version, built)
        return built

    def add(self, start: datetime, duration: WorkingDuration) -> datetime:
        """Return the moment ``duration`` of working time after ``start``, by the current calendar.

        Args:
            start: a timezone-aware moment.
            duration: working days, then working time, as ``parse_working_duration`` returns.

        Returns:
            The due moment in the agency's time zone.
        """
        return self.calendar().add(start, duration)

    def list_days(self, year: int | None = None) -> list[CalendarEntry]:
        """Return the stored calendar days in date order.

        Args:
            year: only the days of this year; None for all.

        Returns:
            The days, holidays and extra working days alike.
        """
        query = select(CalendarDay).order_by(CalendarDay.date)
        if year is not None:
            query = query.where(CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31)))
        with self.db.read() as session:
            return [_entry(row) for row in session.scalars(query)]

    def add_day(self, day: date | str, kind: str, name_vi: str, name_en: str | None = None) -> CalendarEntry:
        """Add a calendar day, or replace the one on that date; it is then the administrator's (source "admin").

        Args:
            day: the date, as a date or ``YYYY-MM-DD``.
            kind: holiday, compensatory, swapped or extra_workday.
            name_vi: the Vietnamese name shown to users.
            name_en: an optional English name.

        Returns:
            The stored day.

        Raises:
            InvalidInput: a field is invalid; ``fields`` says which.
        """
        self._checked_at = -1e9  # our own change: check the version on next use
        raw = {"date": date_text(day), "kind": kind, "name_vi": name_vi, "name_en": name_en}
        data = validated(DaySchema(), raw, N_("invalid calendar day"))
        with self.db.write() as session:
            row = session.get(CalendarDay, data["date"]) or CalendarDay(date=data["date"])
            row.kind, row.name_vi, row.name_en = DayKind(data["kind"]), data["name_vi"].strip(), data["name_en"]
            row.source, row.updated_at = DaySource.ADMIN, _revised(session, self.clock)
            session.add(row)
            session.flush()
            return _entry(row)

    def remove_day(self, day: date | str) -> CalendarEntry:
        """Remove the calendar day on ``day``, shipped or not, and return what it was.

        Raises:
            NotFound: no day is stored on that date.
            InvalidInput: ``day`` is not a date.
        """
        self._checked_at = -1e9  # our own change: check the version on next use
        wanted = validated(DaySchema(only=("date",)), {"date": date_text(day)}, N_("invalid date"))["date"]
        with self.db.write() as session:
            row = session.get(CalendarDay, wanted)
            if row is None:
                raise NotFound(N_("no calendar day on {day}"), day=wanted.isoformat())
            removed = _entry(row)
            session.delete(row)
            _revised(session, self.clock)
        return removed

    def settings(self) -> CalendarSettings:
        """Return the office-hours settings in effect, defaults included."""
        with self.db.read() as session:
            return self._settings(session)

    def set_settings(self, *, timezone: str | None = None, periods: Sequence[str] | None = None,
                     workdays: Iterable[int | str] | None = None) -> CalendarSettings:
        """Change some office-hours settings; those not given keep their value.

        Args:
            timezone: an IANA time zone name such as ``Asia/Ho_Chi_Minh``.
            periods: office periods ``HH:MM-HH:MM`` in order, e.g. ``["07:30-11:30", "13:30-17:00"]``.
            workdays: working weekdays, 0 (Monday) to 6 (Sunday).

        Returns:
            The settings now in effect.

        Raises:
            InvalidInput: a setting is invalid; ``fields`` says which, and nothing is changed.
        """
        self._checked_at = -1e9  # our own change: check the version on next use
        given = {"timezone": timezone, "periods": periods, "workdays": None if workdays is None else list(workdays)}
        data = load_settings(given)
        with self.db.write() as session:
            stamp = _revised(session, self.clock)
            for key, value in data.items():
                session.merge(CalendarSetting(key=key, value=value, updated_at=stamp))
        return self.settings()

    def import_file(self, path: Path, *, replace: bool = False) -> ImportResult:
        """Load a holiday file (the format of ``engine/data/holidays_vn.yaml``) into the database, all or nothing.

        Args:
            path: the YAML file, with ``holidays`` and ``extra_workdays`` lists.
            replace: also remove the stored days of the years the file covers that the file does not list.

        Returns:
            What changed; days kept although the file does not list them are in ``kept``.

        Raises:
            InvalidInput: the file is missing, not YAML, or has invalid entries (``fields`` says where).
        """
        self._checked_at = -1e9  # our own change: check the version on next use
        wanted = read_holiday_file(path)
        years = sorted({day.year for day in wanted})
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        with self.db.write() as session:
            stamp = _revised(session, self.clock)
            for day, (kind, name_vi, name_en) in sorted(wanted.items()):
                counts[_upsert(session, day, kind, name_vi, name_en, stamp)] += 1
            others = list(session.scalars(select(CalendarDay.date).where(
                or_(*(CalendarDay.date.between(date(year, 1, 1), date(year, 12, 31)) for year in years)),
                CalendarDay.date.not_in(list(wanted))))) if years else []
            if replace and others:
                session.execute(delete(CalendarDay).where(CalendarDay.date.in_(others)))
        return ImportResult(years=tuple(years), removed=len(others) if replace else 0,
                            kept=() if replace else tuple(sorted(others)), **counts)

    def _settings(self, session: Session | Connection) -> CalendarSettings:
        """Read the settings rows and fill in defaults."""
        stored = {row.key: row.value for row in session.execute(select(CalendarSetting.key, CalendarSetting.value))}
        return CalendarSettings(
            timezone=stored.get("timezone", self.default_timezone),
            periods=tuple(stored.get("periods", [f"{b:%H:%M}-{e:%H:%M}" for b, e in DEFAULT_PERIODS])),
            workdays=tuple(stored.get("workdays", sorted(DEFAULT_WORKDAYS))),
            customized=frozenset(stored) & frozenset(SETTING_KEYS),
        )

    def _build(self, session: Session | Connection) -> WorkingCalendar:
        """Build the working calendar from the rows visible to ``session``."""
        settings = self._settings(session)
        days = session.execute(select(CalendarDay.date, CalendarDay.kind)).all()
        try:
            return WorkingCalendar.from_config({
                "timezone": settings.timezone, "periods": settings.periods, "workdays": settings.workdays,
                "holidays": [day for day, kind in days if kind != DayKind.EXTRA_WORKDAY],
                "extra_workdays": [day for day, kind in days if kind == DayKind.EXTRA_WORKDAY],
            })
        except ValueError as exc:
            raise InvalidState(N_("the calendar stored in the database is not valid: {error}"), error=exc) from exc


def pinned(calendar: Any, conn: Connection) -> AbstractContextManager[Any]:
    """``calendar.using(conn)`` for the database's calendar; nothing to pin for a fixed calendar (or none)."""
    return calendar.using(conn) if isinstance(calendar, CalendarService) else nullcontext(calendar)


def _entry(row: CalendarDay) -> CalendarEntry:
    """Copy a row into a CalendarEntry that outlives its session."""
    return CalendarEntry(date=row.date, kind=DayKind(row.kind).value, name_vi=row.name_vi, name_en=row.name_en,
                         source=DaySource(row.source).value, updated_at=row.updated_at)


def _upsert(session: Session, day: date, kind: DayKind, name_vi: str, name_en: str | None, stamp: datetime) -> str:
    """Store one imported day unless it is already stored as is; return "added", "updated" or "unchanged"."""
    row = session.get(CalendarDay, day)
    if row is not None and (row.kind, row.name_vi, row.name_en) == (kind, name_vi, name_en):
        return "unchanged"
    outcome = "added" if row is None else "updated"
    row = row or CalendarDay(date=day)
    row.kind, row.name_vi, row.name_en, row.source, row.updated_at = kind, name_vi, name_en, DaySource.ADMIN, stamp
    session.add(row)
    return outcome


def _revised(session: Session, clock: Clock) -> datetime:
    """Raise the calendar's revision within the writing transaction and return the moment to stamp rows with."""
    now = clock.now()
    row = session.get(CalendarSetting, REVISION_KEY, with_for_update=True)
    if row is None:
        session.add(CalendarSetting(key=REVISION_KEY, value=1, updated_at=now))
    else:
        row.value, row.updated_at = int(row.value) + 1, now
    return now

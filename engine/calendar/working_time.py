"""The working-time calendar: office hours, weekly rest days and public holidays for deadline arithmetic.

Semantics:

* A *working day* is a weekday listed in ``workdays`` (numbered as ``date.weekday()``: Monday is 0) that is
  not a holiday; a date in ``extra_workdays`` (a Saturday worked to make up for a swapped day off) is always
  a working day.
* *Working time* is made of the office ``periods`` of the working days, as closed intervals in the calendar's
  time zone: with the default periods 11:30 and 13:30 are both working moments, the lunch break is not.
* ``add_working_time`` consumes working time and returns the earliest moment at which the amount is used up
  (3 hours from 08:30 end at 11:30, not 13:30); a negative amount runs backwards and returns the latest one.
* ``add_working_days`` keeps the local time of day. A start outside working time is first clamped to the
  start of the next working period (for a negative count: to the end of the previous one). Every working day
  has the same periods, so the clamped time of day is a working moment on the target day too.
* A zero amount returns the start unchanged, in the calendar's time zone.
* ``working:P2D``, ``working:PT4H`` or ``working:P1DT2H30M`` in a BPMN timer or deadline is a working
  duration (see ``parse_working_duration``); ``WorkingCalendar.add`` applies its days first, then its time.

Every datetime must be timezone-aware and results are in the calendar's time zone. Arithmetic runs in UTC,
so a zone with daylight saving time would still count elapsed time correctly (Vietnam has none).
Holidays are data, not code: ``load_holidays`` reads ``engine/data/holidays_vn.yaml``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

Period = tuple[time, time]

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_PERIODS: tuple[Period, ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
DEFAULT_WORKDAYS = frozenset(range(5))
HOLIDAY_KINDS = frozenset({"public", "compensatory", "swapped"})
WORKING_PREFIX = "working:"
# Located next to the module rather than through importlib.resources, which hands back a MultiplexedPath when
# "engine" resolves as a namespace package (as it can under pytest, next to tests/engine without __init__.py).
SHIPPED_HOLIDAYS = Path(__file__).resolve().parent.parent / "data" / "holidays_vn.yaml"

# A calendar with no working day in ten years is a configuration error, not a long wait.
_MAX_GAP_DAYS = 3660
_NO_WORKING_DAY = f"the calendar has no working day within {_MAX_GAP_DAYS} days"
_ISO_DURATION = re.compile(r"P(?:(?P<days>\d+)D)?(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?")


@dataclass(frozen=True)
class WorkingDuration:
    """A duration in working time: whole working days, then working time inside office periods."""

    days: int = 0
    time: timedelta = timedelta(0)


@dataclass(frozen=True)
class Holiday:
    """One day off in the holiday data; ``kind`` is "public", "compensatory" (nghỉ bù) or "swapped"."""

    date: dt.date
    name_vi: str
    name_en: str
    kind: str = "public"


def parse_working_duration(expression: str) -> WorkingDuration | None:
    """Parse procflow's ``working:<ISO 8601 duration>`` notation.

    Args:
        expression: a timer or deadline expression, e.g. ``working:P1DT2H30M``.

    Returns:
        The working duration, or None when the expression is not in the working notation at all.

    Raises:
        ValueError: the expression starts with ``working:`` but is not days, hours and minutes.
    """
    text = expression.strip()
    if not text.startswith(WORKING_PREFIX):
        return None
    iso = text.removeprefix(WORKING_PREFIX).strip()
    match = _ISO_DURATION.fullmatch(iso)
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"invalid working duration {text!r}: {_duration_problem(iso)}")
    days, hours, minutes = (int(match[name] or 0) for name in ("days", "hours", "minutes"))
    return WorkingDuration(days=days, time=timedelta(hours=hours, minutes=minutes))


def _duration_problem(iso: str) -> str:
    """Explain why ``iso`` is not a working duration."""
    date_part, _, time_part = iso.partition("T")
    if re.fullmatch(r"P(?:\d+[YMWD])+", date_part) and re.search(r"[YMW]", date_part):
        return "years, months and weeks have no fixed length in working time; use days, hours and minutes"
    if "S" in time_part:
        return "seconds are not allowed; use days (D), hours (H) and minutes (M)"
    return "expected an ISO 8601 duration of days, hours and minutes such as P2D, PT4H or P1DT2H30M"


class WorkingCalendar:
    """Office hours, working days and holidays of one agency, with working-time arithmetic."""

    parse_working_duration = staticmethod(parse_working_duration)

    def __init__(
        self,
        *,
        timezone: str = DEFAULT_TIMEZONE,
        periods: Sequence[Period] = DEFAULT_PERIODS,
        workdays: Iterable[int] = DEFAULT_WORKDAYS,
        holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        """Build a calendar; raises ValueError on an unknown zone, bad periods or contradictory days."""
        self.zone = _zone(timezone)
        self.periods = _checked_periods(periods)
        self.workdays = _checked_workdays(workdays)
        self.holidays = _checked_days(holidays, "holidays")
        self.extra_workdays = _checked_days(extra_workdays, "extra_workdays")
        if clash := sorted(self.holidays & self.extra_workdays):
            raise ValueError(f"dates both holidays and extra workdays: {', '.join(map(str, clash))}")
        self.day_length = sum((_length(period) for period in self.periods), timedelta(0))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> WorkingCalendar:
        """Build a calendar from a mapping shaped like the holiday YAML, plus optional office settings.

        Args:
            config: optional keys ``timezone``, ``periods`` (``"07:30-11:30"`` strings or pairs),
                ``workdays`` (0 is Monday), ``holidays`` and ``extra_workdays`` (dates or ``{date: ...}``).

        Returns:
            The calendar, with defaults for every missing key.
        """
        return cls(
            timezone=str(config.get("timezone", DEFAULT_TIMEZONE)),
            periods=[_parse_period(p) for p in config["periods"]] if "periods" in config else DEFAULT_PERIODS,
            workdays=config.get("workdays", DEFAULT_WORKDAYS),
            holidays=[_parse_day(entry) for entry in config.get("holidays") or ()],
            extra_workdays=[_parse_day(entry) for entry in config.get("extra_workdays") or ()],
        )

    def is_working_day(self, day: date) -> bool:
        """Tell whether ``day`` (a calendar date, not a datetime) is a working day."""
        if isinstance(day, datetime):
            raise TypeError("is_working_day takes a date; convert the datetime to local time first")
        if day in self.extra_workdays:
            return True
        return day not in self.holidays and day.weekday() in self.workdays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the same local time of day ``days`` working days after (or before, if negative) ``start``.

        Args:
            start: an aware datetime; outside working time it is first clamped as the module explains.
            days: the number of working days, possibly zero or negative.

        Returns:
            The resulting moment in the calendar's time zone.
        """
        local = self._local(start)
        if days == 0:
            return local
        step = 1 if days > 0 else -1
        moment = self._clamp(local, step).astimezone(self.zone)
        following = self._working_days_from(moment.date() + timedelta(days=step), step)
        target = next(islice(following, abs(days) - 1, None), None)
        if target is None:
            raise ValueError(_NO_WORKING_DAY)
        return datetime.combine(target, moment.time(), tzinfo=self.zone)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """Return the moment at which ``amount`` of working time counted from ``start`` is used up.

        Args:
            start: an aware datetime, inside or outside working time.
            amount: working time to consume; negative counts backwards, zero returns ``start``.

        Returns:
            The resulting moment in the calendar's time zone.
        """
        local = self._local(start)
        if not amount:
            return local
        step = 1 if amount > timedelta(0) else -1
        remaining = abs(amount)
        for near, available in self._stretches(local.astimezone(UTC), step):
            if remaining <= available:
                return (near + step * remaining).astimezone(self.zone)
            remaining -= available
        raise ValueError(_NO_WORKING_DAY)

    def add(self, start: datetime, duration: WorkingDuration) -> datetime:
        """Add a working duration: its working days first, then its working time."""
        return self.add_working_time(self.add_working_days(start, duration.days), duration.time)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the working time from ``a`` to ``b``, negative when ``b`` is before ``a``.

        Args:
            a: an aware datetime.
            b: an aware datetime.

        Returns:
            The working time inside office periods between the two moments.
        """
        start, end = self._local(a).astimezone(UTC), self._local(b).astimezone(UTC)
        if end < start:
            return -self.working_time_between(b, a)
        total = timedelta(0)
        for near, available in self._stretches(start, 1):
            if near >= end:
                return total
            total += min(available, end - near)
        raise ValueError(_NO_WORKING_DAY)

    def working_days_between(self, a: datetime, b: datetime) -> float:
        """Return ``working_time_between(a, b)`` in working days of ``day_length`` (7.5 hours by default)."""
        return self.working_time_between(a, b) / self.day_length

    def _local(self, moment: datetime) -> datetime:
        """Return ``moment`` in the calendar's zone, refusing naive datetimes."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"the working calendar needs timezone-aware datetimes, got {moment.isoformat()}")
        return moment.astimezone(self.zone)

    def _working_days_from(self, day: date, step: int) -> Iterator[date]:
        """Yield the working days from ``day`` on, forwards (step 1) or backwards (step -1)."""
        gap = 0
        while gap <= _MAX_GAP_DAYS:
            if self.is_working_day(day):
                gap = 0
                yield day
            else:
                gap += 1
            day += timedelta(days=step)

    def _intervals(self, moment: datetime, step: int) -> Iterator[tuple[datetime, datetime]]:
        """Yield (begin, end) in UTC of each working period from ``moment``'s local day on, going ``step``."""
        periods = self.periods if step > 0 else self.periods[::-1]
        for day in self._working_days_from(moment.astimezone(self.zone).date(), step):
            for begin, end in periods:
                yield self._utc(day, begin), self._utc(day, end)

    def _stretches(self, moment: datetime, step: int) -> Iterator[tuple[datetime, timedelta]]:
        """Yield (edge nearest ``moment``, working time available) for each period part beyond ``moment``."""
        for begin, end in self._intervals(moment, step):
            if step > 0 and end > moment:
                near = max(begin, moment)
                yield near, end - near
            elif step < 0 and begin < moment:
                near = min(end, moment)
                yield near, near - begin

    def _clamp(self, moment: datetime, step: int) -> datetime:
        """Return ``moment`` if it is working time, else the next period start (or previous period end)."""
        for begin, end in self._intervals(moment, step):
            if step > 0 and end >= moment:
                return max(begin, moment)
            if step < 0 and begin <= moment:
                return min(end, moment)
        raise ValueError(_NO_WORKING_DAY)

    def _utc(self, day: date, clock: time) -> datetime:
        """Return the UTC moment of local ``clock`` time on ``day``."""
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(UTC)


def load_holidays(path: Path | None = None) -> list[Holiday]:
    """Read the holidays of a holiday file (by default the shipped ``holidays_vn.yaml``), in date order.

    Args:
        path: a YAML file with a ``holidays`` list; None reads the file shipped with the engine.

    Returns:
        The holidays, sorted by date.
    """
    entries = _read_holiday_file(path).get("holidays") or []
    return sorted((_holiday(entry) for entry in entries), key=lambda holiday: holiday.date)


def load_extra_workdays(path: Path | None = None) -> list[date]:
    """Read the extra working days (Saturdays worked for swapped days off) of a holiday file, in order."""
    return sorted(_parse_day(entry) for entry in _read_holiday_file(path).get("extra_workdays") or [])


def default_calendar(path: Path | None = None) -> WorkingCalendar:
    """Build a calendar of default office hours plus a holiday file (default: the shipped one)."""
    return WorkingCalendar.from_config(_read_holiday_file(path))


def _read_holiday_file(path: Path | None) -> Mapping[str, Any]:
    """Load a holiday YAML file as a mapping."""
    source = path or SHIPPED_HOLIDAYS
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a mapping with 'holidays' and 'extra_workdays'")
    return data


def _holiday(entry: Any) -> Holiday:
    """Turn one YAML holiday entry into a Holiday."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"a holiday entry must be a mapping, got {entry!r}")
    kind = str(entry.get("kind", "public"))
    if kind not in HOLIDAY_KINDS:
        known = ", ".join(sorted(HOLIDAY_KINDS))
        raise ValueError(f"holiday {entry.get('date')}: unknown kind {kind!r} (use one of {known})")
    names = entry.get("name_vi"), entry.get("name_en")
    if not all(isinstance(name, str) and name for name in names):
        raise ValueError(f"holiday {entry.get('date')}: name_vi and name_en are required")
    return Holiday(date=_parse_day(entry), name_vi=str(names[0]), name_en=str(names[1]), kind=kind)


def _parse_day(entry: Any) -> date:
    """Read a date given as a date, an ISO string or a mapping with a ``date`` key."""
    value: Any = entry.get("date") if isinstance(entry, Mapping) else entry
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}") from error


def _parse_period(value: Any) -> Period:
    """Read an office period given as ``"07:30-11:30"`` or a (start, end) pair."""
    parts = value.split("-") if isinstance(value, str) else value
    if not isinstance(parts, Sequence) or len(parts) != 2:
        raise ValueError(f"an office period is 'HH:MM-HH:MM' or a pair of times, got {value!r}")
    return _parse_time(parts[0]), _parse_time(parts[1])


def _parse_time(value: Any) -> time:
    """Read a time of day given as a time or an ``HH:MM`` string."""
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(value.strip())
    except (AttributeError, ValueError) as error:
        # YAML 1.1 reads an unquoted 13:30 as the base-60 integer 810.
        raise ValueError(f"expected a time of day as 'HH:MM' (quote it in YAML), got {value!r}") from error


def _zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``, as a ValueError when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {name!r}") from error


def _checked_periods(periods: Sequence[Period]) -> tuple[Period, ...]:
    """Validate office periods: at least one, naive times, each non-empty, in order and not overlapping."""
    checked = tuple((begin, end) for begin, end in periods)
    if not checked:
        raise ValueError("a working calendar needs at least one office period")
    previous_end = time.min
    for begin, end in checked:
        if begin.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("office periods are local times of day without a time zone")
        if not previous_end <= begin < end:
            raise ValueError(f"office periods must be non-empty, in order and not overlapping: {begin}-{end}")
        previous_end = end
    return checked


def _checked_workdays(workdays: Iterable[int]) -> frozenset[int]:
    """Validate weekday numbers (0 is Monday, 6 is Sunday)."""
    checked = frozenset(workdays)
    if not checked or not checked <= set(range(7)):
        raise ValueError(f"workdays must be weekday numbers, 0 (Monday) to 6 (Sunday), got {sorted(checked)}")
    return checked


def _checked_days(days: Iterable[date], what: str) -> frozenset[date]:
    """Validate a collection of calendar dates (a datetime or a Holiday would silently never match)."""
    checked = frozenset(days)
    for day in checked:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValueError(f"{what} must be dates, got {day!r}")
    return checked


def _length(period: Period) -> timedelta:
    """Return the length of an office period."""
    begin, end = period
    return datetime.combine(date.min, end) - datetime.combine(date.min, begin)

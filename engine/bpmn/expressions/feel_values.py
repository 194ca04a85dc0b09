"""FEEL's values in Python: numbers are decimals, dates and times are ``datetime``'s, durations are
``timedelta`` (days and time) or :class:`YearsMonths`, ranges are :class:`Range`, null is None.

Every function here is total: wrong types or missing values give None (FEEL's null), never an exception,
so a translated expression can be evaluated anywhere (engine.bpmn.expressions.feel_functions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Context, Decimal, InvalidOperation
from typing import Any

# FEEL numbers have the precision of IEEE 754 decimal128.
CONTEXT = Context(prec=34)


@dataclass(frozen=True)
class YearsMonths:
    """A FEEL years-and-months duration (``P1Y2M``), counted in months."""

    months: int

    def iso(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        return f"{sign}P{years}Y{months}M" if years else f"{sign}P{months}M"


@dataclass(frozen=True)
class Range:
    """A FEEL range (``[1..10]``, ``(1..10]``, ``> 5``); a missing end is unbounded."""

    low: Any
    high: Any
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, value: Any) -> bool | None:
        if value is None:
            return None
        if self.low is not None:
            below = compare(value, self.low)
            if below is None or below < 0 or (below == 0 and not self.low_closed):
                return False if below is not None else None
        if self.high is not None:
            above = compare(value, self.high)
            if above is None or above > 0 or (above == 0 and not self.high_closed):
                return False if above is not None else None
        return True


def number(value: Any) -> Any:
    """``value`` as a FEEL number when it is one (bool is not), else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def plain(value: Any) -> Any:
    """A FEEL value as task data can hold it (JSON): decimals become int or float, dates ISO text."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta | YearsMonths):
        return iso_duration(value)
    return value


def compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 when ``left`` and ``right`` are comparable FEEL values, else None."""
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        a, b = number(left), number(right)
    elif isinstance(left, bool) or isinstance(right, bool):
        if type(left) is not type(right):
            return None
        a, b = left, right
    elif isinstance(left, datetime) and isinstance(right, datetime):
        a, b = _aware(left), _aware(right)
    elif isinstance(left, YearsMonths) and isinstance(right, YearsMonths):
        a, b = left.months, right.months
    elif isinstance(left, str | date | time | timedelta) and type(left) is type(right):
        a, b = left, right
    else:
        return None
    try:
        return (a > b) - (a < b)
    except TypeError:
        return None


def equal(left: Any, right: Any) -> bool:
    """FEEL ``=``: null equals only null; lists and contexts compare item by item."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(equal(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    return compare(left, right) == 0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- parsing literals --------------------------------------------------------------------------
_DURATION = re.compile(r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: Any) -> timedelta | YearsMonths | None:
    """``P1D``, ``PT2H30M`` (days and time) or ``P1Y2M`` (years and months); None when not a duration."""
    if not isinstance(text, str):
        return None
    match = _DURATION.match(text.strip())
    if not match or text.strip().rstrip("T").endswith("P"):
        return None
    sign, years, months, weeks, days, hours, minutes, seconds = match.groups()
    factor = -1 if sign else 1
    if years or months:
        if any((weeks, days, hours, minutes, seconds)):
            return None
        return YearsMonths(factor * (int(years or 0) * 12 + int(months or 0)))
    delta = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                      minutes=int(minutes or 0), seconds=float(seconds or 0))
    return delta * factor


def parse_date(text: Any) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if isinstance(text, str) else None
    except ValueError:
        return None


def parse_time(text: Any) -> time | None:
    try:
        return time.fromisoformat(_zulu(text.strip())) if isinstance(text, str) else None
    except ValueError:
        return None


def parse_datetime(text: Any) -> datetime | None:
    """``2026-01-01T09:00:00+07:00`` (or ``...Z``, or a bare date: midnight)."""
    if not isinstance(text, str):
        return None
    value = _zulu(text.strip())
    if "T" not in value:
        day = parse_date(value)
        return datetime.combine(day, time()) if day else None
    try:
        return datetime.fromisoformat(value.split("@")[0])
    except ValueError:
        return None


def _zulu(text: str) -> str:
    return text[:-1] + "+00:00" if text.endswith("Z") else text


def parse_at(text: Any) -> Any:
    """A FEEL ``@"..."`` literal: a date and time, a date, a time or a duration."""
    if not isinstance(text, str):
        return None
    if text.lstrip("-").startswith("P"):
        return parse_duration(text)
    if "T" in text:
        return parse_datetime(text)
    if ":" in text:
        return parse_time(text)
    return parse_date(text)


def iso_duration(value: timedelta | YearsMonths) -> str:
    """ISO 8601 text of a duration, as BPMN timers read it."""
    if isinstance(value, YearsMonths):
        return value.iso()
    seconds = value.total_seconds()
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(abs(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    text = f"{sign}P{int(days)}D" if days else f"{sign}P"
    clock = "".join(f"{int(v) if unit != 'S' else _seconds(v)}{unit}"
                    for v, unit in ((hours, "H"), (minutes, "M"), (rest, "S")) if v)
    return text + ("T" + clock if clock else ("" if days else "T0S"))


def _seconds(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def to_decimal(text: str) -> Decimal:
    try:
        return CONTEXT.create_decimal(text)
    except InvalidOperation as error:
        raise ValueError(text) from error


def timezone_of(offset: timedelta) -> timezone:
    return timezone(offset)

"""The functions translated FEEL calls (``feel_*``): operators with FEEL's null rules and FEEL's built-ins.

A FEEL expression becomes ordinary Python over task data that calls these (engine.bpmn.expressions.feel);
they are put in the script engine's globals, so a sandbox evaluates the translation like any condition.
None of them raises on wrong input: FEEL gives null (None) instead, and null is false in a condition.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from engine.bpmn.expressions.feel_values import (
    CONTEXT,
    Range,
    YearsMonths,
    compare,
    equal,
    is_number,
    iso_duration,
    number,
    parse_at,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
    plain,
    to_decimal,
)


def _total(function: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``function`` give null instead of raising, as FEEL does for any error."""
    def total(*args: Any) -> Any:
        try:
            return function(*args)
        except (ArithmeticError, TypeError, ValueError, AttributeError, IndexError, KeyError, OverflowError):
            return None
    total.__name__ = function.__name__
    total.__doc__ = function.__doc__
    return total


# -- operators ----------------------------------------------------------------------------------
def feel_num(text: str) -> Decimal:
    return to_decimal(text)


def feel_add(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if is_number(left) and is_number(right):
        return CONTEXT.add(number(left), number(right))
    return _temporal_add(left, right)


def _temporal_add(left: Any, right: Any) -> Any:
    if isinstance(right, date | datetime) and not isinstance(left, date | datetime):
        left, right = right, left
    if isinstance(left, YearsMonths) and isinstance(right, YearsMonths):
        return YearsMonths(left.months + right.months)
    if isinstance(right, YearsMonths) and isinstance(left, date):
        return _add_months(left, right.months)
    if isinstance(left, timedelta) and isinstance(right, timedelta):
        return left + right
    if isinstance(left, date) and isinstance(right, timedelta):
        result = (left if isinstance(left, datetime) else datetime.combine(left, time())) + right
        return result if isinstance(left, datetime) or right % timedelta(days=1) else result.date()
    return None


def _add_months(moment: date, months: int) -> date:
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    day = min(moment.day, [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return moment.replace(year=year, month=month + 1, day=day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def feel_sub(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        return CONTEXT.subtract(number(left), number(right))
    if isinstance(left, date) and isinstance(right, date):
        if isinstance(left, datetime) != isinstance(right, datetime):
            return None
        difference: timedelta = left - right  # both datetimes or both dates
        return difference if isinstance(left, datetime) else timedelta(days=difference.days)
    return feel_add(left, feel_neg(right))


def feel_mul(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        return CONTEXT.multiply(number(left), number(right))
    if is_number(left):
        left, right = right, left
    if isinstance(left, timedelta) and is_number(right):
        return left * float(right)
    if isinstance(left, YearsMonths) and is_number(right):
        return YearsMonths(int(left.months * number(right)))
    return None


@_total
def feel_div(left: Any, right: Any) -> Any:
    if left is None or right is None:
        return None
    if is_number(left) and is_number(right):
        return None if number(right) == 0 else CONTEXT.divide(number(left), number(right))
    if isinstance(left, timedelta) and is_number(right):
        return left / float(right)
    if isinstance(left, timedelta) and isinstance(right, timedelta):
        return to_decimal(repr(left / right))
    return None


@_total
def feel_pow(left: Any, right: Any) -> Any:
    if not (is_number(left) and is_number(right)):
        return None
    return CONTEXT.power(number(left), number(right))


@_total
def feel_neg(value: Any) -> Any:
    if is_number(value):
        return CONTEXT.minus(number(value))
    if isinstance(value, timedelta):
        return -value
    if isinstance(value, YearsMonths):
        return YearsMonths(-value.months)
    return None


def feel_eq(left: Any, right: Any) -> bool | None:
    if left is not None and right is not None and _kind(left) != _kind(right):
        return None
    return equal(left, right)


def feel_ne(left: Any, right: Any) -> bool | None:
    same = feel_eq(left, right)
    return None if same is None else not same


def _kind(value: Any) -> str:
    if is_number(value):
        return "number"
    if isinstance(value, datetime):
        return "datetime"
    return type(value).__name__


def feel_lt(left: Any, right: Any) -> bool | None:
    order = compare(left, right)
    return None if order is None else order < 0


def feel_le(left: Any, right: Any) -> bool | None:
    order = compare(left, right)
    return None if order is None else order <= 0


def feel_gt(left: Any, right: Any) -> bool | None:
    order = compare(left, right)
    return None if order is None else order > 0


def feel_ge(left: Any, right: Any) -> bool | None:
    order = compare(left, right)
    return None if order is None else order >= 0


def feel_and(*values: Any) -> bool | None:
    """FEEL's three-valued ``and``: false wins, then null."""
    if any(value is False for value in values):
        return False
    return True if all(value is True for value in values) else None


def feel_or(*values: Any) -> bool | None:
    """FEEL's three-valued ``or``: true wins, then null."""
    if any(value is True for value in values):
        return True
    return False if all(value is False for value in values) else None


def feel_not(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None


def feel_true(value: Any) -> bool:
    """A condition holds only when it is true: null (and anything else) is false."""
    return value is True


def feel_between(value: Any, low: Any, high: Any) -> bool | None:
    return feel_and(feel_ge(value, low), feel_le(value, high))


# -- paths, calls, lists, ranges and tests ------------------------------------------------------
_PROPERTIES: dict[str, Callable[[Any], Any]] = {
    "year": lambda v: v.year, "month": lambda v: v.month, "day": lambda v: v.day,
    "weekday": lambda v: v.isoweekday(), "hour": lambda v: v.hour, "minute": lambda v: v.minute,
    "second": lambda v: v.second, "days": lambda v: v.days, "hours": lambda v: v.seconds // 3600,
    "minutes": lambda v: v.seconds % 3600 // 60, "seconds": lambda v: v.seconds % 60,
    "years": lambda v: v.months // 12, "months": lambda v: v.months % 12,
    "start": lambda v: v.low, "end": lambda v: v.high,
}


def feel_get(value: Any, key: Any) -> Any:
    """``a.b``: a context entry, a property of a date, time or duration, or each item's entry for a list."""
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list):
        return [feel_get(item, key) for item in value]
    getter = _PROPERTIES.get(key)
    if getter is None or value is None or isinstance(value, str | bool) or is_number(value):
        return None
    try:
        result = getter(value)
    except AttributeError:
        return None
    return number(result) if isinstance(result, int) and not isinstance(result, bool) else result


def feel_call(function: Any, *args: Any) -> Any:
    """Call a function value (a DMN business knowledge model); null when it is not one."""
    return function(*args) if callable(function) else None


def feel_filter(values: Any, test: Callable[[Any], Any]) -> Any:
    """``list[...]``: a number picks an item (1-based, negative from the end), a condition filters."""
    items = values if isinstance(values, list) else [values]
    if not items:
        return []
    results = [test(item) for item in items]
    first = results[0]
    if is_number(first) and all(equal(r, first) for r in results):
        index = int(number(first))
        if index == 0 or abs(index) > len(items):
            return None
        return items[index - 1] if index > 0 else items[index]
    return [item for item, keep in zip(items, results, strict=True) if keep is True]


def feel_some(values: Any, test: Callable[[Any], Any]) -> bool | None:
    return feel_or(*(test(item) for item in values)) if isinstance(values, list) else None


def feel_every(values: Any, test: Callable[[Any], Any]) -> bool | None:
    return feel_and(*(test(item) for item in values)) if isinstance(values, list) else None


def feel_for(values: Any, body: Callable[[Any], Any]) -> Any:
    return [body(item) for item in values] if isinstance(values, list) else None


def feel_range(low: Any, high: Any, low_closed: bool = True, high_closed: bool = True) -> Range:
    return Range(low, high, low_closed, high_closed)


class Unequal:
    """The unary test ``!= value``."""

    def __init__(self, value: Any) -> None:
        self.value = value


class Satisfied:
    """A unary test written as a condition on ``?``: already decided."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome


def feel_unequal(value: Any) -> Unequal:
    return Unequal(value)


def feel_satisfied(outcome: Any) -> Satisfied:
    return Satisfied(outcome)


def feel_in(value: Any, *tests: Any) -> bool:
    """True when ``value`` passes one of the unary ``tests`` (values, lists, ranges, ``!=``, conditions)."""
    return any(_passes(value, test) for test in tests)


def _passes(value: Any, test: Any) -> bool:
    if isinstance(test, Satisfied):
        return test.outcome is True
    if isinstance(test, Range):
        return test.contains(value) is True
    if isinstance(test, Unequal):
        return feel_ne(value, test.value) is True
    if isinstance(test, list) and not isinstance(value, list):
        return any(_passes(value, item) for item in test)
    return equal(value, test) and feel_eq(value, test) is not None


def feel_timer(value: Any) -> Any:
    """A FEEL timer value as the ISO 8601 text BPMN timers read."""
    if isinstance(value, timedelta | YearsMonths):
        return iso_duration(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def feel_value(value: Any) -> Any:
    """A FEEL result as task data holds it (decimals as int or float, dates as ISO text)."""
    return plain(value)


# -- built-in functions ---------------------------------------------------------------------------
def _text(*values: Any) -> bool:
    return all(isinstance(v, str) for v in values)


@_total
def fn_contains(text: Any, part: Any) -> bool | None:
    return part in text if _text(text, part) else None


@_total
def fn_starts_with(text: Any, part: Any) -> bool | None:
    return text.startswith(part) if _text(text, part) else None


@_total
def fn_ends_with(text: Any, part: Any) -> bool | None:
    return text.endswith(part) if _text(text, part) else None


@_total
def fn_string_length(text: Any) -> Any:
    return number(len(text)) if _text(text) else None


@_total
def fn_upper_case(text: Any) -> Any:
    return text.upper() if _text(text) else None


@_total
def fn_lower_case(text: Any) -> Any:
    return text.lower() if _text(text) else None


@_total
def fn_substring(text: Any, start: Any, length: Any = None) -> Any:
    if not _text(text) or not is_number(start):
        return None
    begin = int(number(start))
    begin = begin - 1 if begin > 0 else len(text) + begin
    if length is None:
        return text[begin:]
    return text[begin:begin + int(number(length))]


@_total
def fn_substring_before(text: Any, part: Any) -> Any:
    return text.split(part, 1)[0] if _text(text, part) and part in text else ("" if _text(text, part) else None)


@_total
def fn_substring_after(text: Any, part: Any) -> Any:
    return text.split(part, 1)[1] if _text(text, part) and part in text else ("" if _text(text, part) else None)


@_total
def fn_matches(text: Any, pattern: Any) -> bool | None:
    return re.search(pattern, text) is not None if _text(text, pattern) else None


@_total
def fn_replace(text: Any, pattern: Any, replacement: Any) -> Any:
    return re.sub(pattern, replacement.replace("$", "\\"), text) if _text(text, pattern, replacement) else None


@_total
def fn_string_join(values: Any, separator: Any = "") -> Any:
    if not isinstance(values, list):
        return None
    return separator.join(v for v in values if v is not None)


@_total
def fn_split(text: Any, pattern: Any) -> Any:
    return re.split(pattern, text) if _text(text, pattern) else None


@_total
def fn_string(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return format(number(value).normalize(), "f") if number(value) != 0 else "0"
    return feel_timer(value) if not isinstance(value, str) else value


@_total
def fn_number(text: Any, grouping: Any = None, decimal: Any = None) -> Any:
    if is_number(text):
        return number(text)
    if not _text(text):
        return None
    value = text.replace(grouping, "") if grouping else text
    return to_decimal(value.replace(decimal, ".") if decimal else value)


def fn_date(value: Any, month: Any = None, day: Any = None) -> Any:
    if month is not None:
        try:
            return date(int(value), int(month), int(day))
        except (TypeError, ValueError):
            return None
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else parse_date(value)


def fn_time(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timetz()
    return value if isinstance(value, time) else parse_time(value)


def fn_date_and_time(value: Any, at: Any = None) -> Any:
    if isinstance(value, date) and isinstance(at, time):
        return datetime.combine(value, at)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return parse_datetime(value)


def fn_duration(text: Any) -> Any:
    return parse_duration(text)


def fn_years_and_months_duration(start: Any, end: Any) -> Any:
    if not (isinstance(start, date) and isinstance(end, date)):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    return YearsMonths(months)


def fn_now(clock: Any = None) -> datetime:
    return clock() if callable(clock) else datetime.now(UTC)


def fn_today(clock: Any = None) -> date:
    return fn_now(clock).date()


def fn_day_of_week(value: Any) -> Any:
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    return names[value.weekday()] if isinstance(value, date) else None


def _items(values: tuple[Any, ...]) -> list[Any] | None:
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return list(values)


@_total
def fn_count(values: Any) -> Any:
    return number(len(values)) if isinstance(values, list) else None


@_total
def fn_sum(*values: Any) -> Any:
    items = _items(values)
    if not items or not all(is_number(v) for v in items):
        return None
    total = Decimal(0)
    for item in items:
        total = CONTEXT.add(total, number(item))
    return total


@_total
def fn_mean(*values: Any) -> Any:
    items = _items(values) or []
    total = fn_sum(items)
    return None if total is None else CONTEXT.divide(total, Decimal(len(items)))


@_total
def fn_min(*values: Any) -> Any:
    items = _items(values)
    if not items or any(compare(items[0], v) is None for v in items):
        return None
    return min(items, key=lambda v: number(v) if is_number(v) else v)


@_total
def fn_max(*values: Any) -> Any:
    items = _items(values)
    if not items or any(compare(items[0], v) is None for v in items):
        return None
    return max(items, key=lambda v: number(v) if is_number(v) else v)


@_total
def fn_abs(value: Any) -> Any:
    if is_number(value):
        return abs(number(value))
    return abs(value) if isinstance(value, timedelta) else None


@_total
def fn_floor(value: Any, scale: Any = 0) -> Any:
    return _round(value, scale, ROUND_FLOOR)


@_total
def fn_ceiling(value: Any, scale: Any = 0) -> Any:
    return _round(value, scale, ROUND_CEILING)


@_total
def fn_decimal(value: Any, scale: Any) -> Any:
    return _round(value, scale, ROUND_HALF_EVEN)


def _round(value: Any, scale: Any, rounding: str) -> Any:
    if not (is_number(value) and is_number(scale)):
        return None
    return number(value).quantize(Decimal(1).scaleb(-int(number(scale))), rounding=rounding)


@_total
def fn_sqrt(value: Any) -> Any:
    return CONTEXT.sqrt(number(value)) if is_number(value) and number(value) >= 0 else None


@_total
def fn_modulo(dividend: Any, divisor: Any) -> Any:
    a, b = number(dividend), number(divisor)
    return a - b * Decimal(math.floor(a / b))


def fn_list_contains(values: Any, item: Any) -> bool | None:
    return any(equal(v, item) for v in values) if isinstance(values, list) else None


def fn_append(values: Any, *items: Any) -> Any:
    return [*values, *items] if isinstance(values, list) else None


def fn_concatenate(*lists: Any) -> Any:
    return [item for one in lists for item in one] if all(isinstance(v, list) for v in lists) else None


def fn_distinct_values(values: Any) -> Any:
    if not isinstance(values, list):
        return None
    seen: list[Any] = []
    for value in values:
        if not any(equal(value, s) for s in seen):
            seen.append(value)
    return seen


def fn_reverse(values: Any) -> Any:
    return values[::-1] if isinstance(values, list) else None


def fn_index_of(values: Any, item: Any) -> Any:
    if not isinstance(values, list):
        return None
    return [number(i + 1) for i, v in enumerate(values) if equal(v, item)]


def fn_not(value: Any) -> bool | None:
    return feel_not(value)


def fn_is_defined(value: Any) -> bool:
    return value is not None


# FEEL name -> Python function; the translator calls them ``feel_<name with underscores>``.
BUILTINS: dict[str, Callable[..., Any]] = {
    "contains": fn_contains, "starts with": fn_starts_with, "ends with": fn_ends_with,
    "string length": fn_string_length, "upper case": fn_upper_case, "lower case": fn_lower_case,
    "substring": fn_substring, "substring before": fn_substring_before, "substring after": fn_substring_after,
    "matches": fn_matches, "replace": fn_replace, "string join": fn_string_join, "split": fn_split,
    "string": fn_string, "number": fn_number, "date": fn_date, "time": fn_time, "date and time": fn_date_and_time,
    "duration": fn_duration, "years and months duration": fn_years_and_months_duration, "now": fn_now,
    "today": fn_today, "day of week": fn_day_of_week, "count": fn_count, "sum": fn_sum, "mean": fn_mean,
    "min": fn_min, "max": fn_max, "abs": fn_abs, "floor": fn_floor, "ceiling": fn_ceiling, "decimal": fn_decimal,
    "sqrt": fn_sqrt, "modulo": fn_modulo, "list contains": fn_list_contains, "append": fn_append,
    "concatenate": fn_concatenate, "distinct values": fn_distinct_values, "reverse": fn_reverse,
    "index of": fn_index_of, "not": fn_not, "is defined": fn_is_defined,
}
CLOCK_FUNCTIONS = frozenset({"now", "today"})  # called with the engine's clock (``feel_clock``)
CLOCK_NAME = "feel_clock"


def builtin_name(feel_name: str) -> str:
    """The Python name of the FEEL built-in ``feel_name``."""
    return "feel_fn_" + feel_name.replace(" ", "_")


def _operators() -> dict[str, Callable[..., Any]]:
    names = ("num", "add", "sub", "mul", "div", "pow", "neg", "eq", "ne", "lt", "le", "gt", "ge", "and", "or",
             "not", "true", "between", "get", "call", "filter", "some", "every", "for", "range", "unequal",
             "satisfied", "in", "timer", "value")
    return {f"feel_{name}": globals()[f"feel_{name}"] for name in names}


FEEL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    **_operators(), "feel_at": parse_at, **{builtin_name(n): f for n, f in BUILTINS.items()}}

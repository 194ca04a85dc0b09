"""The functions translated JUEL calls (``juel_*``): EL's coercions, ``empty``, properties and the string,
list and map methods Camunda 7 models call (``${name.contains('x')}``, ``${status.equals('ok')}``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any


def juel_bool(value: Any) -> bool:
    """EL's coercion to boolean: only true and the text "true" are true."""
    if isinstance(value, str):
        return value.lower() == "true"
    return value is True


def _numeric(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both operands as numbers when EL would compare them as numbers."""
    def as_number(value: Any) -> Any:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float | Decimal):
            return value
        if isinstance(value, str):
            try:
                return float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                return None
        return None
    if isinstance(left, int | float | Decimal) or isinstance(right, int | float | Decimal):
        a, b = as_number(left), as_number(right)
        if a is not None and b is not None:
            return (float(a), float(b)) if isinstance(a, float) != isinstance(b, float) else (a, b)
    return None


def juel_eq(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    numbers = _numeric(left, right)
    if numbers is not None:
        return bool(numbers[0] == numbers[1])
    if isinstance(left, bool) or isinstance(right, bool):
        return juel_bool(left) == juel_bool(right)
    return bool(left == right)


def juel_ne(left: Any, right: Any) -> bool:
    return not juel_eq(left, right)


def _order(left: Any, right: Any) -> int | None:
    if left is None or right is None:
        return None
    pair = _numeric(left, right) or (left, right)
    try:
        return (pair[0] > pair[1]) - (pair[0] < pair[1])
    except TypeError:
        return None


def juel_lt(left: Any, right: Any) -> bool:
    order = _order(left, right)
    return order is not None and order < 0


def juel_gt(left: Any, right: Any) -> bool:
    order = _order(left, right)
    return order is not None and order > 0


def juel_le(left: Any, right: Any) -> bool:
    order = _order(left, right)
    return order is not None and order <= 0


def juel_ge(left: Any, right: Any) -> bool:
    order = _order(left, right)
    return order is not None and order >= 0


def _arithmetic(operation: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        pair = _numeric(0 if left is None else left, 0 if right is None else right)
        if pair is None:
            raise TypeError(f"cannot compute with {left!r} and {right!r}")
        return operation(*pair)
    return apply


juel_add = _arithmetic(lambda a, b: a + b)
juel_sub = _arithmetic(lambda a, b: a - b)
juel_mul = _arithmetic(lambda a, b: a * b)
juel_div = _arithmetic(lambda a, b: a / b)
juel_mod = _arithmetic(lambda a, b: a % b)


def juel_neg(value: Any) -> Any:
    return juel_sub(0, value)


def juel_empty(value: Any) -> bool:
    """EL's ``empty``: null, an empty text, list or map."""
    return value is None or (isinstance(value, str | list | dict | tuple | set) and len(value) == 0)


def juel_get(value: Any, key: Any) -> Any:
    """``a.b`` or ``a[b]``: a map entry, a list item, or null."""
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list | tuple) and isinstance(key, int) and not isinstance(key, bool):
        return value[key] if -len(value) <= key < len(value) else None
    return None


def juel_text(value: Any) -> str:
    """EL's coercion to text (used when ``${...}`` sits inside text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "contains": lambda s, part: juel_text(part) in s,
    "equals": lambda s, other: isinstance(other, str) and s == other,
    "equalsIgnoreCase": lambda s, other: isinstance(other, str) and s.lower() == other.lower(),
    "startsWith": lambda s, part: s.startswith(juel_text(part)),
    "endsWith": lambda s, part: s.endswith(juel_text(part)),
    "isEmpty": lambda s: not s,
    "length": len,
    "toUpperCase": str.upper,
    "toLowerCase": str.lower,
    "trim": str.strip,
    "indexOf": lambda s, part: s.find(juel_text(part)),
    "substring": lambda s, start, end=None: s[start:end],
    "matches": lambda s, pattern: __import__("re").fullmatch(pattern, s) is not None,
    "toString": lambda s: s,
}
_LIST_METHODS: dict[str, Callable[..., Any]] = {
    "contains": lambda items, item: any(juel_eq(i, item) for i in items),
    "size": len,
    "isEmpty": lambda items: not items,
    "get": lambda items, index: items[index],
    "indexOf": lambda items, item: next((n for n, i in enumerate(items) if juel_eq(i, item)), -1),
}
_MAP_METHODS: dict[str, Callable[..., Any]] = {
    "containsKey": lambda mapping, key: key in mapping,
    "get": lambda mapping, key: mapping.get(key),
    "size": len,
    "isEmpty": lambda mapping: not mapping,
}


def juel_call(target: Any, method: str, *args: Any) -> Any:
    """``a.method(...)`` for the string, list and map methods Camunda 7 models use; others are an error."""
    if isinstance(target, str):
        table = _STRING_METHODS
    elif isinstance(target, list | tuple):
        table = _LIST_METHODS
    elif isinstance(target, dict):
        table = _MAP_METHODS
    elif method == "equals":
        return juel_eq(target, args[0] if args else None)
    elif method == "toString":
        return juel_text(target)
    else:
        raise TypeError(f"cannot call {method}() on {type(target).__name__} {target!r}")
    function = table.get(method)
    if function is None:
        raise TypeError(f"{method}() is not supported on a {type(target).__name__}")
    return function(target, *args)


JUEL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: value for name, value in globals().items() if name.startswith("juel_") and callable(value)}

"""The one JSON reader for what people type (``--data`` on the command line, the administrators' retry data).

Python's ``json`` accepts ``NaN`` and ``Infinity`` (not JSON, and not storable in PostgreSQL's JSON), turns
``1e999`` into infinity, computes a 5,000-digit integer before anyone can refuse it (or fails with a
ValueError the caller did not expect), and recurses until the stack gives out. :func:`loads_strict` refuses
each of these with :class:`InvalidJson`, an :class:`~engine.errors.InvalidInput` naming the field, where it is
and why.
"""

from __future__ import annotations

import json
import math
from typing import Any

from engine.errors import InvalidInput

MAX_DEPTH = 64
MAX_BYTES = 1_000_000
MAX_INT_DIGITS = 30
MAX_NUMBER_CHARS = 100


class InvalidJson(InvalidInput):
    """Typed JSON that procflow does not accept; ``reason``, ``line`` and ``column`` say why and where."""

    def __init__(self, field: str, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(f"{field} is not accepted JSON: {reason} (line {line}, column {column})",
                         {field: [f"{reason} (line {line}, column {column})"]})
        self.field, self.reason, self.line, self.column = field, reason, line, column


def loads_strict(text: str | bytes, *, field: str = "data", max_bytes: int = MAX_BYTES) -> Any:
    """Parse ``text`` as strict JSON.

    Args:
        field: the name of the field the text came from, for the error.
        max_bytes: the longest text accepted.

    Raises:
        InvalidJson: not JSON, too long, nested deeper than :data:`MAX_DEPTH`, ``NaN``/``Infinity``, a number
            that is infinite as a float or an integer of more than :data:`MAX_INT_DIGITS` digits.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJson(field, "not UTF-8 text") from exc
    if len(text.encode("utf-8")) > max_bytes:
        raise InvalidJson(field, f"longer than {max_bytes} bytes")
    _check_depth(text, field)

    def refuse(literal: str, reason: str) -> InvalidJson:
        line, column = _position(text, max(text.find(literal), 0))
        return InvalidJson(field, reason, line, column)

    def constant(name: str) -> Any:
        raise refuse(name, f"{name} is not a JSON number")

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            raise refuse(literal, f"an integer of more than {MAX_INT_DIGITS} digits")
        return int(literal)

    def decimal(literal: str) -> float:
        value = float(literal) if len(literal) <= MAX_NUMBER_CHARS else math.inf
        if not math.isfinite(value):
            raise refuse(literal, "a number too large to store")
        return value

    try:
        return json.loads(text, parse_constant=constant, parse_int=integer, parse_float=decimal)
    except json.JSONDecodeError as exc:
        raise InvalidJson(field, exc.msg, exc.lineno, exc.colno) from exc


def loads_object(text: str | bytes, *, field: str = "data") -> dict[str, Any]:
    """:func:`loads_strict` for a JSON object (blank text: an empty one)."""
    if not text.strip():
        return {}
    value = loads_strict(text, field=field)
    if not isinstance(value, dict):
        raise InvalidJson(field, 'not a JSON object like {"name": "value"}')
    return value


def _check_depth(text: str, field: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the parser recurses into it."""
    depth, in_string, escaped = 0, False, False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, column = _position(text, index)
                raise InvalidJson(field, f"nested deeper than {MAX_DEPTH} levels", line, column)
        elif char in "]}":
            depth -= 1


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1

"""Strict JSON for what people type: each trick refused with the field, the reason and the place."""

from __future__ import annotations

import time

import pytest

from engine.errors import InvalidInput
from engine.inputs.strict_json import MAX_BYTES, InvalidJson, loads_object, loads_strict


@pytest.mark.parametrize(("text", "reason"), [
    ('{"x": NaN}', "NaN is not a JSON number"),
    ('{"x": Infinity}', "Infinity is not a JSON number"),
    ('{"x": -Infinity}', "-Infinity is not a JSON number"),
    ('{"x": 1e999}', "a number too large to store"),
    ('{"x": -1e999}', "a number too large to store"),
    ('{"x": ' + "9" * 5000 + "}", "an integer of more than 30 digits"),
    ('{"x": -' + "9" * 31 + "}", "an integer of more than 30 digits"),
    ('{"x": 0.' + "1" * 200 + "}", "a number too large to store"),
    ("[" * 65 + "]" * 65, "nested deeper than 64 levels"),
    ('{"x": "' + "a" * MAX_BYTES + '"}', f"longer than {MAX_BYTES} bytes"),
    ("{nope", "Expecting property name enclosed in double quotes"),
])
def test_tricks_are_refused_naming_the_field(text: str, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidJson) as refused:
        loads_strict(text, field="retry_data")
    assert time.monotonic() - started < 1  # refused, not computed
    assert isinstance(refused.value, InvalidInput)
    assert refused.value.reason == reason
    assert list(refused.value.fields) == ["retry_data"] and "retry_data" in str(refused.value)


def test_the_place_of_the_problem_is_given() -> None:
    with pytest.raises(InvalidJson) as refused:
        loads_strict('{\n  "a": 1,\n  "b": NaN\n}')
    assert (refused.value.line, refused.value.column) == (3, 8)


def test_ordinary_json_and_its_limits_are_accepted() -> None:
    assert loads_strict('{"divisor": 5, "x": -1.5e10, "big": ' + "9" * 30 + ', "s": "NaN [[["}') == {
        "divisor": 5, "x": -1.5e10, "big": int("9" * 30), "s": "NaN [[["}
    assert loads_strict("[" * 64 + "]" * 64) is not None
    assert loads_object("  ") == {}
    with pytest.raises(InvalidJson, match="not a JSON object"):
        loads_object("[1]")

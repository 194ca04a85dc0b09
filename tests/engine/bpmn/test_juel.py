"""JUEL as Camunda 7 writes it, translated to Python and evaluated: each row an expression, data and its value."""

from __future__ import annotations

from typing import Any

import pytest

from engine.bpmn.expressions import EXPRESSION_FUNCTIONS, ExpressionError, translate
from engine.bpmn.expressions.juel import translate_juel

DATA = {"approved": True, "rejected": False, "a": "x", "amount": 1500, "name": "Nguyễn An", "status": "ok",
        "note": "", "nothing": None, "tags": ["khan", "mat"], "doc": {"kind": "incoming"}, "count": 3,
        "flag": "true"}


def juel(text: str) -> Any:
    return eval(translate_juel(text), {**EXPRESSION_FUNCTIONS, **DATA})  # noqa: S307


@pytest.mark.parametrize(("text", "expected"), [
    ("${approved}", True),
    ("${a == 'x' && !rejected}", True),
    ("${a eq 'x' and not rejected}", True),
    ("${a ne 'x' or approved}", True),
    ("${amount gt 1000}", True),
    ("${amount lt 1000}", False),
    ("${amount ge 1500 && amount le 1500}", True),
    ("${amount > 1000 || rejected}", True),
    ("${amount == '1500'}", True),  # EL compares a number and a numeric text as numbers
    ("${empty note}", True),
    ("${empty nothing}", True),
    ("${not empty name}", True),
    ("${empty tags}", False),
    ("${name.contains('An')}", True),
    ("${status.equals('ok')}", True),
    ("${name.startsWith(\"Ng\")}", True),
    ("${name.endsWith('An')}", True),
    ("${status.equalsIgnoreCase('OK')}", True),
    ("${tags.contains('mat')}", True),
    ("${tags.size() == 2}", True),
    ("${doc.kind == 'incoming'}", True),
    ("${doc['kind']}", "incoming"),
    ("${tags[0]}", "khan"),
    ("${count + 2}", 5),
    ("${count * 2 - 1}", 5),
    ("${count % 2 == 1}", True),
    ("${count mod 2}", 1),
    ("${-count}", -3),
    ("${count > 2 ? 'many' : 'few'}", "many"),
    ("${execution.getVariable('approved')}", True),
    ("${nothing == null}", True),
    ("Hello ${name}, ${count} tasks", "Hello Nguyễn An, 3 tasks"),
    ("#{approved}", True),
])
def test_juel_values(text: str, expected: Any) -> None:
    assert juel(text) == expected


def test_a_condition_coerces_the_text_true() -> None:
    source = translate("${flag}", "python", "condition", declared=False)
    assert eval(source or "", {**EXPRESSION_FUNCTIONS, **DATA}) is True  # noqa: S307


def test_a_variable_the_case_lacks_is_an_error_as_in_camunda() -> None:
    with pytest.raises(NameError):
        juel("${unknown > 1}")


@pytest.mark.parametrize(("text", "message"), [
    ("${amount >}", "expected a value, found the end"),
    ("${amount", "'${' is not closed by '}'"),
    ("${'open}", "'${' is not closed by '}'"),
    ("${size(tags)}", "function size() is not supported"),
    ("${execution.getProcessInstanceId()}", "execution.getProcessInstanceId is not supported"),
])
def test_errors_say_what(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        translate_juel(text)
    assert message in str(caught.value)

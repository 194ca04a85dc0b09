"""FEEL as Camunda 8 writes it, translated to Python and evaluated: each row an expression, data and its value."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from engine.bpmn.expressions import EXPRESSION_FUNCTIONS, ExpressionError, translate, translate_feel
from engine.bpmn.expressions.feel import translate_unary_tests
from engine.bpmn.expressions.feel_values import plain

DATA = {"approved": True, "amount": 1500, "name": "Nguyễn An", "urgency": "khan", "missing_flag": None,
        "doc": {"kind": "incoming", "pages": 3}, "items": [1, 2, 3], "when": "2026-05-01", "ratio": 0.5}


def feel(text: str, **data: Any) -> Any:
    translation = translate_feel(text)
    namespace = {**EXPRESSION_FUNCTIONS, **{name: None for name in translation.names}, **DATA, **data}
    return eval(translation.source, namespace)  # noqa: S307


@pytest.mark.parametrize(("text", "expected"), [
    ("approved = true", True),
    ("amount > 1000 and approved", True),
    ("amount >= 2000 or not(approved)", False),
    ("amount + 500 = 2000", True),
    ("amount * 2 / 3", Decimal(1000)),
    ("2 ** 10", Decimal(1024)),
    ("-amount", Decimal(-1500)),
    ("ratio * 2 = 1", True),
    ("1.1 + 2.2 = 3.3", True),  # decimals, not floats
    ('"Mr " + name', "Mr Nguyễn An"),
    ('urgency in ("khan", "hoa_toc")', True),
    ('urgency in ["khan", "hoa_toc"]', True),
    ("amount in [1..999999]", True),
    ("amount in (1500..2000]", False),
    ("amount in (> 1000, 5)", True),
    ("amount between 1000 and 2000", True),
    ('if amount > 1000 then "big" else "small"', "big"),
    ('doc.kind = "incoming"', True),
    ("doc.pages", 3),
    ("items[item > 1]", [2, 3]),
    ("items[1]", 1),
    ("items[-1]", 3),
    ("some i in items satisfies i > 2", True),
    ("every i in items satisfies i > 2", False),
    ("for i in items return i * 2", [Decimal(2), Decimal(4), Decimal(6)]),
    ("{a: 1, b: 2}.b", 2),
    ('contains(name, "An")', True),
    ('starts with(name, "Ng")', True),
    ('ends with(name, "An")', True),
    ('string length("abc")', Decimal(3)),
    ('upper case("abc")', "ABC"),
    ('lower case("ABC")', "abc"),
    ('substring("procflow", 5)', "flow"),
    ('substring("procflow", 1, 4)', "proc"),
    ("sum(items)", Decimal(6)),
    ("sum(1, 2, 3)", Decimal(6)),
    ("count(items)", Decimal(3)),
    ("min(items) + max(items)", Decimal(4)),
    ("abs(-2)", Decimal(2)),
    ("floor(1.5) + ceiling(1.5)", Decimal(3)),
    ('number("12") + 1', Decimal(13)),
    ("string(12) + string(true)", "12true"),
    ("not(false)", True),
    ('date("2026-01-01") + duration("P1D") = date("2026-01-02")', True),
    ('date(when) < date("2027-01-01")', True),
    ('date and time("2026-01-01T09:00:00+07:00") = @"2026-01-01T02:00:00Z"', True),
    ('@"2026-12-31" - @"2026-01-01"', timedelta(days=364)),
    ('duration("PT1H") * 2', timedelta(hours=2)),
    ('date("2026-01-31") + duration("P1M")', date(2026, 2, 28)),
    ("@\"PT90M\" = duration(\"PT1H30M\")", True),
    ("null", None),
])
def test_feel_values(text: str, expected: Any) -> None:
    assert feel(text) == expected


@pytest.mark.parametrize("text", [
    "amount > missing_flag",  # comparison with null: null
    "unknown_variable > 3",  # a variable the case lacks is null
    "1 + null",
    '1 = "1"',  # different types: null
    "10 / 0",
    'upper case(5)',
    "approved and unknown_variable",
])
def test_null_semantics(text: str) -> None:
    assert feel(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("missing_flag = null", True),  # = with null: true or false, never null
    ("amount = null", False),
    ("false and unknown_variable", False),  # false wins over null
    ("true or unknown_variable", True),
])
def test_equality_with_null_and_three_valued_logic(text: str, expected: bool) -> None:
    assert feel(text) is expected


def test_a_condition_is_true_only_when_the_value_is_true() -> None:
    source = translate("=unknown_variable > 3", "python", "condition", declared=False)
    assert source is not None
    namespace = {**EXPRESSION_FUNCTIONS, "unknown_variable": None}
    assert eval(source, namespace) is False  # noqa: S307 - null is false in a condition


def test_now_and_today_read_the_clock_given_to_them() -> None:
    moment = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert feel("now()", feel_clock=lambda: moment) == moment
    assert feel("today()", feel_clock=lambda: moment) == date(2026, 3, 1)


def test_timer_expressions_give_iso_text() -> None:
    source = translate('=duration("PT1H") + duration("PT30M")', "feel", "timer")
    assert eval(source or "", dict(EXPRESSION_FUNCTIONS)) == "PT1H30M"  # noqa: S307


def test_results_become_plain_task_data() -> None:
    assert plain(feel("{total: sum(items), at: date(when)}")) == {"total": 6, "at": "2026-05-01"}


@pytest.mark.parametrize(("tests", "value", "matches"), [
    ("-", "anything", True),
    ('"khan","hoa_toc"', "hoa_toc", True),
    ('"khan","hoa_toc"', "thuong", False),
    ("[1..999999]", 999999, True),
    ("[1..999999)", 999999, False),
    ("(1..10]", 1, False),
    ("]1..10]", 10, True),
    (">= 5", 5, True),
    ("< 5", 5, False),
    ("!= 5", 4, True),
    ('not("khan")', "thuong", True),
    ("not(< 5, > 10)", 7, True),
    ("true", True, True),
    ("false", True, False),
    ("null", None, True),
    ('date("2026-01-01")', date(2026, 1, 1), True),
    ("[date(\"2026-01-01\")..date(\"2026-12-31\")]", date(2026, 6, 1), True),
    ("? > 3 and ? < 5", 4, True),
    ("5", None, False),
])
def test_unary_tests(tests: str, value: Any, matches: bool) -> None:
    source = translate_unary_tests(tests).source
    assert eval(source, {**EXPRESSION_FUNCTIONS, "feel_input": value}) is matches  # noqa: S307


@pytest.mark.parametrize(("text", "message"), [
    ("amount >", "expected a value, found the end (at column 9)"),
    ("(1 + 2", "expected ')', found the end"),
    ('"open', "a string is not closed (at column 1)"),
    ("amount § 2", "unexpected character '§' (at column 8)"),
    ("[1..5", "expected ']' or ')' to close the range"),
    ("if a then b", "expected 'else'"),
])
def test_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        translate_feel(text)
    assert message in str(caught.value)


def test_names_with_spaces_are_read_when_known() -> None:
    translation = translate_feel("Monthly Salary * 12", names=["Monthly Salary"])
    namespace = {**EXPRESSION_FUNCTIONS, "feel_v_Monthly_20_Salary": 100}
    assert eval(translation.source, namespace) == 1200  # noqa: S307

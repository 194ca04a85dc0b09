"""FEEL (Camunda 8, DMN) translated to Python source over task data and the ``feel_*`` functions.

Supported: literals (numbers, strings, ``true``/``false``/``null``, ``@"..."``, ``date(...)``,
``duration(...)``), ``+ - * / **``, comparisons, ``and``/``or``/``not(...)``, ``between``, ``in``,
``if then else``, lists, contexts, ranges, path access ``a.b``, filters ``list[item > 1]`` and
``list[1]``, ``some``/``every``/``for``, and the built-ins of engine.bpmn.expressions.feel_functions.
Names may contain spaces when they are known (the inputs of a DMN decision). Unary tests (DMN input
entries: ``< 5``, ``[1..10]``, ``"a","b"``, ``not(...)``, ``-``) translate to a condition on ``feel_input``.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Collection
from dataclasses import dataclass

from engine.bpmn.expressions.feel_functions import BUILTINS, CLOCK_FUNCTIONS, CLOCK_NAME, builtin_name
from engine.bpmn.expressions.lexer import Cursor, ExpressionError, tokenize

INPUT = "feel_input"  # the value a unary test checks (``?``)
_OPERATORS = ["..", "**", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", "{", "}",
              ",", ".", ":", "@", "?"]
_COMPARISONS = {"=": "feel_eq", "!=": "feel_ne", "<": "feel_lt", "<=": "feel_le", ">": "feel_gt",
                ">=": "feel_ge"}
_KEYWORDS = {"and", "or", "not", "if", "then", "else", "in", "between", "some", "every", "for", "return",
             "satisfies", "true", "false", "null", "function", "instance", "of"}
_PHRASES = [name for name in BUILTINS if " " in name]


@dataclass(frozen=True)
class Translation:
    """Python source for a FEEL text, and the Python names of the variables it reads."""

    source: str
    names: frozenset[str]


def python_name(name: str) -> str:
    """The Python identifier a FEEL variable ``name`` is read through (mangled when it is not one)."""
    if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith(("_", "feel_")):
        return name
    return "feel_v_" + re.sub(r"\W", lambda m: f"_{ord(m.group()):x}_", name)


def translate_feel(text: str, *, names: Collection[str] = ()) -> Translation:
    """Translate the FEEL expression ``text``; ``names`` are variables whose names contain spaces."""
    parser = _Parser(text, names)
    source = parser.expression()
    parser.finish()
    return Translation(_checked(source), frozenset(parser.used))


def translate_unary_tests(text: str, *, names: Collection[str] = ()) -> Translation:
    """Translate DMN unary tests into a condition (True or False) on ``feel_input``."""
    parser = _Parser(text, names)
    source = parser.unary_tests()
    parser.finish()
    return Translation(_checked(source), frozenset(parser.used))


def _checked(source: str) -> str:
    try:
        ast.parse(source, mode="eval")
    except SyntaxError as error:  # a bug of the translator, not of the model
        raise ExpressionError(f"cannot translate ({error.msg})") from error
    return source


class _Parser:
    """Recursive descent over FEEL's grammar, lowest precedence first, giving Python source."""

    def __init__(self, text: str, names: Collection[str]) -> None:
        phrases = [*_PHRASES, *(n for n in names if " " in n.strip() or not n.isidentifier())]
        self.cursor = Cursor(tokenize(text, _OPERATORS, phrases=phrases))
        self.used: set[str] = set()
        self.bound: list[str] = []  # names of enclosing ``for``/``some``/filters

    def finish(self) -> None:
        if self.cursor.token.kind != "end":
            raise self.cursor.error("unexpected text")

    # -- unary tests -----------------------------------------------------------------------------
    def unary_tests(self) -> str:
        c = self.cursor
        if c.at("-") and c.peek().kind == "end":
            c.take()
            return "True"
        if c.at("not") and c.peek().text == "(":
            c.take()
            c.take()
            inner = self._test_list(")")
            c.expect(")")
            return f"(not {inner})"
        return self._test_list(None)

    def _test_list(self, closing: str | None) -> str:
        tests = [self.unary_test()]
        while self.cursor.accept(","):
            tests.append(self.unary_test())
        return f"feel_in({INPUT}, {', '.join(tests)})"

    def unary_test(self) -> str:
        """One positive unary test, as a value ``feel_in`` understands (a value, range, list or outcome)."""
        c = self.cursor
        if c.at("<", "<=", ">", ">="):
            op = c.take().text
            end = self.additive()
            low, high = ("None", end) if op.startswith("<") else (end, "None")
            closed = op.endswith("=")
            return f"feel_range({low}, {high}, {closed if op.startswith('>') else True}, " \
                   f"{closed if op.startswith('<') else True})"
        if c.at("=", "!="):
            op = c.take().text
            value = self.additive()
            return value if op == "=" else f"feel_unequal({value})"
        before = set(self.used)
        asks = self._mentions_input()
        value = self.expression()
        self.used |= before
        return f"feel_satisfied({value})" if asks else value

    def _mentions_input(self) -> bool:
        """True when the test ahead uses ``?``: it is then a condition, not a value to compare with."""
        depth = 0
        for token in self.cursor.tokens[self.cursor.index:]:
            if token.kind == "end" or (depth == 0 and token.text == ","):
                return False
            if token.kind == "op" and token.text in "([{":
                depth += 1
            elif token.kind == "op" and token.text in ")]}":
                depth -= 1
            elif token.kind == "op" and token.text == "?":
                return True
        return False

    # -- expressions -----------------------------------------------------------------------------
    def expression(self) -> str:
        c = self.cursor
        if c.at("if"):
            c.take()
            condition = self.expression()
            c.expect("then")
            then = self.expression()
            c.expect("else")
            otherwise = self.expression()
            return f"({then} if feel_true({condition}) else {otherwise})"
        if c.at("some", "every", "for") and c.peek().kind == "name":
            return self._iteration()
        return self.disjunction()

    def _iteration(self) -> str:
        c = self.cursor
        kind = c.take().text
        variable = c.take().text
        c.expect("in")
        values = self.disjunction()
        c.expect("return" if kind == "for" else "satisfies")
        self.bound.append(variable)
        body = self.expression()
        self.bound.pop()
        return f"feel_{kind}({values}, lambda {python_name(variable)}: {body})"

    def disjunction(self) -> str:
        parts = [self.conjunction()]
        while self.cursor.accept("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else f"feel_or({', '.join(parts)})"

    def conjunction(self) -> str:
        parts = [self.comparison()]
        while self.cursor.accept("and"):
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else f"feel_and({', '.join(parts)})"

    def comparison(self) -> str:
        c = self.cursor
        left = self.additive()
        if c.token.kind == "op" and c.token.text in _COMPARISONS:
            op = c.take().text
            return f"{_COMPARISONS[op]}({left}, {self.additive()})"
        if c.accept("between"):
            low = self.additive()
            c.expect("and")
            return f"feel_between({left}, {low}, {self.additive()})"
        if c.accept("in"):
            return self._in(left)
        return left

    def _in(self, left: str) -> str:
        c = self.cursor
        if c.at("(") and not self._is_range_ahead():
            c.take()
            tests = [self.unary_test()]
            while c.accept(","):
                tests.append(self.unary_test())
            c.expect(")")
        else:
            tests = [self.unary_test()]
        return f"feel_in({left}, {', '.join(tests)})"

    def _is_range_ahead(self) -> bool:
        depth = 0
        for token in self.cursor.tokens[self.cursor.index:]:
            if token.text in ("(", "["):
                depth += 1
            elif token.text in (")", "]"):
                depth -= 1
                if depth == 0:
                    return False
            elif token.text == ".." and depth == 1:
                return True
            elif token.kind == "end":
                return False
        return False

    def additive(self) -> str:
        left = self.multiplicative()
        while self.cursor.at("+", "-"):
            op = self.cursor.take().text
            left = f"{'feel_add' if op == '+' else 'feel_sub'}({left}, {self.multiplicative()})"
        return left

    def multiplicative(self) -> str:
        left = self.power()
        while self.cursor.at("*", "/"):
            op = self.cursor.take().text
            left = f"{'feel_mul' if op == '*' else 'feel_div'}({left}, {self.power()})"
        return left

    def power(self) -> str:
        left = self.unary()
        while self.cursor.accept("**"):
            left = f"feel_pow({left}, {self.unary()})"
        return left

    def unary(self) -> str:
        if self.cursor.accept("-"):
            return f"feel_neg({self.unary()})"
        return self.postfix()

    def postfix(self) -> str:
        c = self.cursor
        value = self.primary()
        while True:
            if c.at(".") and c.peek().kind == "name":
                c.take()
                value = f"feel_get({value}, {c.take().text!r})"
            elif c.at("["):
                c.take()
                self.bound.append("item")
                test = self.expression()
                self.bound.pop()
                c.expect("]")
                value = f"feel_filter({value}, lambda item: {test})"
            elif c.at("(") and value.startswith(("feel_get(", "feel_filter(")):
                value = f"feel_call({value}, {', '.join(self._arguments())})"
            else:
                return value

    def primary(self) -> str:  # noqa: C901 - one branch per kind of literal
        c = self.cursor
        token = c.token
        if token.kind == "num":
            c.take()
            return token.text if "." not in token.text else f"feel_num({token.text!r})"
        if token.kind == "str":
            c.take()
            return repr(token.text)
        if token.kind == "op":
            return self._bracketed()
        if token.kind != "name":
            raise c.error("expected a value")
        literal = {"true": "True", "false": "False", "null": "None"}.get(token.text)
        if literal:
            c.take()
            return literal
        if token.text == "not" and c.peek().text == "(":
            c.take()
            return f"feel_not({self._single_argument()})"
        if token.text in _KEYWORDS:
            raise c.error("expected a value")
        c.take()
        if c.at("("):
            return self._call(token.text, token.column)
        return self._name(token.text)

    def _name(self, name: str) -> str:
        python = python_name(name)
        if name not in self.bound:
            self.used.add(python)
        return python

    def _bracketed(self) -> str:
        c = self.cursor
        if c.accept("@"):
            if c.token.kind != "str":
                raise c.error('expected a string after @, e.g. @"2026-01-01"')
            return f"feel_at({c.take().text!r})"
        if c.accept("?"):
            return INPUT
        if c.at("{"):
            return self._context()
        if c.at("(", "[", "]"):
            opening = c.take().text
            if opening == "[" and c.accept("]"):
                return "[]"
            first = self.expression()
            if c.accept(".."):
                return self._range(opening, first)
            if opening == "(":
                c.expect(")")
                return f"({first})"
            if opening == "]":
                raise c.error("expected '..'")
            items = [first]
            while c.accept(","):
                items.append(self.expression())
            c.expect("]")
            return f"[{', '.join(items)}]"
        raise c.error("expected a value")

    def _range(self, opening: str, low: str) -> str:
        c = self.cursor
        high = self.expression()
        if not c.at(")", "]", "["):
            raise c.error("expected ']' or ')' to close the range")
        closing = c.take().text
        return f"feel_range({low}, {high}, {opening == '['}, {closing == ']'})"

    def _context(self) -> str:
        c = self.cursor
        c.expect("{")
        entries = []
        while not c.at("}"):
            key = c.take()
            if key.kind not in ("name", "str"):
                raise c.error("expected the name of a context entry")
            c.expect(":")
            entries.append(f"{key.text!r}: {self.expression()}")
            if not c.accept(","):
                break
        c.expect("}")
        return "{" + ", ".join(entries) + "}"

    def _call(self, name: str, column: int) -> str:
        arguments = self._arguments()
        if name in BUILTINS:
            if name in CLOCK_FUNCTIONS:
                self.used.add(CLOCK_NAME)
                arguments = [CLOCK_NAME]
            return f"{builtin_name(name)}({', '.join(arguments)})"
        return f"feel_call({', '.join([self._name(name), *arguments])})"

    def _arguments(self) -> list[str]:
        c = self.cursor
        c.expect("(")
        arguments: list[str] = []
        while not c.at(")"):
            if c.token.kind == "name" and c.peek().text == ":":
                raise ExpressionError("named arguments are not supported; pass them in order", c.token.column)
            arguments.append(self.expression())
            if not c.accept(","):
                break
        c.expect(")")
        return arguments

    def _single_argument(self) -> str:
        arguments = self._arguments()
        if len(arguments) != 1:
            raise self.cursor.error("not() takes one argument")
        return arguments[0]

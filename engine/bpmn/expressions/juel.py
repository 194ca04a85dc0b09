"""JUEL (Camunda 7's ``${...}``) translated to Python source over task data and the ``juel_*`` functions.

Supported: ``${...}`` and ``#{...}`` (a text with several, or with text around them, builds a string),
literals (``'x'``, ``"x"``, numbers, ``true``/``false``/``null``), ``== != < > <= >=`` and ``eq ne lt gt
le ge``, ``&& || !`` and ``and or not``, ``empty``, ``+ - * / %`` (``div``, ``mod``), ``a ? b : c``,
properties ``a.b`` and ``a['b']``, method calls on strings, lists and maps (``.contains(...)``,
``.equals(...)``, ``.startsWith(...)``, ``.size()`` ...; see juel_functions) and
``execution.getVariable('name')``. A variable the case does not have is an error, as in Camunda.
"""

from __future__ import annotations

import ast
import re

from engine.bpmn.expressions.feel import python_name
from engine.bpmn.expressions.lexer import Cursor, ExpressionError, tokenize

_OPERATORS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "%", "?", ":", "(", ")",
              "[", "]", ".", ","]
_WORDS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "and": "&&", "or": "||",
          "not": "!", "div": "/", "mod": "%"}
_COMPARISONS = {"==": "juel_eq", "!=": "juel_ne", "<": "juel_lt", ">": "juel_gt", "<=": "juel_le",
                ">=": "juel_ge"}
_ARITHMETIC = {"+": "juel_add", "-": "juel_sub", "*": "juel_mul", "/": "juel_div", "%": "juel_mod"}
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_TEMPLATE = re.compile(r"[$#]\{")


def is_juel(text: str) -> bool:
    """True for a text with a ``${...}`` or ``#{...}`` expression in it."""
    return bool(_TEMPLATE.search(text))


def translate_juel(text: str) -> str:
    """Translate a JUEL text (``${...}`` parts, or a bare expression) into a Python expression."""
    parts = _split(text)
    expressions = [part for part in parts if part[0] == "expr"]
    if len(expressions) == 1 and all(kind == "expr" or not value.strip() for kind, value, _ in parts):
        return _checked(_expression(expressions[0][1], expressions[0][2]))
    pieces = [repr(value) if kind == "text" else f"juel_text({_expression(value, at)})"
              for kind, value, at in parts]
    return _checked(f"''.join([{', '.join(pieces)}])")


def _split(text: str) -> list[tuple[str, str, int]]:
    """The text and ``${...}`` parts of ``text``, with where each starts; a bare text is one expression."""
    if not is_juel(text):
        return [("expr", text, 0)]
    parts: list[tuple[str, str, int]] = []
    at = 0
    for match in _TEMPLATE.finditer(text):
        if match.start() < at:
            continue
        if match.start() > at:
            parts.append(("text", text[at:match.start()], at))
        end = _closing(text, match.end())
        parts.append(("expr", text[match.end():end], match.end()))
        at = end + 1
    if at < len(text):
        parts.append(("text", text[at:], at))
    return parts


def _closing(text: str, start: int) -> int:
    quote = None
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "}":
            return index
    raise ExpressionError("'${' is not closed by '}'", start - 1)


def _expression(body: str, offset: int) -> str:
    try:
        parser = _Parser(body)
        source = parser.ternary()
        if parser.cursor.token.kind != "end":
            raise parser.cursor.error("unexpected text")
    except ExpressionError as error:
        column = None if error.column is None else error.column + offset
        raise ExpressionError(error.message, column) from error
    return source


def _checked(source: str) -> str:
    try:
        ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot translate ({error.msg})") from error
    return source


class _Parser:
    """Recursive descent over JUEL's grammar (the EL of Java EE), giving Python source."""

    def __init__(self, text: str) -> None:
        tokens = tokenize(text, _OPERATORS, quotes="'\"", word=_WORD)
        self.cursor = Cursor(tokens)

    def _op(self, *texts: str) -> str | None:
        token = self.cursor.token
        spelled = _WORDS.get(token.text, token.text) if token.kind == "name" else token.text
        if token.kind in ("op", "name") and spelled in texts and (token.kind == "op" or token.text in _WORDS):
            self.cursor.take()
            return spelled
        return None

    def ternary(self) -> str:
        condition = self.disjunction()
        if self.cursor.accept("?"):
            then = self.ternary()
            self.cursor.expect(":")
            otherwise = self.ternary()
            return f"({then} if juel_bool({condition}) else {otherwise})"
        return condition

    def disjunction(self) -> str:
        left = self.conjunction()
        while self._op("||"):
            left = f"(juel_bool({left}) or juel_bool({self.conjunction()}))"
        return left

    def conjunction(self) -> str:
        left = self.equality()
        while self._op("&&"):
            left = f"(juel_bool({left}) and juel_bool({self.equality()}))"
        return left

    def equality(self) -> str:
        left = self.relational()
        while op := self._op("==", "!="):
            left = f"{_COMPARISONS[op]}({left}, {self.relational()})"
        return left

    def relational(self) -> str:
        left = self.additive()
        while op := self._op("<", ">", "<=", ">="):
            left = f"{_COMPARISONS[op]}({left}, {self.additive()})"
        return left

    def additive(self) -> str:
        left = self.multiplicative()
        while op := self._op("+", "-"):
            left = f"{_ARITHMETIC[op]}({left}, {self.multiplicative()})"
        return left

    def multiplicative(self) -> str:
        left = self.unary()
        while op := self._op("*", "/", "%"):
            left = f"{_ARITHMETIC[op]}({left}, {self.unary()})"
        return left

    def unary(self) -> str:
        if self._op("!"):
            return f"(not juel_bool({self.unary()}))"
        if self.cursor.accept("-"):
            return f"juel_neg({self.unary()})"
        if self.cursor.token.kind == "name" and self.cursor.token.text == "empty":
            self.cursor.take()
            return f"juel_empty({self.unary()})"
        return self.postfix()

    def postfix(self) -> str:
        c = self.cursor
        if c.token.kind == "name" and c.token.text == "execution" and c.peek().text == ".":
            return self._execution()
        value = self.primary()
        while True:
            if c.accept("."):
                if c.token.kind != "name":
                    raise c.error("expected a property or method name")
                member = c.take().text
                if c.at("("):
                    value = f"juel_call({', '.join([value, repr(member), *self._arguments()])})"
                else:
                    value = f"juel_get({value}, {member!r})"
            elif c.accept("["):
                key = self.ternary()
                c.expect("]")
                value = f"juel_get({value}, {key})"
            else:
                return value

    def _execution(self) -> str:
        """``execution.getVariable('x')`` reads the variable ``x`` (the common Camunda 7 idiom)."""
        c = self.cursor
        c.take()
        c.expect(".")
        method = c.take()
        if method.text != "getVariable":
            raise ExpressionError(f"execution.{method.text} is not supported; use the variable's name",
                                  method.column)
        c.expect("(")
        name = c.take()
        if name.kind != "str":
            raise ExpressionError("execution.getVariable needs the variable's name in quotes", name.column)
        c.expect(")")
        return python_name(name.text)

    def _arguments(self) -> list[str]:
        c = self.cursor
        c.expect("(")
        arguments: list[str] = []
        while not c.at(")"):
            arguments.append(self.ternary())
            if not c.accept(","):
                break
        c.expect(")")
        return arguments

    def primary(self) -> str:
        c = self.cursor
        token = c.token
        if token.kind == "num":
            c.take()
            return token.text
        if token.kind == "str":
            c.take()
            return repr(token.text)
        if c.accept("("):
            inner = self.ternary()
            c.expect(")")
            return f"({inner})"
        if token.kind == "name" and token.text not in _WORDS and token.text != "empty":
            c.take()
            literal = {"true": "True", "false": "False", "null": "None"}.get(token.text)
            if literal:
                return literal
            if c.at("("):
                raise ExpressionError(f"function {token.text}() is not supported", token.column)
            return python_name(token.text)
        raise c.error("expected a value")

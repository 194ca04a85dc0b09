"""A small tokenizer shared by the FEEL and JUEL translators: numbers, strings, names and operators, located."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass


class ExpressionError(ValueError):
    """An expression that cannot be read; ``column`` (1-based) says where, within its text."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return self.message if self.column is None else f"{self.message} (at column {self.column})"


@dataclass(frozen=True)
class Token:
    """One token: its kind (``num``, ``str``, ``name``, ``op``, ``end``), its text and where it starts."""

    kind: str
    text: str
    at: int

    @property
    def column(self) -> int:
        return self.at + 1


_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(\.\d+)?|\.\d+")
_WORD = re.compile(r"[^\W\d][\w]*", re.UNICODE)


def tokenize(text: str, operators: Sequence[str], *, quotes: str = '"',
             phrases: Collection[str] = (), word: re.Pattern[str] = _WORD) -> list[Token]:
    """Split ``text`` into tokens; ``phrases`` are names with spaces (FEEL) read as one name, longest first."""
    ordered_ops = sorted(operators, key=len, reverse=True)
    ordered_phrases = sorted(phrases, key=len, reverse=True)
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        space = _SPACE.match(text, at)
        if space:
            at = space.end()
            continue
        token = (_string(text, at, quotes) or _number(text, at) or _phrase(text, at, ordered_phrases)
                 or _word(text, at, word) or _operator(text, at, ordered_ops))
        if token is None:
            raise ExpressionError(f"unexpected character {text[at]!r}", at + 1)
        tokens.append(token)
        at = token.at + _length(text, token)
    tokens.append(Token("end", "", len(text)))
    return tokens


def _length(text: str, token: Token) -> int:
    if token.kind == "str":
        return _string_end(text, token.at) - token.at
    if token.kind == "name" and " " in token.text:
        return _phrase_length(text, token.at, token.text)
    return len(token.text)


def _string(text: str, at: int, quotes: str) -> Token | None:
    if text[at] not in quotes:
        return None
    end = _string_end(text, at)
    raw = text[at + 1:end - 1]
    return Token("str", _unescape(raw), at)


def _string_end(text: str, at: int) -> int:
    quote = text[at]
    index = at + 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == quote:
            return index + 1
        index += 1
    raise ExpressionError("a string is not closed", at + 1)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def _unescape(raw: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u"):
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", replace, raw)


def _number(text: str, at: int) -> Token | None:
    match = _NUMBER.match(text, at)
    return Token("num", match.group(), at) if match else None


def _phrase(text: str, at: int, phrases: Sequence[str]) -> Token | None:
    for phrase in phrases:
        end = at + _phrase_length(text, at, phrase)
        if end > at and not (end < len(text) and (text[end].isalnum() or text[end] == "_")):
            return Token("name", phrase, at)
    return None


def _phrase_length(text: str, at: int, phrase: str) -> int:
    """How many characters of ``text`` from ``at`` spell ``phrase`` (any run of spaces between words), or 0."""
    pattern = r"\s+".join(re.escape(part) for part in phrase.split())
    match = re.compile(pattern).match(text, at)
    return match.end() - at if match else 0


def _word(text: str, at: int, word: re.Pattern[str]) -> Token | None:
    match = word.match(text, at)
    return Token("name", match.group(), at) if match else None


def _operator(text: str, at: int, operators: Sequence[str]) -> Token | None:
    for operator in operators:
        if text.startswith(operator, at):
            return Token("op", operator, at)
    return None


class Cursor:
    """Walks a token list for a recursive-descent parser."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

    def at(self, *texts: str) -> bool:
        """True when the current token is an operator or bare word spelled as one of ``texts``."""
        return self.token.kind in ("op", "name") and self.token.text in texts

    def take(self) -> Token:
        token = self.token
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def accept(self, *texts: str) -> Token | None:
        return self.take() if self.at(*texts) else None

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise self.error(f"expected {text!r}")
        return self.take()

    def error(self, message: str) -> ExpressionError:
        token = self.token
        found = "the end" if token.kind == "end" else repr(token.text)
        return ExpressionError(f"{message}, found {found}", token.column)

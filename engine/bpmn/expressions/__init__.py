"""The expression languages a model may be written in: Python (the default), FEEL and JUEL.

Owns the translation of FEEL (Camunda 8, DMN) and JUEL (Camunda 7) into Python source that the script
engine evaluates over task data with the functions of :data:`EXPRESSION_FUNCTIONS`; engine.bpmn.parser
translates a file's conditions, loop expressions and timers (:func:`translate_tree`) before SpiffWorkflow
reads them, and deploy-time validation reports what cannot be translated. May import the standard
library and engine.errors only.

Which language an expression is in (:func:`language_for`), first match wins:

1. the ``language`` attribute of the expression element (a formal expression);
2. procflow's ``procflow:expressionLanguage`` on ``definitions`` (``python``, ``feel`` or ``juel``);
3. the BPMN ``expressionLanguage`` attribute on ``definitions`` (FEEL, JUEL or Python URIs; XPath,
   the BPMN default that modelers write without meaning it, is ignored);
4. the file comes from Camunda Modeler for Camunda 8 (``xmlns:zeebe``): FEEL;
5. otherwise the expression's own form: ``=...`` is FEEL, ``${...}``/``#{...}`` is JUEL (what Camunda 7
   writes), anything else Python.

Timers also accept ISO 8601 written as BPMN writes it (``PT1H``, ``R3/PT10M``, ``2026-12-31T09:00:00+07:00``,
procflow's ``working:P2D``) in any language.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.bpmn.expressions.feel import python_name, translate_feel, translate_unary_tests
from engine.bpmn.expressions.feel_functions import CLOCK_NAME, FEEL_FUNCTIONS
from engine.bpmn.expressions.juel import is_juel, translate_juel
from engine.bpmn.expressions.juel_functions import JUEL_FUNCTIONS
from engine.bpmn.expressions.lexer import ExpressionError

__all__ = ["CLOCK_NAME", "EXPRESSION_FUNCTIONS", "EXPRESSION_TAGS", "FEEL", "JUEL", "PYTHON", "ExpressionError",
           "Located", "feel_free_names", "is_feel_translation", "language_for", "python_name", "translate",
           "translate_feel", "translate_tree", "translate_unary_tests"]

PYTHON, FEEL, JUEL = "python", "feel", "juel"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PROCFLOW_NS = "https://procflow.dev/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
OVERRIDE = f"{{{PROCFLOW_NS}}}expressionLanguage"

# Everything a translation may call; the script engine puts these in its globals.
EXPRESSION_FUNCTIONS: dict[str, Callable[..., Any]] = {**FEEL_FUNCTIONS, **JUEL_FUNCTIONS}

# BPMN element (local name) -> what its text gives: a condition, a value, or a timer.
EXPRESSION_TAGS = {
    "conditionExpression": "condition", "condition": "condition", "completionCondition": "condition",
    "loopCondition": "condition", "loopCardinality": "value",
    "timeDate": "timer", "timeDuration": "timer", "timeCycle": "timer",
}
FEEL_MARKER = "# FEEL: "  # first line of a translated FEEL expression: its original text
_ISO_TIMER = re.compile(r"^(working:)?(R\d*/)?([+-]?P[\dYMWDTHS.,]+|\d{4}-\d\d-\d\d[T\d:.,+\-Z]*)"
                        r"(/([+-]?P[\dYMWDTHS.,]+|\d{4}-\d\d-\d\d[T\d:.,+\-Z]*))?$")


def language_uri(uri: str | None) -> str | None:
    """The language a URI or name (``feel``, ``https://www.omg.org/spec/FEEL/20140401``) stands for."""
    text = (uri or "").strip().lower()
    if not text or "xpath" in text:
        return None
    if "feel" in text:
        return FEEL
    if "juel" in text or text.rstrip("/").endswith("/el") or text == "el":
        return JUEL
    return PYTHON if "python" in text else None


def language_for(element: Any) -> tuple[str, bool]:
    """The language of the expression ``element`` and whether it is declared (not guessed from its form)."""
    declared = language_uri(element.get("language"))
    if declared:
        return declared, True
    root = element.getroottree().getroot()
    for chosen in (language_uri(root.get(OVERRIDE)), language_uri(root.get("expressionLanguage"))):
        if chosen:
            return chosen, True
    if ZEEBE_NS in (root.nsmap or {}).values():
        return FEEL, True
    return PYTHON, False


def translate(text: str, language: str, kind: str, *, declared: bool = True) -> str | None:
    """Python source for the expression ``text``, or None when it is Python already.

    Args:
        text: the expression as written in the model.
        language: ``python``, ``feel`` or ``juel``.
        kind: ``condition`` (true or false), ``value`` or ``timer`` (ISO 8601 text).
        declared: False when the language is only the default, so the text's form decides.

    Raises:
        ExpressionError: the text is not valid in its language; ``column`` says where.
    """
    stripped = text.strip()
    if kind == "timer" and _ISO_TIMER.match(stripped):
        return repr(stripped)
    if not declared:
        language = FEEL if stripped.startswith("=") else JUEL if is_juel(stripped) else PYTHON
    if language == PYTHON or not stripped:
        return None
    if language == JUEL:
        source = translate_juel(text)
        return f"juel_bool({source})" if kind == "condition" else source
    body = text.lstrip()
    if body.startswith("="):
        body = body[1:]
    offset = len(text) - len(body)
    try:
        source = translate_feel(body).source
    except ExpressionError as error:
        raise ExpressionError(error.message, None if error.column is None else error.column + offset) from error
    wrapper = {"condition": "feel_true", "timer": "feel_timer", "value": "feel_value"}[kind]
    return f"{FEEL_MARKER}{' '.join(stripped.split())}\n{wrapper}({source})"


@dataclass(frozen=True)
class Located:
    """An expression that cannot be translated, and the element it is written in."""

    element: Any
    error: ExpressionError


def expression_elements(root: Any) -> Iterator[tuple[Any, str]]:
    """Every BPMN element of ``root`` holding an expression, with its kind."""
    for element in root.iter(*(f"{{{BPMN_NS}}}{tag}" for tag in EXPRESSION_TAGS)):
        yield element, EXPRESSION_TAGS[element.tag.split("}")[1]]


def translate_element(element: Any, kind: str) -> str | None:
    """The Python source for ``element``'s expression, or None when it stays as written."""
    language, declared = language_for(element)
    return translate(element.text or "", language, kind, declared=declared)


def translate_tree(root: Any) -> list[Located]:
    """Replace every FEEL and JUEL expression of the BPMN ``root`` by its Python; return what failed."""
    failed = []
    for element, kind in expression_elements(root):
        try:
            source = translate_element(element, kind)
        except ExpressionError as error:
            failed.append(Located(element, error))
            continue
        if source is not None:
            element.text = source
    return failed


def is_feel_translation(expression: str) -> bool:
    """True for Python source :func:`translate` made from FEEL (missing variables are then null)."""
    return expression.startswith(FEEL_MARKER)


@lru_cache(maxsize=4096)
def feel_free_names(source: str) -> frozenset[str]:
    """The variables a translated FEEL expression reads (to be given as null when the case lacks them)."""
    tree = ast.parse(source, mode="eval")
    bound = {arg.arg for node in ast.walk(tree) if isinstance(node, ast.Lambda) for arg in node.args.args}
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return frozenset(names - bound - EXPRESSION_FUNCTIONS.keys())

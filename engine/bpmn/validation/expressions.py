"""Deploy-time checks of the expressions a model runs (see engine.bpmn.validation): conditions, scripts,
timers and decisions, in Python, FEEL or JUEL (engine.bpmn.expressions chooses and translates).

* E020 a flow leaving an exclusive/inclusive gateway has neither a condition nor is the default
* E030 a timer expression is empty, not an expression, or not an ISO 8601 date/duration/cycle
* E031 a condition or script is not valid Python, FEEL or JUEL (whichever it is written in)
* E032 a DMN file cannot be evaluated (FEEL that does not parse, an unknown hit policy, unsupported logic)
* E033 a condition, script, timer or other expression uses what the sandbox forbids (engine.sandbox):
  an import of a module not allowed, a name or attribute starting with ``_``, a forbidden builtin
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.dmn import DmnError, read_definitions
from engine.bpmn.expressions import EXPRESSION_TAGS, PYTHON, ExpressionError, language_for, translate
from engine.bpmn.metadata import SPIFF_NS, process_metadata, task_metadata
from engine.bpmn.timers import parse_recurring
from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag, local_name, owner_of
from engine.bpmn.validation.structure import check_schema
from engine.calendar.working_time import WORKING_PREFIX, parse_working_duration
from engine.errors import ModelProblem
from engine.sandbox import sandbox_problems

# -- gateways, conditions and scripts -----------------------------------------------------------
# tag -> (what users call it, compile mode); SpiffWorkflow evaluates all of them as Python.
PYTHON_TAGS = {
    bpmn_tag("conditionExpression"): ("condition", "eval"),
    bpmn_tag("condition"): ("condition", "eval"),
    bpmn_tag("loopCondition"): ("loop condition", "eval"),
    bpmn_tag("completionCondition"): ("completion condition", "eval"),
    bpmn_tag("loopCardinality"): ("loop cardinality", "eval"),
    bpmn_tag("script"): ("script", "exec"),
    f"{{{SPIFF_NS}}}preScript": ("pre-script", "exec"),
    f"{{{SPIFF_NS}}}postScript": ("post-script", "exec"),
    f"{{{SPIFF_NS}}}messagePayload": ("message payload", "eval"),
}
# procflow's expressions in attributes and extension properties (engine.bpmn.metadata), by what users call them
PROCESS_EXPRESSIONS = {"refuseIf": ("start", "refuse_if"), "businessKey": ("start", "business_key"),
                       "title": (None, "summary"), "urgency": (None, "urgency")}
TASK_EXPRESSIONS = {"due": "due", "reminder": "reminder", "reassignAfter": "reassign_after"}


def check_gateway_conditions(parsed: ParsedFile, gateway: Element) -> Iterator[ModelProblem]:
    """E020: with several ways out, each flow needs a condition unless it is the default."""
    flows = parsed.outgoing.get(gateway.get("id"), [])
    if len(flows) < 2:
        return  # SpiffWorkflow takes a single unconditional flow as the default
    for flow in flows:
        condition = flow.find(bpmn_tag("conditionExpression"))
        has_condition = condition is not None and (condition.text or "").strip()
        if flow.get("id") != gateway.get("default") and not has_condition:
            yield parsed.problem("E020", gateway, f"outgoing flow {flow.get('id')} has no condition and is "
                                                  f"not the gateway's default")


def check_python(parsed: ParsedFile, node: Element) -> Iterator[ModelProblem]:
    """E031: conditions must be expressions of their language (Python, FEEL or JUEL), scripts Python statements."""
    what, mode = PYTHON_TAGS[node.tag]
    if not (node.text or "").strip():
        return
    text = node.text
    kind = EXPRESSION_TAGS.get(local_name(node))
    if kind is not None:
        try:
            text = translated(node, kind)
        except ExpressionError as problem:
            yield parsed.problem("E031", owner_of(node), _expression_message(node, what, problem),
                                 line=node.sourceline)
            return
    error = python_syntax_error(text, mode)
    if error is None:
        for row, refusal in sandbox_problems(node.text, mode):
            yield parsed.problem("E033", owner_of(node), f"{what} uses what model code may not: {refusal} "
                                                         f"(line {row} of the {what})",
                                 line=node.sourceline + row - 1)
        return
    row = error.lineno or 1
    message = f"{what} is not valid Python: {error.msg} on line {row} of the {what}{_hint(node.text, error)}"
    yield parsed.problem("E031", owner_of(node), message, line=node.sourceline + row - 1)


def translated(node: Element, kind: str) -> str:
    """The Python the engine will run for the expression ``node`` (FEEL and JUEL translated)."""
    language, declared = language_for(node)
    source = translate(node.text or "", language, kind, declared=declared)
    return node.text or "" if source is None else source


def _expression_message(node: Element, what: str, problem: ExpressionError) -> str:
    language, declared = language_for(node)
    stripped = (node.text or "").strip()
    if not declared:
        language = "feel" if stripped.startswith("=") else "juel"
    name = {"feel": "FEEL", "juel": "JUEL"}.get(language, language)
    return f"{what} {stripped!r} is not valid {name}: {problem}"


def check_dmn(parsed: ParsedFile) -> Iterator[ModelProblem]:
    """E032: every decision of a DMN file must be readable by procflow's DMN engine (engine.bpmn.dmn)."""
    if parsed.kind != "dmn" or any(True for _ in check_schema(parsed)):
        return  # E002 already says what is wrong
    try:
        read_definitions(parsed.root)
    except DmnError as error:
        element = parsed.ids.get(error.element_id or "")
        line = error.line or (element if element is not None else parsed.root).sourceline
        yield ModelProblem(parsed.name, line, error.element_id, error.message,
                           code="E032")


def _hint(text: str, error: SyntaxError) -> str:
    """A likely cause of ``error`` users can act on, or nothing."""
    if text.strip().startswith(("${", "#{")):
        return " (this looks like JUEL, but the file declares Python; see docs/modeling.md)"
    if isinstance(error, IndentationError) and text.startswith(("\n", "\r")):
        return " (SpiffWorkflow runs the text as it is: start it on the line of the opening tag, unindented)"
    return ""


def python_syntax_error(text: str, mode: str) -> SyntaxError | None:
    """Compile ``text`` the way SpiffWorkflow's ``eval``/``exec`` will, returning the syntax error if any."""
    try:
        _compile(text, mode)
    except SyntaxError as error:
        return error
    return None


def _compile(text: str, mode: str, flags: int = 0) -> Any:
    source = text.lstrip(" \t") if mode == "eval" else text  # eval() strips these itself
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning and friends are not errors at run time
        return compile(source, "<model>", mode, flags)


def check_metadata_expressions(parsed: ParsedFile, node: Element) -> Iterator[ModelProblem]:
    """E033 for the expressions procflow evaluates besides SpiffWorkflow's: start rules, summary, deadlines."""
    if node.tag == bpmn_tag("process"):
        meta = process_metadata(parsed.root, node.get("id"))
        texts = {name: (meta[group] if group else meta).get(key) for name, (group, key) in PROCESS_EXPRESSIONS.items()}
    else:
        meta = task_metadata(node, None)
        texts = {name: meta.get(key) for name, key in TASK_EXPRESSIONS.items()}
    for name, text in texts.items():
        for _, refusal in sandbox_problems(text, "eval") if isinstance(text, str) else ():
            yield parsed.problem("E033", node, f"{name} uses what model code may not: {refusal}")


# -- timers -------------------------------------------------------------------------------------
_ISO_LOOKING = re.compile(r"(working:)?P(\d|T\d)|R\d*/|\d{4}-\d\d-\d\d")
_ANY_MOMENT = datetime(2026, 1, 1, tzinfo=UTC)  # cycles need a "now"; only their syntax matters here
_TIMER_KINDS = {
    "timeDate": ("date", "2026-05-01T09:00:00+07:00"),
    "timeDuration": ("duration", "PT2H, P3D or working:P2D"),
    "timeCycle": ("repeating interval", "R3/PT1H or R/2026-01-05T08:00:00+07:00/P7D"),
}


def check_timer(parsed: ParsedFile, definition: Element) -> Iterator[ModelProblem]:
    """E030: a timer needs ISO 8601 text or an expression; a literal must be valid ISO 8601."""
    body = next((child for child in definition if child.tag in {bpmn_tag(k) for k in _TIMER_KINDS}), None)
    if body is None:
        yield parsed.problem("E030", owner_of(definition), "timer has no timeDate, timeDuration or timeCycle",
                             at=definition)
        return
    try:
        text = translated(body, "timer")
    except ExpressionError as problem:
        yield parsed.problem("E030", owner_of(definition), _expression_message(body, local_name(body), problem),
                             at=body)
        return
    message = timer_problem(local_name(body), text)
    if message:
        yield parsed.problem("E030", owner_of(definition), message, at=body)
        return
    for _, refusal in sandbox_problems(body.text or "", "eval"):
        yield parsed.problem("E033", owner_of(definition), f"{local_name(body)} uses what model code may not: "
                                                           f"{refusal}", at=body)


def timer_problem(kind: str, text: str) -> str | None:
    """Say what is wrong with the timer ``text`` of ``kind`` (timeDate, ...), as translated to Python, if anything."""
    noun, example = _TIMER_KINDS[kind]
    try:  # ISO 8601 as BPMN writes it (PT1H), FEEL or JUEL: checked as the Python they become
        text = translate(text, PYTHON, "timer", declared=False) or text
    except ExpressionError as problem:
        return f"{kind} is not a valid expression: {problem}"
    value = text.strip()
    if not value:
        return f"{kind} is empty; write a {noun} such as {example}"
    if _ISO_LOOKING.match(value):
        return f"{kind} {value} is not a valid ISO 8601 {noun}; write e.g. {example}"
    error = python_syntax_error(text, "eval")
    if error is not None:
        return f"{kind} is not a Python expression: {error.msg}{_hint(text, error)}"
    literal = _compile(text, "eval", ast.PyCF_ONLY_AST).body
    if not isinstance(literal, ast.Constant):
        return None  # computed at run time
    if not isinstance(literal.value, str):
        kind_of = type(literal.value).__name__
        return f"{kind} must give a string, not {kind_of}; write a {noun} such as {example}"
    if kind == "timeDuration" and literal.value.strip().startswith(WORKING_PREFIX):
        return _working_problem(kind, literal.value)
    if _parses(kind, literal.value):
        return None
    return f"{kind} {literal.value!r} is not a valid ISO 8601 {noun}; write e.g. {example}"


def _working_problem(kind: str, value: str) -> str | None:
    """Ask procflow's calendar, which computes these timers, whether it reads ``value``."""
    try:
        parse_working_duration(value)
    except ValueError as error:
        return f"{kind}: {error}"
    return None


def _parses(kind: str, value: str) -> bool:
    """True when SpiffWorkflow can read the literal ``value`` as a timer of ``kind``."""
    try:
        if kind == "timeDate":
            return isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime)
        if kind == "timeDuration":
            return bool(TimerEventDefinition.parse_iso_duration(value))  # "P" parses, to nothing
        parse_recurring(value, _ANY_MOMENT)
    except Exception:  # SpiffWorkflow raises bare Exception, ValueError, AttributeError, IndexError...
        return False
    return True

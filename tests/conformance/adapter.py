"""Translate a betsy process into a model procflow can run (the study's "XSLT per engine").

The betsy processes are engine-neutral: script bodies are placeholder tokens and conditions are
Java/JUEL-style. This module rewrites only those placeholders, never the structure of a model, and
never looks at which test a model belongs to:

* scripts append to ``trace`` and ``markers``, two harness-owned globals of the script engine that
  play the part of betsy's log and marker files (a side effect outside the instance's data, so
  parallel branches and cancelled scopes cannot merge or drop entries);
* conditions become Python expressions (``test.contains("a")`` -> ``("a" in test)``);
* timer literals become quoted Python strings (``PT1S`` -> ``"PT1S"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TRACE = "trace"
MARKERS = "markers"
MARKER_ENTRY = "MARKER_exists"
DATA_ENTRY = "DATA_correct"
STRING_DATA = "String"
# betsy's THROW_ERROR throws `new BpmnError("ERR_CODE")` in every engine adapter of the study.
THROWN_ERROR_CODE = "ERR_CODE"
# betsy's data placeholders read and write the data item called "data" when a task names none.
DEFAULT_DATA = "data"

EXPRESSION_TAGS = ("conditionExpression", "condition", "loopCondition", "completionCondition",
                   "loopCardinality", "activationCondition")
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")
SILENT_SCRIPTS = ("CREATE_LOG_FILE", "WAIT_TEN_SECONDS", "CREATE_TIMESTAMP_LOG_1", "CREATE_TIMESTAMP_LOG_2")

_CONTAINS = re.compile(r"([A-Za-z_]\w*)\.contains\(\s*(\"[^\"]*\"|'[^']*')\s*\)")
_WRAPPED = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_JUEL_WORDS = {"true": "True", "false": "False", "null": "None", "&&": " and ", "||": " or "}
_WORD = re.compile(r"&&|\|\||\b(?:true|false|null)\b")
_NOT = re.compile(r"!(?!=)")


def _bpmn(name: str) -> str:
    return f"{{{BPMN}}}{name}"


def translate(content: bytes) -> bytes:
    """Return ``content`` (a betsy BPMN file) with scripts, conditions and timers in procflow's Python."""
    root = etree.fromstring(content)
    for script in root.iter(_bpmn("script")):
        script.text = translate_script((script.text or "").strip(), script.getparent())
    for tag in EXPRESSION_TAGS:
        for node in root.iter(_bpmn(tag)):
            node.text = translate_expression(node.text or "")
    for tag in TIMER_TAGS:
        for node in root.iter(_bpmn(tag)):
            node.text = quote_timer(node.text or "")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def translate_expression(text: str) -> str:
    """Turn a JUEL-style condition or expression into the equivalent Python expression."""
    wrapped = _WRAPPED.match(text)
    body = wrapped.group(1) if wrapped else text
    body = _CONTAINS.sub(lambda m: f"({m.group(2)} in {m.group(1)})", body)
    body = _WORD.sub(lambda m: _JUEL_WORDS[m.group(0)], body)
    body = _NOT.sub(" not ", body)
    return " ".join(body.split())


def quote_timer(text: str) -> str:
    """Write an ISO 8601 timer literal as a quoted Python string (an expression already quoted is kept)."""
    value = text.strip()
    if not value or value[0] in "\"'":
        return value
    return f'"{value}"'


def translate_script(token: str, task: etree._Element) -> str:
    """Return the Python that does what the placeholder ``token`` means in the study."""
    if token.startswith("SCRIPT_"):
        return _log(repr(token))
    if token in SILENT_SCRIPTS:
        return "pass"
    handler = SCRIPTS.get(token)
    if handler is None:
        raise ValueError(f"unknown betsy script placeholder {token!r}")
    return handler(task)


def _log(expression: str) -> str:
    return f"{TRACE}.append({expression})"


def _increment(task: etree._Element) -> str:
    return "integerVariable = integerVariable + 1"


def _increment_and_log(task: etree._Element) -> str:
    return f"{_increment(task)}\n{_log(repr('INCREMENT_correct'))}"


def _marker(task: etree._Element) -> str:
    return f"{MARKERS}.add({MARKER_ENTRY!r})"


def _throw_error(task: etree._Element) -> str:
    return f"raise BpmnError({THROWN_ERROR_CODE!r})"


def _set_string_data(task: etree._Element) -> str:
    targets = data_variables(task, "dataOutputAssociation", "targetRef", "dataOutput")
    return "\n".join(f"{name} = {STRING_DATA!r}" for name in targets)


def _log_data(task: etree._Element) -> str:
    name = data_variables(task, "dataInputAssociation", "sourceRef", "dataInput")[0]
    return _log(f"{DATA_ENTRY!r} if {name} == {STRING_DATA!r} else str({name})")


def data_variables(task: etree._Element, association: str, end: str, io_tag: str) -> list[str]:
    """The variables a task's data placeholder reads or writes: its inputs/outputs, its data objects, else ``data``."""
    names = [node.get("id") for node in task.iterfind(f"{_bpmn('ioSpecification')}/{_bpmn(io_tag)}")]
    for ref in task.iterfind(f"{_bpmn(association)}/{_bpmn(end)}"):
        names.append(_data_object_id(task, (ref.text or "").strip()))
    return list(dict.fromkeys(n for n in names if n)) or [DEFAULT_DATA]


def _data_object_id(task: etree._Element, reference_id: str) -> str:
    """The data object behind a ``dataObjectReference`` (SpiffWorkflow names the variable after it)."""
    for node in task.getroottree().iter(_bpmn("dataObjectReference")):
        if node.get("id") == reference_id:
            return str(node.get("dataObjectRef"))
    return reference_id


SCRIPTS: dict[str, Callable[[etree._Element], str]] = {
    "CREATE_MARKER_FILE": _marker,
    "INCREMENT_INTEGER_VARIABLE": _increment,
    "INCREMENT_INTEGER_VARIABLE_AND_LOG": _increment_and_log,
    "SET_STRING_DATA": _set_string_data,
    "LOG_DATA": _log_data,
    "THROW_ERROR": _throw_error,
}

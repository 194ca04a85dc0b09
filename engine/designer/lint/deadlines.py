"""Task deadlines, for ``procflow lint`` (W140, W141).

What engine.runtime.inbox_rows and engine.runtime.scheduling will fail to read.

``procflow:due`` (``camunda:dueDate``) is a Python expression evaluated on the task's data; each literal it can
give must be an ISO 8601 duration or date or a ``working:`` duration. ``procflow:reminder`` and
``procflow:reassignAfter`` are literals (quotes optional): ISO 8601 or ``working:`` durations.
``procflow:escalateTo`` (W141) must be one of engine.timers.escalation's forms, and a unit or group it names
literally must be one of the organisation's (when lint knows the organisation).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Collection, Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.bpmn.metadata import CAMUNDA_NS, NS, PROCFLOW_NS
from engine.calendar.working_time import WORKING_PREFIX, parse_working_duration
from engine.timers.escalation import GROUP, HEAD, parse_target, target_problem

Element = Any  # lxml ships no type hints
# our attribute -> Camunda's, as engine.bpmn.metadata reads them
DEADLINES = {"due": "dueDate", "reminder": None, "reassignAfter": None}
_UNQUOTED = re.compile(r"(working:)?P(\d|T\d)|\d{4}-\d\d-\d\d")
_DUE_EXAMPLES = '"P2D", "working:P2D" or "2026-05-05T09:00:00+07:00"'


def deadline_settings(task: Element) -> Iterator[tuple[str, str, Element, str]]:
    """Each deadline setting of ``task``: which one, its name as written, and the element and attribute holding it."""
    for ours, camunda in DEADLINES.items():
        found = task_setting(task, ours, camunda)
        if found is not None:
            yield ours, *found


def task_setting(task: Element, ours: str, camunda: str | None = None) -> tuple[str, Element, str] | None:
    """Where ``task`` sets procflow's ``ours`` (or Camunda's ``camunda``): its name as written, element, attribute."""
    properties = task.xpath("./bpmn:extensionElements/*/*[local-name()='property']", namespaces=NS)
    candidates = [(f"procflow:{ours}", task, f"{{{PROCFLOW_NS}}}{ours}")]
    if camunda:
        candidates.append((f"camunda:{camunda}", task, f"{{{CAMUNDA_NS}}}{camunda}"))
    candidates += [(f"property {p.get('name')}", p, "value") for p in properties if p.get("name") in (ours, camunda)]
    return next(((label, holder, attribute) for label, holder, attribute in candidates if holder.get(attribute)),
                None)


def looks_unquoted(text: str) -> bool:
    """True when ``text`` is an ISO 8601 literal written without quotes (Python would read it as a name)."""
    return bool(_UNQUOTED.match(text.strip()))


def due_problem(text: str) -> str | None:
    """Say why a task deadline expression cannot give a moment, if it cannot."""
    value = text.strip()
    if looks_unquoted(value):
        return f'{value} is not quoted; deadlines are Python expressions, so write "{value}"'
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(value, mode="eval")
    except SyntaxError as error:
        hint = " (a Camunda expression; procflow expects Python)" if value.startswith(("${", "#{")) else ""
        return f"is not a Python expression: {error.msg}{hint}"
    for outcome in _outcomes(tree.body):
        problem = _literal_problem(outcome.value) if isinstance(outcome, ast.Constant) else None
        if problem:
            return problem
    return None  # computed from the data at run time


def _outcomes(node: ast.expr) -> list[ast.expr]:
    """The expressions whose value an expression can give (both sides of ``a if c else b``, ``a or b``)."""
    if isinstance(node, ast.IfExp):
        return _outcomes(node.body) + _outcomes(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [outcome for value in node.values for outcome in _outcomes(value)]
    return [node]


def _literal_problem(value: Any) -> str | None:
    """Check a literal deadline the way engine.runtime.inbox_rows.deadline reads it."""
    if value is None or value == "":
        return None  # no deadline
    if not isinstance(value, str):
        return f"gives {value!r}, not a duration or date such as {_DUE_EXAMPLES}"
    text = value.strip()
    try:
        if text.startswith(WORKING_PREFIX):
            parse_working_duration(text)
        elif text.upper().startswith("P") and not TimerEventDefinition.parse_iso_duration(text):
            raise ValueError(text)
        elif not text.upper().startswith("P"):
            TimerEventDefinition.get_datetime(text)
    except ValueError as error:
        return str(error) if text.startswith(WORKING_PREFIX) else _not_a_deadline(value)
    except Exception:  # SpiffWorkflow raises a bare Exception for a bad duration
        return _not_a_deadline(value)
    return None


def _not_a_deadline(value: str) -> str:
    return f"{value!r} is neither an ISO 8601 duration or date nor a working: duration; write e.g. {_DUE_EXAMPLES}"


def duration_problem(text: str) -> str | None:
    """Say why a reminder or reassignment duration (a literal, quotes optional) does not parse, if it does not."""
    value = text.strip().strip('"').strip("'")
    try:
        if parse_working_duration(value) is not None or TimerEventDefinition.parse_iso_duration(value):
            return None
    except ValueError as error:
        return str(error)
    except Exception:  # SpiffWorkflow raises a bare Exception for a bad duration
        pass
    return (f'{text.strip()!r} is neither an ISO 8601 duration nor a working: duration; '
            f'write e.g. "PT4H" or "working:P1D"')


def escalation_problem(text: str, units: Collection[str] | None, groups: Collection[str] | None) -> str | None:
    """Say why ``procflow:escalateTo`` will name nobody: it is malformed, or names a unit or group nobody knows.

    Args:
        units: the organisation's unit codes; None skips the unit check.
        groups: the organisation's group codes and names; None skips the group check.
    """
    target = parse_target(text)
    if target is None:
        return target_problem(text)
    known = {HEAD: (units, "unit"), GROUP: (groups, "group (by code or name)")}.get(target.kind)
    if target.variable or known is None or known[0] is None or target.name in known[0]:
        return None
    return (f"{text.strip()!r} names no {known[1]} of the organisation: the escalation would go to the head of "
            f"the assignee's unit instead")

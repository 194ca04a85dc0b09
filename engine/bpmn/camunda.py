"""Camunda 7 (``camunda:``) and Camunda 8 (``zeebe:``) extensions, read as procflow's own task metadata.

Understood on user tasks: C7 ``camunda:assignee``, ``candidateUsers``, ``candidateGroups``, ``dueDate``,
``formKey``, ``formRef``; C8 ``zeebe:assignmentDefinition`` (assignee, candidateGroups, candidateUsers),
``zeebe:taskSchedule`` (dueDate), ``zeebe:formDefinition`` (formKey, formId). On call activities,
``zeebe:calledElement processId`` is the called process (their ``camunda:in``/``out`` and ``zeebe:ioMapping``
variable mappings are applied by engine/bpmn/io_mapping.py). Expressions are translated into procflow's
``${variable}`` form where that is exact (``=assignee`` and ``${assignee}``, a FEEL list of strings);
anything else cannot be honoured and :func:`expression` says so with None.

FEEL/JUEL translation hook: :func:`expression` is where the expression layer (engine/bpmn/expressions)
should take over for richer expressions once it exists.
"""

from __future__ import annotations

import json
import re
from typing import Any

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "zeebe": ZEEBE_NS}

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_JUEL_VARIABLE = re.compile(rf"^\$\{{\s*({_NAME})\s*\}}$")
_FEEL_VARIABLE = re.compile(rf"^=\s*({_NAME})\s*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")

# meaning -> (C8 element, its attribute)
ZEEBE_TASK = {
    "assignee": ("assignmentDefinition", "assignee"),
    "candidateGroups": ("assignmentDefinition", "candidateGroups"),
    "candidateUsers": ("assignmentDefinition", "candidateUsers"),
    "due": ("taskSchedule", "dueDate"),
    "form": ("formDefinition", "formKey"),
    "formId": ("formDefinition", "formId"),
}
ZEEBE_ASSIGNMENT = frozenset({"assignee", "candidateGroups", "candidateUsers"})


def expression(value: str) -> str | None:
    """``value`` in procflow's form (static text, or ``${variable}``); None when it cannot be translated exactly.

    Hook for the expression layer: richer FEEL (``=...``) and JUEL (``${...}``, ``#{...}``) go here.
    """
    text = value.strip()
    feel = _FEEL_VARIABLE.match(text)
    if feel:
        return f"${{{feel.group(1)}}}"
    if text.startswith("="):
        return _feel_list(text[1:])
    if _JUEL_VARIABLE.match(text):
        return text
    if "${" in text or "#{" in text:
        return None
    return text


def _feel_list(text: str) -> str | None:
    """A FEEL list of string literals (``["a", "b"]``) as ``a,b``."""
    try:
        items = json.loads(text)
    except ValueError:
        return None
    if isinstance(items, list) and all(isinstance(item, str) for item in items):
        return ",".join(items)
    return None


def zeebe(node: Any, element: str, attribute: str) -> str | None:
    """The attribute of a ``zeebe:<element>`` in the node's extension elements, or None."""
    found = node.xpath(f"./bpmn:extensionElements/zeebe:{element}/@{attribute}", namespaces=NS)
    return str(found[0]) if found else None


def zeebe_task_values(node: Any) -> dict[str, str]:
    """A user task's C8 settings under procflow's names, expressions translated where exact."""
    values: dict[str, str] = {}
    for ours, (element, attribute) in ZEEBE_TASK.items():
        raw = zeebe(node, element, attribute)
        if raw is None or not raw.strip():
            continue
        if ours == "due":
            values[ours] = f'"{raw.strip()}"' if _ISO_DATE.match(raw.strip()) else raw
        elif ours == "formId":
            values.setdefault("form", raw.strip())
        else:
            values[ours] = expression(raw) or raw
    return values


def called_element(node: Any) -> str | None:
    """The process a call activity calls: ``calledElement``, or C8's ``zeebe:calledElement processId``."""
    return node.get("calledElement") or zeebe(node, "calledElement", "processId")

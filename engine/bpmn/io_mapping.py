"""Variable mappings of Camunda models, applied: C7 ``camunda:in``/``camunda:out`` on call activities and C8
``zeebe:ioMapping`` (``zeebe:input``/``zeebe:output``) on tasks and call activities.

Read at deploy (:func:`attach`): each mapping's source is translated into Python by the expression layer (JUEL for
``camunda:`` ``sourceExpression``, FEEL for a ``zeebe:`` source written ``=...``; a ``zeebe:`` source without
``=`` is a text literal; a ``camunda:`` ``source`` names a variable) and kept in the task spec's extensions under
:data:`IO_KEY`, so it is stored with the version.

Applied at run time:

* **call activities** (engine.bpmn.scopes): the called process starts with the inputs — only those when the model
  has ``camunda:in`` without ``variables="all"`` or ``zeebe:calledElement propagateAllParentVariables="false"``,
  else the caller's data plus the inputs; when it ends the outputs are evaluated over its data and set in the
  caller's data — only those (the caller's data kept) when the model has ``camunda:out`` without
  ``variables="all"`` or ``propagateAllChildVariables="false"``, else over everything the called process left.
  A direction without any ``camunda:in``/``camunda:out`` keeps procflow's default: all the data passes.
* **other tasks** (``zeebe:ioMapping``): inputs are local variables the task sees while it is open (a variable they
  shadow gets its value back afterwards); with outputs, only the outputs reach the case's data (the task's own
  result variables stay local, as in Camunda 8); without outputs, the task's results reach the case and the input
  locals do not. They run as the task's pre- and post-script (:data:`IO_IN`, :data:`IO_OUT`), which the script
  engine hands to :func:`run_inputs` / :func:`run_outputs`; a model's own ``spiffworkflow:preScript`` and
  ``postScript`` still run (after the inputs, before the outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.bpmn.camunda import CAMUNDA_NS, ZEEBE_NS
from engine.bpmn.expressions import FEEL, JUEL, ExpressionError, python_name, translate

IO_KEY = "procflow:io"
IO_IN = "# procflow: zeebe:ioMapping inputs"
IO_OUT = "# procflow: zeebe:ioMapping outputs"
_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": CAMUNDA_NS, "zeebe": ZEEBE_NS}
Evaluate = Callable[[str, dict[str, Any]], Any]


class MappingError(ValueError):
    """A mapping that cannot be read; ``node`` is the extension element."""

    def __init__(self, message: str, node: Any) -> None:
        super().__init__(message)
        self.node = node


def read(node: Any) -> dict[str, Any] | None:
    """The mappings written on a BPMN element, ready to store (None when it has none).

    Raises:
        MappingError: a source or target cannot be read (the message names it).
    """
    inputs = [_camunda(n) for n in node.xpath("./bpmn:extensionElements/camunda:in", namespaces=_NS)
              if not _business_key_only(n)]
    outputs = [_camunda(n) for n in node.xpath("./bpmn:extensionElements/camunda:out", namespaces=_NS)]
    zeebe_in = [_zeebe(n) for n in node.xpath("./bpmn:extensionElements/zeebe:ioMapping/zeebe:input",
                                               namespaces=_NS)]
    zeebe_out = [_zeebe(n) for n in node.xpath("./bpmn:extensionElements/zeebe:ioMapping/zeebe:output",
                                                namespaces=_NS)]
    called = node.xpath("./bpmn:extensionElements/zeebe:calledElement", namespaces=_NS)
    if not (inputs or outputs or zeebe_in or zeebe_out or called):
        return None
    parent_all = not called or called[0].get("propagateAllParentVariables", "true") != "false"
    child_all = not called or called[0].get("propagateAllChildVariables", "true") != "false"
    return {
        "inputs": [m for m in inputs if m is not None] + zeebe_in,
        "outputs": [m for m in outputs if m is not None] + zeebe_out,
        # Whether everything passes besides the mapped variables.
        "all_in": (not inputs or any(n is None for n in inputs)) and parent_all,
        "all_out": (not outputs or any(n is None for n in outputs)) and child_all,
    }


def _business_key_only(node: Any) -> bool:
    """``<camunda:in businessKey="..."/>`` maps no variable (lint names it, W160)."""
    return node.get("businessKey") is not None and not (node.get("source") or node.get("sourceExpression")
                                                        or node.get("variables"))


def _camunda(node: Any) -> dict[str, str] | None:
    """One ``camunda:in``/``camunda:out``; None for ``variables="all"``."""
    if node.get("variables") == "all":
        return None
    target = node.get("target") or node.get("source")
    if node.get("sourceExpression"):
        source = _translated(node.get("sourceExpression"), JUEL, node)
    elif node.get("source"):  # a variable the other side lacks maps as null, as in Camunda
        return {"target": target, "source": _variable(node.get("source"), node), "variable": node.get("source")}
    else:
        raise MappingError("a camunda mapping needs source, sourceExpression or variables=\"all\"", node)
    if not target:
        raise MappingError("a camunda mapping with sourceExpression needs a target", node)
    return {"target": target, "source": source}


def _zeebe(node: Any) -> dict[str, str]:
    target, source = node.get("target"), node.get("source")
    if not target:
        raise MappingError("a zeebe mapping needs a target", node)
    text = (source or "").strip()
    if text.startswith("="):
        return {"target": target, "source": _translated(text, FEEL, node)}
    return {"target": target, "source": repr(source or "")}


def _variable(name: str, node: Any) -> str:
    python = python_name(name)
    if not python.isidentifier():
        raise MappingError(f"{name!r} is not a variable name", node)
    return python


def _translated(text: str, language: str, node: Any) -> str:
    try:
        source = translate(text, language, "value")
    except ExpressionError as error:
        raise MappingError(f"mapping source {text!r} cannot be read: {error}", node) from error
    return source if source is not None else text


def attach(task_spec: Any, mapping: dict[str, Any] | None, *, call: bool) -> None:
    """Keep ``mapping`` on a task spec; a task that is not a call activity runs it as its pre- and post-script."""
    if mapping is None or not hasattr(task_spec, "extensions"):
        return
    task_spec.extensions = {**(task_spec.extensions or {}), IO_KEY: dict(mapping)}
    if call or not (mapping["inputs"] or mapping["outputs"]) or not hasattr(task_spec, "prescript"):
        return
    task_spec.extensions[IO_KEY]["prescript"] = task_spec.prescript
    task_spec.extensions[IO_KEY]["postscript"] = task_spec.postscript
    task_spec.prescript, task_spec.postscript = IO_IN, IO_OUT


def mapping_of(task_spec: Any) -> dict[str, Any] | None:
    """The mappings stored on a task spec, or None."""
    return (getattr(task_spec, "extensions", None) or {}).get(IO_KEY)


def set_path(data: dict[str, Any], target: str, value: Any) -> None:
    """Set ``target`` in ``data``; ``a.b`` sets ``b`` inside the context ``a`` (made when missing)."""
    *parents, last = target.split(".")
    for name in parents:
        inner = data.get(name)
        if not isinstance(inner, dict):
            inner = data[name] = {}
        data = inner
    data[last] = value


# -- call activities ------------------------------------------------------------------------------
def _value(item: dict[str, str], data: dict[str, Any], evaluate: Evaluate) -> Any:
    return data.get(item["variable"]) if "variable" in item else evaluate(item["source"], data)


def call_inputs(mapping: dict[str, Any], data: dict[str, Any], evaluate: Evaluate) -> dict[str, Any]:
    """The data a called process starts with."""
    started = dict(data) if mapping["all_in"] else {}
    for item in mapping["inputs"]:
        set_path(started, item["target"], _value(item, data, evaluate))
    return started


def call_outputs(mapping: dict[str, Any], caller: dict[str, Any], child: dict[str, Any],
                 evaluate: Evaluate) -> dict[str, Any]:
    """The caller's data after the called process ended with ``child``."""
    result = dict(child) if mapping["all_out"] else dict(caller)
    for item in mapping["outputs"]:
        set_path(result, item["target"], _value(item, child, evaluate))
    return result


# -- tasks ------------------------------------------------------------------------------------------
_MISSING = "__procflow_missing__"


def run_inputs(task: Any, evaluate: Evaluate, execute: Callable[[str], Any]) -> None:
    """A task's ``zeebe:input`` locals (the case's variables they shadow remembered), then its own pre-script."""
    mapping = mapping_of(task.task_spec) or {}
    if "io_scope" not in task.internal_data:
        before = dict(task.data)
        values = [(item["target"], evaluate(item["source"], before)) for item in mapping.get("inputs", [])]
        task.internal_data["io_scope"] = sorted(before)
        task.internal_data["io_shadowed"] = {target.split(".")[0]: before.get(target.split(".")[0], _MISSING)
                                             for target, _ in values}
        for target, value in values:
            set_path(task.data, target, value)
    if mapping.get("prescript"):
        execute(mapping["prescript"])


def run_outputs(task: Any, evaluate: Evaluate, execute: Callable[[str], Any]) -> None:
    """A task's own post-script, then its ``zeebe:output`` mappings; input locals leave the case's data."""
    mapping = mapping_of(task.task_spec) or {}
    if mapping.get("postscript"):
        execute(mapping["postscript"])
    values = [(item["target"], evaluate(item["source"], dict(task.data))) for item in mapping.get("outputs", [])]
    scope = set(task.internal_data.pop("io_scope", list(task.data)))
    shadowed = task.internal_data.pop("io_shadowed", {})
    data = {k: v for k, v in task.data.items() if k in scope} if values else dict(task.data)
    for name, value in shadowed.items():
        if value == _MISSING:
            data.pop(name, None)
        else:
            data[name] = value
    for target, value in values:
        set_path(data, target, value)
    task.data = data

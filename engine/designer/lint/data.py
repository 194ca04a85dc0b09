"""The data of processes, for ``procflow lint``: which variables forms, scripts and events provide and read.

Processes that call each other share one data scope (SpiffWorkflow copies the caller's data into the called
process and back). The analysis is not flow-sensitive: a variable counts as provided when anything in the
scope provides it, wherever that is.

* Read: a name in a condition, script, timer, deadline, payload, loop or start rule (Python, parsed with
  ``ast``), ``${name}`` in an assignee or candidate list or in ``procflow:escalateTo``, a decision's input
  expression, a word of a form's ``=`` (FEEL) expression or ``{{ }}`` template.
* Provided: a form field, a name a script assigns, a start variable (``procflow:startVariables="a, b"`` on
  the process), a message/signal/error variable (``spiffworkflow:messageVariable``/``variableName``), the
  payload keys a caught message declares (``procflow:variables="a, b"`` on its ``bpmn:message``), a
  decision's output, a multi-instance item or output, a data object or a task's data input or output, a
  service task's result variable.
"""

from __future__ import annotations

import ast
import builtins
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.bpmn.metadata import BPMN_NS, CAMUNDA_NS, NS, PROCFLOW_NS, SPIFF_NS, process_metadata, task_metadata
from engine.bpmn.script_engine import SCRIPT_GLOBALS
from engine.bpmn.validation import PYTHON_TAGS
from engine.designer.lint.deadlines import looks_unquoted
from engine.designer.lint.forms import Form, FormCatalog, variable_of
from engine.timers.escalation import parse_target

Element = Any  # lxml ships no type hints
Finding = tuple[str, Element, str]  # file, element, message

# Python's builtins, the script engine's globals, and what script tasks get besides (engine.bpmn.events).
KNOWN_NAMES = frozenset(dir(builtins)) | frozenset(SCRIPT_GLOBALS) | {"BpmnError"}
_VARIABLE = re.compile(r"^\s*[$#]\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\s*$")


# -- Python ---------------------------------------------------------------------------------------
def _tree(text: str, mode: str) -> ast.AST | None:
    """Parse ``text`` as SpiffWorkflow will run it; None when it is not Python (validation reports that)."""
    source = text.lstrip(" \t") if mode == "eval" else text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(source, mode=mode)
    except (SyntaxError, ValueError):
        return None


def names_read(text: str, mode: str = "eval") -> set[str]:
    """The variables a Python expression or script reads."""
    tree = _tree(text, mode)
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} if tree else set()


def names_bound(text: str) -> set[str]:
    """The names a Python script assigns, imports or defines (its variables end up in the task data)."""
    tree = _tree(text, "exec")
    bound: set[str] = set()
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound


# -- what one process reads and provides --------------------------------------------------------------
@dataclass
class ProcessData:
    """The variables one process reads (with the element reading each) and provides."""

    process_id: str
    file: str
    uses: list[tuple[Element, str]] = field(default_factory=list)
    provides: set[str] = field(default_factory=set)
    forms: list[tuple[Element, str]] = field(default_factory=list)
    calls: set[str] = field(default_factory=set)
    decisions: set[str] = field(default_factory=set)

    def read(self, node: Element, names: Iterable[str]) -> None:
        """Record that the element owning ``node`` reads ``names``."""
        where = owner(node)
        self.uses.extend((where, name) for name in names)


def owner(node: Element) -> Element:
    """The element a user would name for ``node``: itself or its nearest ancestor with an id, skipping definitions."""
    for candidate in (node, *node.iterancestors()):
        name = str(candidate.tag).rsplit("}", 1)[-1]
        if candidate.get("id") and not name.endswith(("EventDefinition", "LoopCharacteristics")):
            return candidate
    return node


CATCHERS = frozenset(f"{{{BPMN_NS}}}{name}" for name in ("startEvent", "intermediateCatchEvent", "boundaryEvent",
                                                           "receiveTask"))
Collector = Callable[[ProcessData, Element], None]
COLLECTORS: dict[str, list[Collector]] = {}


def collect(process: Element, root: Element, file: str) -> ProcessData:
    """Gather what ``process`` (with its sub-processes) reads and provides."""
    data = ProcessData(process.get("id"), file)
    start = process_metadata(root, data.process_id).get("start") or {}
    for rule in ("refuse_if", "business_key"):
        data.read(process, names_read(start.get(rule) or ""))
    data.provides.update(_start_variables(process))
    for element in process.iter():
        for collector in COLLECTORS.get(element.tag, ()):
            collector(data, element)
    return data


def _start_variables(process: Element) -> list[str]:
    """The start data a process declares: ``procflow:startVariables`` or a ``startVariables`` property."""
    declared = process.get(f"{{{PROCFLOW_NS}}}startVariables") or ""
    for prop in process.xpath("./bpmn:extensionElements/*/*[local-name()='property'][@name='startVariables']",
                              namespaces=NS):
        declared += "," + (prop.get("value") or "")
    return [name.strip() for name in declared.split(",") if name.strip()]


def _python(data: ProcessData, node: Element) -> None:
    mode = PYTHON_TAGS.get(node.tag, ("", "eval"))[1]
    data.read(node, names_read(node.text or "", mode))
    if mode == "exec":
        data.provides.update(names_bound(node.text or ""))


def _timer(data: ProcessData, node: Element) -> None:
    if not looks_unquoted(node.text or ""):  # an unquoted "P2D" is E030, not a variable
        data.read(node, names_read(node.text or ""))


def _human_task(data: ProcessData, node: Element) -> None:
    meta = task_metadata(node, None)
    if meta["form"]:
        data.forms.append((node, meta["form"]))
    if not looks_unquoted(meta["due"] or ""):  # W140 says so; it is no variable
        data.read(node, names_read(meta["due"] or ""))
    for text in [*meta["candidate_groups"], *meta["candidate_users"], meta["assignee"] or ""]:
        match = _VARIABLE.match(text)
        if match:
            data.read(node, [match.group(1)])
    target = parse_target(meta["escalate_to"] or "")
    if target is not None and target.variable:  # read when the escalation fires
        data.read(node, [target.name])


def _start_event(data: ProcessData, node: Element) -> None:
    key = node.get(f"{{{PROCFLOW_NS}}}form") or node.get(f"{{{CAMUNDA_NS}}}formKey")
    if key:
        data.forms.append((node, key))


def _variable_name(data: ProcessData, node: Element) -> None:
    data.provides.add((node.text or "").strip())


def _item(data: ProcessData, node: Element) -> None:
    data.provides.update(name for name in (node.get("name"), node.get("id")) if name)


def _service_operator(data: ProcessData, node: Element) -> None:
    data.provides.add(node.get("resultVariable") or "")
    for parameter in node.iter(f"{{{SPIFF_NS}}}parameter"):
        data.read(node, names_read(parameter.get("value") or ""))


def _caught_message(data: ProcessData, node: Element) -> None:
    """A caught message without a message variable provides what its ``bpmn:message`` declares it carries."""
    catcher = node if node.tag == f"{{{BPMN_NS}}}receiveTask" else node.getparent()
    if catcher.tag not in CATCHERS or next(node.iter(f"{{{SPIFF_NS}}}messageVariable"), None) is not None:
        return
    root = node.getroottree().getroot()
    message = next((m for m in root.iterchildren(f"{{{BPMN_NS}}}message") if m.get("id") == node.get("messageRef")),
                   None)
    declared = message.get(f"{{{PROCFLOW_NS}}}variables") if message is not None else None
    data.provides.update(name.strip() for name in (declared or "").split(",") if name.strip())


def _decision_refs(data: ProcessData, node: Element) -> None:
    refs = [(n.text or "").strip() for n in node.iter(f"{{{SPIFF_NS}}}calledDecisionId")]
    data.decisions.update(ref for ref in [*refs, node.get(f"{{{CAMUNDA_NS}}}decisionRef")] if ref)


def register(collector: Collector, *tags: str) -> None:
    """Run ``collector`` on every element with one of ``tags`` (Clark notation)."""
    for tag in tags:
        COLLECTORS.setdefault(tag, []).append(collector)


def _bpmn(*names: str) -> list[str]:
    return [f"{{{BPMN_NS}}}{name}" for name in names]


def _spiff(*names: str) -> list[str]:
    return [f"{{{SPIFF_NS}}}{name}" for name in names]


register(_python, *PYTHON_TAGS, *_spiff("messagePayload", "payloadExpression"))
register(_timer, *_bpmn("timeDate", "timeDuration", "timeCycle"))
register(_human_task, *_bpmn("userTask", "manualTask"))
register(_start_event, *_bpmn("startEvent"))
register(_variable_name, *_bpmn("loopDataOutputRef"), *_spiff("messageVariable", "variableName"))
register(lambda data, node: data.read(node, [(node.text or "").strip()]), *_bpmn("loopDataInputRef"))
register(_item, *_bpmn("inputDataItem", "outputDataItem", "dataObject", "dataInput", "dataOutput"))
register(lambda data, node: data.calls.add(node.get("calledElement") or ""), *_bpmn("callActivity"))
register(_caught_message, *_bpmn("messageEventDefinition", "receiveTask"))
register(_decision_refs, *_bpmn("businessRuleTask"))
register(_service_operator, *_spiff("serviceTaskOperator"))


@dataclass(frozen=True)
class Decision:
    """The variables a DMN decision reads (its input expressions) and provides (its outputs)."""

    reads: frozenset[str]
    provides: frozenset[str]


def decisions(root: Element) -> dict[str, Decision]:
    """The decisions of one DMN file, by id."""
    found = {}
    for decision in root.iter("{*}decision"):
        reads = {name for text in decision.iterfind(".//{*}inputExpression/{*}text") for name in names_read(
            text.text or "")}
        provides = {variable_of(output.get("name") or "") for output in decision.iter("{*}output")}
        found[decision.get("id")] = Decision(frozenset(reads), frozenset(provides - {""}))
    return found


# -- scopes -------------------------------------------------------------------------------------------
@dataclass
class Scope:
    """Processes sharing their data through call activities, with the forms and decisions they use."""

    processes: list[ProcessData]
    forms: dict[str, Form | str | None]  # None: no forms folder to read it from
    decisions: list[Decision]
    external: bool  # calls a process or decision outside the files, which may read or provide anything

    def reads(self) -> set[str]:
        """Every variable something in the scope reads."""
        names = {name for p in self.processes for _, name in p.uses}
        names.update(name for d in self.decisions for name in d.reads)
        return names.union(*(form.reads for form in self.forms.values() if isinstance(form, Form)))

    def provided(self) -> set[str]:
        """Every variable something in the scope provides (Python's builtins and the script globals too)."""
        names = set(KNOWN_NAMES).union(*(p.provides for p in self.processes))
        names.update(name for d in self.decisions for name in d.provides)
        return names.union(*(form.fields for form in self.forms.values() if isinstance(form, Form)))


def scopes(processes: Sequence[ProcessData], known: dict[str, Decision], forms: FormCatalog | None) -> list[Scope]:
    """Group ``processes`` by the call activities between them."""
    by_id = {p.process_id: p for p in processes}
    group = {pid: {pid} for pid in by_id}
    for process in processes:
        for called in process.calls & by_id.keys():
            merged = group[process.process_id] | group[called]
            group.update(dict.fromkeys(merged, merged))
    result = []
    for members in {id(g): g for g in group.values()}.values():
        inside = [by_id[pid] for pid in sorted(members)]
        refs = {ref for p in inside for ref in p.decisions}
        keys = dict.fromkeys(key for p in inside for _, key in p.forms)
        external = any(p.calls - by_id.keys() for p in inside) or not refs <= known.keys()
        result.append(Scope(inside, {k: forms.get(k) if forms else None for k in keys},
                            [known[r] for r in sorted(refs & known.keys())], external))
    return result


def unread_fields(scope: Scope) -> Iterator[Finding]:
    """W130: form fields nothing in the scope reads, located at the first element showing the form."""
    if scope.external:
        return
    reads = scope.reads()
    shown = {key: (p.file, node) for p in reversed(scope.processes) for node, key in reversed(p.forms)}
    for key, form in scope.forms.items():
        if not isinstance(form, Form):
            continue
        elsewhere = {name for other, f in scope.forms.items() if other != key and isinstance(f, Form)
                     for name in f.fields}
        file, node = shown[key]
        for name in form.fields:
            if name not in reads and name not in elsewhere:
                yield file, node, (f"field {name} of form {key} ({form.path}) is never read: no condition, script, "
                                   f"deadline, decision or other form uses it")


def unprovided_variables(scope: Scope) -> Iterator[Finding]:
    """W131: variables read in the scope that nothing provides (skipped when a form or a callee is unknown)."""
    if scope.external or not all(isinstance(form, Form) for form in scope.forms.values()):
        return
    provided = scope.provided()
    for process in scope.processes:
        for node, name in dict.fromkeys(process.uses):
            if name and name not in provided:
                yield process.file, node, (f"reads variable {name}, which nothing provides: no form field, script, "
                                           f"start variable (procflow:startVariables), message or decision sets it")

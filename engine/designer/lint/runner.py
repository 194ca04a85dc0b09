"""``procflow lint``: everything deploy refuses (E0xx, see engine.bpmn.validation) plus warnings for designers.

Warnings (severity "warning") never stop a deployment. Codes:

* W101 a user task has no form (``procflow:form`` / ``camunda:formKey``)
* W102 a user or manual task reaches nobody: no lane, candidate group, candidate user or assignee
* W103 a lane that assigns tasks, or a candidate group, names no group of the organisation by code or name
  (only when the organisation's groups are known)
* W104 a form key has no readable Camunda Forms file ``<forms folder>/<key>.form`` (only with a forms folder)
* W110 a flow node cannot be reached from a start event (boundary events are reached through their activity,
  event sub-processes and compensation handlers through their level)
* W111 a dead end: a flow node with no outgoing flow that is not an end event, or the entry of a loop from
  which no end event can be reached
* W120 the file has no diagram, or a flow node, sequence flow or lane has no shape or edge in it
* W130 a form field nothing reads: no condition, script, timer, deadline, decision input or other form of the
  process (or of the processes it calls or is called by) uses its name
* W131 a variable is read that no form field, script, start variable, message or decision provides
  (skipped when a form or a called process or decision is not among the files); see engine.designer.lint.data
* W150 a message or signal is thrown where no process among the linted files catches it (engine.designer.lint.events)
* W140 a deadline does not parse: ``procflow:due``/``camunda:dueDate`` must be a Python expression whose
  literals are ISO 8601 durations or dates or ``working:`` durations; ``procflow:reminder`` and
  ``procflow:reassignAfter`` must be ISO 8601 or ``working:`` durations
* W141 ``procflow:escalateTo`` is malformed, or names a unit or group the organisation does not have (that part
  only when the organisation is known)

Checks are small functions in lookup tables (``ELEMENT_CHECKS`` by tag, ``FILE_CHECKS``, ``BATCH_CHECKS``),
like validation's.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree

from engine.bpmn.metadata import BPMN_NS, CAMUNDA_NS, HUMAN_TASKS, PROCFLOW_NS, task_metadata
from engine.bpmn.validation import SourceFile, validate_sources
from engine.designer.lint.data import Scope, collect, decisions, scopes, unprovided_variables, unread_fields
from engine.designer.lint.deadlines import (
    deadline_settings,
    due_problem,
    duration_problem,
    escalation_problem,
    task_setting,
)
from engine.designer.lint.events import event_uses, thrown_but_not_caught
from engine.designer.lint.flow import FLOW_NODES, dead_ends, local, unreachable
from engine.designer.lint.forms import FormCatalog
from engine.errors import InvalidModel, ModelProblem
from engine.inputs.safe_xml import parse_xml

Element = Any  # lxml ships no type hints
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
# Start tags in document order, skipping markup that is not an element.
_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>|(<)(?=[^/!?])", re.S)


def lint_sources(files: Sequence[SourceFile], *, groups: Collection[str] | None = None,
                 forms_dir: Path | None = None, known_processes: Collection[str] = (),
                 known_decisions: Collection[str] = (), units: Collection[str] | None = None) -> list[ModelProblem]:
    """Check model files as deploy would, and for what a designer should fix before deploying.

    Args:
        files: the files deployed together.
        groups: codes and names of the organisation's groups; None skips W103 (and W141's group check).
        forms_dir: the folder of ``<key>.form`` files; None skips W104 and W130 (and W131 where forms are used).
        known_processes: ids of processes already deployed.
        known_decisions: ids of decisions already deployed.
        units: codes of the organisation's units; None skips W141's unit check.

    Returns:
        Errors and warnings, sorted by file, line and column, each with a line and column (1 when unknown).
    """
    errors = validate_sources(files, known_processes=known_processes, known_decisions=known_decisions)
    context = LintContext(frozenset(groups) if groups is not None else None,
                          FormCatalog(forms_dir) if forms_dir is not None else None,
                          frozenset(units) if units is not None else None)
    batch = Batch([model for source in files if (model := Model.load(source, context)) is not None], context)
    problems = [batch.locate(error) for error in errors] + list(batch.warnings())
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.code, p.element_id or ""))


@dataclass(frozen=True)
class LintContext:
    """What models are compared with: the organisation's group codes and names, the forms, the unit codes."""

    groups: frozenset[str] | None
    forms: FormCatalog | None
    units: frozenset[str] | None = None


@dataclass(frozen=True, eq=False)
class Model:
    """One well-formed model file, with the positions of its elements in the text."""

    name: str
    content: bytes
    root: Element
    kind: str  # "bpmn" or "dmn"
    context: LintContext

    @classmethod
    def load(cls, source: SourceFile, context: LintContext) -> Model | None:
        """Parse ``source``; None when it is not a BPMN or DMN model (validation reports why)."""
        try:
            root = parse_xml(source.content, name=source.name)
        except (etree.XMLSyntaxError, InvalidModel):  # validation reports why
            return None
        namespace = etree.QName(root).namespace or ""
        kind = "bpmn" if namespace == BPMN_NS else "dmn" if "/spec/DMN/" in namespace else None
        if kind is None or local(root) != "definitions":
            return None
        return cls(source.name, source.content, root, kind, context)

    @cached_property
    def ids(self) -> dict[str, Element]:
        """Elements by id (the first, when an id is used twice)."""
        found: dict[str, Element] = {}
        for element in self.root.iter(etree.Element):
            found.setdefault(element.get("id"), element)
        return found

    @cached_property
    def lanes(self) -> dict[str, Element]:
        """The innermost lane of each flow node id (inner lanes come later in document order)."""
        return {(ref.text or "").strip(): lane for lane in self.root.iter(f"{{{BPMN_NS}}}lane")
                for ref in lane.iterchildren(f"{{{BPMN_NS}}}flowNodeRef")}

    @cached_property
    def _text(self) -> str:
        return self.content.decode("utf-8-sig", errors="replace")

    @cached_property
    def _starts(self) -> dict[Element, int]:
        """The offset of each element's start tag; empty when the text and the tree disagree."""
        offsets = [m.start(1) for m in _MARKUP.finditer(self._text) if m.group(1)]
        elements = list(self.root.iter(etree.Element))
        return dict(zip(elements, offsets, strict=True)) if len(offsets) == len(elements) else {}

    @cached_property
    def _lines(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self._text)]

    def meta(self, task: Element) -> dict[str, Any]:
        """procflow's metadata of a human task, as deploy reads it."""
        lane = self.lanes.get(task.get("id"))
        return task_metadata(task, lane.get("name") or lane.get("id") if lane is not None else None)

    def position(self, element: Element, attribute: str | None = None) -> tuple[int, int]:
        """Line and column (1-based) of ``element``'s start tag, or of its ``attribute`` (Clark notation)."""
        start = self._starts.get(element)
        if start is None:
            return element.sourceline or 1, 1
        if attribute is not None:
            start = self._attribute_offset(element, start, attribute) or start
        line = bisect.bisect_right(self._lines, start)
        return line, start - self._lines[line - 1] + 1

    def _attribute_offset(self, element: Element, start: int, attribute: str) -> int | None:
        qname = etree.QName(attribute)
        prefixes = [p for p, uri in element.nsmap.items() if uri == qname.namespace and p] if qname.namespace else []
        names = "|".join(re.escape(f"{p}:{qname.localname}") for p in prefixes) or re.escape(qname.localname)
        end = self._lines[element.sourceline] if element.sourceline < len(self._lines) else len(self._text)
        found = re.compile(rf"\s(?:{names})\s*=").search(self._text, start, end)
        return found.start() + 1 if found else None

    def indent(self, line: int) -> int:
        """The column of the first character on ``line`` that is not white space (1 for a blank line)."""
        start = self._lines[line - 1] if 0 < line <= len(self._lines) else 0
        text = self._text[start:self._lines[line]] if line < len(self._lines) else self._text[start:]
        return len(text) - len(text.lstrip()) + 1 if text.strip() else 1

    def warn(self, code: str, element: Element, message: str, attribute: str | None = None) -> ModelProblem:
        """A warning about ``element``, located at its start tag or at one of its attributes."""
        line, column = self.position(element, attribute)
        return ModelProblem(self.name, line, element.get("id"), message, code=code, severity="warning",
                            column=column)


@dataclass(frozen=True, eq=False)
class Batch:
    """The model files linted together."""

    models: list[Model]
    context: LintContext

    @cached_property
    def by_name(self) -> dict[str, Model]:
        """The models by file name."""
        return {model.name: model for model in self.models}

    def warnings(self) -> Iterator[ModelProblem]:
        """Run the batch, file and element checks."""
        for batch_check in BATCH_CHECKS:
            yield from batch_check(self)
        for model in self.models:
            if model.kind != "bpmn":
                continue
            for file_check in FILE_CHECKS:
                yield from file_check(model)
            for element in model.root.iter(etree.Element):
                for check in ELEMENT_CHECKS.get(element.tag, ()):
                    yield from check(model, element)

    def locate(self, problem: ModelProblem) -> ModelProblem:
        """Give a validation error a column: its element's start tag when on that element's line, else the text's."""
        model = self.by_name.get(problem.file)
        element = model.ids.get(problem.element_id) if model is not None and problem.element_id else None
        if problem.column is not None or model is None or not problem.line:
            return replace(problem, line=problem.line or 1, column=problem.column or 1)
        if element is not None and element.sourceline == problem.line:
            line, column = model.position(element)
            return replace(problem, line=line, column=column)
        return replace(problem, column=model.indent(problem.line))

    @cached_property
    def scopes(self) -> list[Scope]:
        """The data scopes of the batch's processes (see engine.designer.lint.data)."""
        known = {key: value for m in self.models if m.kind == "dmn" for key, value in decisions(m.root).items()}
        processes = [collect(process, m.root, m.name) for m in self.models if m.kind == "bpmn"
                     for process in m.root.iterchildren(f"{{{BPMN_NS}}}process")]
        return scopes(processes, known, self.context.forms)


# -- human tasks ----------------------------------------------------------------------------------------
def check_form(model: Model, task: Element) -> Iterator[ModelProblem]:
    """W101: a user task should show a form."""
    if not model.meta(task)["form"]:
        yield model.warn("W101", task, "user task has no form (procflow:form or camunda:formKey)")


def check_form_file(model: Model, element: Element) -> Iterator[ModelProblem]:
    """W104: the form a task or start event names should be a readable Camunda Forms file."""
    forms = model.context.forms
    key = model.meta(element)["form"] if local(element) in HUMAN_TASKS else (
        element.get(f"{{{PROCFLOW_NS}}}form") or element.get(f"{{{CAMUNDA_NS}}}formKey"))
    found = forms.get(key) if forms is not None and key else None
    if isinstance(found, str):
        yield model.warn("W104", element, found)


def check_assignment(model: Model, task: Element) -> Iterator[ModelProblem]:
    """W102: a human task must be offered to someone."""
    meta = model.meta(task)
    if not (meta["lane"] or meta["candidate_groups"] or meta["candidate_users"] or meta["assignee"]):
        yield model.warn("W102", task, "nobody is offered this task: it has no lane, candidate group, candidate "
                                       "user or assignee")


def check_candidate_groups(model: Model, task: Element) -> Iterator[ModelProblem]:
    """W103: each literal candidate group must be a group of the organisation."""
    groups = model.context.groups
    if groups is None:
        return
    for name in model.meta(task)["candidate_groups"]:
        if name not in groups and not name.startswith(("${", "#{")):
            yield model.warn("W103", task, f"candidate group {name!r} is no group of the organisation "
                                           f"(by code or name)")


def check_lane(model: Model, lane: Element) -> Iterator[ModelProblem]:
    """W103: a lane that gives tasks to its group must name a group of the organisation."""
    name = lane.get("name") or lane.get("id")
    if model.context.groups is None or name in model.context.groups:
        return
    refs = [(ref.text or "").strip() for ref in lane.iterchildren(f"{{{BPMN_NS}}}flowNodeRef")]
    tasks = [model.ids[ref] for ref in refs if ref in model.ids and local(model.ids[ref]) in HUMAN_TASKS]
    if any(model.lanes.get(t.get("id")) is lane and not model.meta(t)["candidate_groups"] for t in tasks):
        yield model.warn("W103", lane, f"lane {name!r} names no group of the organisation (by code or name), "
                                       f"so its tasks reach nobody")


# -- deadlines ----------------------------------------------------------------------------------------------
def check_deadlines(model: Model, task: Element) -> Iterator[ModelProblem]:
    """W140: a deadline must be Python giving a duration or date; a reminder or reassignment, a duration."""
    for ours, label, holder, attribute in deadline_settings(task):
        text = holder.get(attribute)
        problem = due_problem(text) if ours == "due" else duration_problem(text)
        if problem:
            yield replace(model.warn("W140", holder, f"{label} {problem}", attribute), element_id=task.get("id"))


def check_escalation(model: Model, task: Element) -> Iterator[ModelProblem]:
    """W141: ``procflow:escalateTo`` must be readable and name a unit or group the organisation has."""
    found = task_setting(task, "escalateTo")
    if found is None:
        return
    label, holder, attribute = found
    problem = escalation_problem(holder.get(attribute), model.context.units, model.context.groups)
    if problem:
        yield replace(model.warn("W141", holder, f"{label} {problem}", attribute), element_id=task.get("id"))


# -- flows and diagram -------------------------------------------------------------------------------------
def check_unreachable(model: Model, process: Element) -> Iterator[ModelProblem]:
    """W110: every flow node should be reachable from a start event."""
    for node in unreachable(process):
        yield model.warn("W110", node, f"{local(node)} cannot be reached: no path of sequence flows leads here "
                                       f"from a start event")


def check_dead_ends(model: Model, process: Element) -> Iterator[ModelProblem]:
    """W111: from every flow node an end event should be reachable."""
    for node, why in dead_ends(process):
        yield model.warn("W111", node, f"dead end: {why}")


def check_diagram(model: Model) -> Iterator[ModelProblem]:
    """W120: a file needs a diagram that draws every flow node, sequence flow and lane."""
    diagrams = list(model.root.iterchildren(f"{{{BPMNDI_NS}}}BPMNDiagram"))
    if not diagrams:
        yield model.warn("W120", model.root, "the file has no diagram (bpmndi:BPMNDiagram), so modelers cannot "
                                             "show it; open and save it in Camunda Modeler")
        return
    drawn = {e.get("bpmnElement") for d in diagrams for e in d.iter(f"{{{BPMNDI_NS}}}BPMNShape",
                                                                    f"{{{BPMNDI_NS}}}BPMNEdge")}
    for process in model.root.iterchildren(f"{{{BPMN_NS}}}process"):
        for element in process.iter(etree.Element):
            name = local(element)
            if element.tag.startswith(f"{{{BPMN_NS}}}") and _drawable(name) and element.get("id") not in drawn:
                what = "edge" if name == "sequenceFlow" else "shape"
                yield model.warn("W120", element, f"{name} has no {what} in the diagram")


def _drawable(name: str) -> bool:
    return name in FLOW_NODES or name in ("sequenceFlow", "lane")


# -- data ----------------------------------------------------------------------------------------------------
def check_unread_fields(batch: Batch) -> Iterator[ModelProblem]:
    """W130: every form field should be read by something."""
    if batch.context.forms is not None:
        for scope in batch.scopes:
            for file, element, message in unread_fields(scope):
                yield batch.by_name[file].warn("W130", element, message)


def check_unprovided_variables(batch: Batch) -> Iterator[ModelProblem]:
    """W131: every variable read should be provided by something."""
    for scope in batch.scopes:
        for file, element, message in unprovided_variables(scope):
            yield batch.by_name[file].warn("W131", element, message)


def check_undelivered_events(batch: Batch) -> Iterator[ModelProblem]:
    """W150: what a process throws, some process among the files should catch."""
    uses = [use for m in batch.models if m.kind == "bpmn" for use in event_uses(m.name, m.root)]
    for use, message in thrown_but_not_caught(uses):
        yield batch.by_name[use.file].warn("W150", use.element, message)


# -- the tables ---------------------------------------------------------------------------------------------
ElementCheck = Callable[[Model, Element], Iterable[ModelProblem]]
FileCheck = Callable[[Model], Iterable[ModelProblem]]
BatchCheck = Callable[[Batch], Iterable[ModelProblem]]

FILE_CHECKS: list[FileCheck] = [check_diagram]
BATCH_CHECKS: list[BatchCheck] = [check_unread_fields, check_unprovided_variables, check_undelivered_events]
ELEMENT_CHECKS: dict[str, list[ElementCheck]] = {}


def register(check: ElementCheck, *names: str) -> None:
    """Run ``check`` on every BPMN element named one of ``names``."""
    for name in names:
        ELEMENT_CHECKS.setdefault(f"{{{BPMN_NS}}}{name}", []).append(check)


register(check_form, "userTask")
register(check_form_file, *HUMAN_TASKS, "startEvent")
register(check_assignment, *HUMAN_TASKS)
register(check_candidate_groups, *HUMAN_TASKS)
register(check_lane, "lane")
register(check_deadlines, *HUMAN_TASKS)
register(check_escalation, *HUMAN_TASKS)
register(check_unreachable, "process")
register(check_dead_ends, "process")

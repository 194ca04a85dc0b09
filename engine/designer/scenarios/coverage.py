"""Which flow elements and sequence flows of the models the scenarios reached, inferred from history.

A scenario's history gives, in order, when each element was *reached* (a user or manual task opened, an
element completed or failed, whichever came first for that Spiff task) and when it *completed*. A sequence
flow ``S -> T`` counts as taken when ``T`` is reached and ``S`` completed since ``T`` was last reached; when
several sources qualify, the one that completed most recently is credited, except at a parallel, inclusive
or complex gateway (a join), where every qualifying source is. See docs/scenarios.md for the limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from engine.bpmn.metadata import BPMN_NS
from engine.cases.queries import HistoryView
from engine.errors import InvalidInput
from engine.i18n import N_

FLOW_NODES = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
})
JOINS = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
REACHING = frozenset({"task_created", "element_completed", "task_completed", "error"})
COMPLETING = frozenset({"element_completed", "task_completed"})
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


@dataclass(frozen=True)
class ProcessModel:
    """The flow nodes and sequence flows of one BPMN process, and what it calls."""

    process_id: str
    file: Path
    nodes: dict[str, str]                  # element id -> BPMN tag (userTask, exclusiveGateway, ...)
    flows: dict[str, tuple[str, str]]      # sequence flow id -> (source id, target id)
    calls: frozenset[str] = frozenset()    # process ids of its call activities
    decisions: frozenset[str] = frozenset()  # DMN decision ids of its business rule tasks

    def incoming(self, target: str) -> list[tuple[str, str]]:
        """The (flow id, source id) pairs of the sequence flows into ``target``."""
        return [(fid, source) for fid, (source, goal) in self.flows.items() if goal == target]


@dataclass(frozen=True)
class ModelFile:
    """A BPMN or DMN file: the processes or decisions it defines."""

    path: Path
    processes: tuple[ProcessModel, ...] = ()
    decisions: frozenset[str] = frozenset()


def read_model_file(path: Path) -> ModelFile:
    """Read the processes (with flow nodes) of a BPMN file or the decisions of a DMN file."""
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise InvalidInput(N_("{path}: cannot read the model ({error})"), path=path, error=exc) from exc
    if path.suffix == ".dmn":
        return ModelFile(path, decisions=frozenset(i for d in root.iter("{*}decision") if (i := d.get("id"))))
    processes = tuple(_process(path, p) for p in root.iter(f"{{{BPMN_NS}}}process"))
    return ModelFile(path, processes=tuple(p for p in processes if p.nodes))


def _process(path: Path, element: Any) -> ProcessModel:
    nodes, flows = {}, {}
    for child in element.iter(f"{{{BPMN_NS}}}*"):
        tag = etree.QName(child).localname
        if tag in FLOW_NODES and child.get("id"):
            nodes[child.get("id")] = tag
        elif tag == "sequenceFlow" and child.get("id"):
            flows[child.get("id")] = (child.get("sourceRef"), child.get("targetRef"))
    calls = frozenset(c.get("calledElement") for c in element.iter(f"{{{BPMN_NS}}}callActivity")
                      if c.get("calledElement"))
    return ProcessModel(element.get("id"), path, nodes, flows, calls, _decision_refs(element))


def _decision_refs(element: Any) -> frozenset[str]:
    refs = set()
    for task in element.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        if task.get(f"{{{CAMUNDA_NS}}}decisionRef"):
            refs.add(task.get(f"{{{CAMUNDA_NS}}}decisionRef"))
        refs.update(n.text.strip() for n in task.iter(f"{{{SPIFF_NS}}}calledDecisionId") if n.text)
    return frozenset(refs)


def files_to_deploy(models: Sequence[Path]) -> list[ModelFile]:
    """``models`` plus the files beside them that define the processes and decisions they call (transitively)."""
    chosen = {m.resolve(): read_model_file(m) for m in models}
    folders = {m.resolve().parent for m in models}
    around = [read_model_file(p) for folder in sorted(folders) for p in sorted(folder.iterdir())
              if p.suffix in (".bpmn", ".dmn") and p.resolve() not in chosen]
    while True:
        wanted_processes, wanted_decisions = _still_wanted(chosen.values())
        extra = [f for f in around if f.path.resolve() not in chosen
                 and ({p.process_id for p in f.processes} & wanted_processes or f.decisions & wanted_decisions)]
        if not extra:
            return list(chosen.values())
        chosen.update((f.path.resolve(), f) for f in extra)


def _still_wanted(files: Iterable[ModelFile]) -> tuple[set[str], set[str]]:
    processes = [p for f in files for p in f.processes]
    defined = {p.process_id for p in processes}
    decided = {d for f in files for d in f.decisions}
    called = {c for p in processes for c in p.calls} - defined
    return called, {d for p in processes for d in p.decisions} - decided


def processes_run(files: Sequence[ModelFile], process_id: str) -> list[ProcessModel]:
    """The process ``process_id`` and every process it calls, directly or not, among ``files``."""
    by_id = {p.process_id: p for f in files for p in f.processes}
    found: dict[str, ProcessModel] = {}
    waiting = [process_id]
    while waiting:
        current = by_id.get(waiting.pop())
        if current is not None and current.process_id not in found:
            found[current.process_id] = current
            waiting.extend(current.calls)
    return list(found.values())


# -- visits -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Visit:
    """An element was reached (``reached``) or completed (``completed``) at this point of the history."""

    kind: str
    element_id: str


def visits_of(history: Iterable[HistoryView]) -> list[Visit]:
    """The ordered reach and completion events in an instance's history."""
    seen: set[str] = set()
    out: list[Visit] = []
    for event in history:
        if event.element_id is None or event.kind not in REACHING:
            continue
        if event.task_id is None or event.task_id not in seen:
            out.append(Visit("reached", event.element_id))
        if event.task_id is not None:
            seen.add(event.task_id)
        if event.kind in COMPLETING:
            out.append(Visit("completed", event.element_id))
    return out


def trace_of(history: Iterable[HistoryView]) -> list[str]:
    """The ordered element ids of every completed BPMN element, user tasks included."""
    return [h.element_id for h in history if h.kind in COMPLETING and h.element_id is not None]


def reached_and_taken(model: ProcessModel, visits: Sequence[Visit]) -> tuple[set[str], set[str]]:
    """The elements of ``model`` that ``visits`` reached and the sequence flows they took (see the module doc)."""
    reached: set[str] = set()
    taken: set[str] = set()
    completed_at: dict[str, int] = {}
    last_reached: dict[str, int] = {}
    for index, visit in enumerate(visits):
        element = visit.element_id
        if element not in model.nodes:
            continue
        if visit.kind == "completed":
            completed_at[element] = index
            continue
        reached.add(element)
        since, last_reached[element] = last_reached.get(element, -1), index
        fresh = sorted((completed_at[source], fid) for fid, source in model.incoming(element)
                       if completed_at.get(source, -1) > since)
        if model.nodes[element] in JOINS:
            taken.update(fid for _, fid in fresh)
        elif fresh:
            taken.add(fresh[-1][1])
    return reached, taken


# -- the report ---------------------------------------------------------------------------------------
@dataclass
class ProcessCoverage:
    """What the scenarios reached of one process."""

    process_id: str
    file: str
    elements: int
    flows: int
    unreached_elements: list[str] = field(default_factory=list)
    untaken_flows: list[tuple[str, str, str]] = field(default_factory=list)  # (flow id, source, target)

    @property
    def complete(self) -> bool:
        """True when every element and every sequence flow was reached."""
        return not self.unreached_elements and not self.untaken_flows

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"process": self.process_id, "file": self.file, "elements": self.elements, "flows": self.flows,
                "unreached_elements": self.unreached_elements,
                "untaken_flows": [{"id": f, "source": s, "target": t} for f, s, t in self.untaken_flows]}


class CoverageCounter:
    """Gathers what each scenario reached, process by process."""

    def __init__(self) -> None:
        self._models: dict[tuple[Path, str], ProcessModel] = {}
        self._reached: dict[tuple[Path, str], set[str]] = {}
        self._taken: dict[tuple[Path, str], set[str]] = {}

    def include(self, models: Iterable[ProcessModel]) -> None:
        """Report on these processes even if no scenario ran them."""
        for model in models:
            key = (model.file.resolve(), model.process_id)
            self._models.setdefault(key, model)
            self._reached.setdefault(key, set())
            self._taken.setdefault(key, set())

    def add(self, models: Iterable[ProcessModel], visits: Sequence[Visit]) -> None:
        """Credit ``models`` (a scenario's process and those it calls) with what ``visits`` reached."""
        for model in models:
            self.include([model])
            key = (model.file.resolve(), model.process_id)
            reached, taken = reached_and_taken(model, visits)
            self._reached[key] |= reached
            self._taken[key] |= taken

    def report(self, relative_to: Path | None = None) -> list[ProcessCoverage]:
        """Per process, sorted by file and id: totals and what was not reached."""
        out = []
        for key in sorted(self._models):
            model = self._models[key]
            out.append(ProcessCoverage(
                model.process_id, display_path(model.file, relative_to), len(model.nodes), len(model.flows),
                [n for n in model.nodes if n not in self._reached[key]],
                [(f, s, t) for f, (s, t) in model.flows.items() if f not in self._taken[key]]))
        return out


def display_path(path: Path, relative_to: Path | None = None) -> str:
    """``path`` relative to ``relative_to`` (default: the working folder) when inside it, else as given."""
    relative_to = relative_to or Path.cwd()
    if path.resolve().is_relative_to(relative_to.resolve()):
        return str(path.resolve().relative_to(relative_to.resolve()))
    return str(path)

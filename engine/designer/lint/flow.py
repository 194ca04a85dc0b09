"""The sequence-flow graph of a process, for ``procflow lint``: what no start event reaches, and where tokens stop.

Each process, sub-process, transaction and event sub-process is a level with its own start and end events.
A level is entered at its start events (or, without any, at its flow nodes with no incoming flow); entering
it also arms its event sub-processes and compensation handlers, and reaching an activity arms the boundary
events attached to it. A throwing link event continues at the catching link event of the same name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.bpmn.metadata import BPMN_NS
from engine.bpmn.validation import ACTIVITIES

Element = Any  # lxml ships no type hints

EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
                      "complexGateway"})
FLOW_NODES = ACTIVITIES | EVENTS | GATEWAYS
LEVELS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
LINK = f"{{{BPMN_NS}}}linkEventDefinition"



def local(element: Element) -> str:
    """The tag of ``element`` without its namespace."""
    return str(etree.QName(element).localname)


def flow_nodes(level: Element) -> list[Element]:
    """The flow nodes directly inside a process or sub-process."""
    return [child for child in level if isinstance(child.tag, str) and child.tag.startswith(f"{{{BPMN_NS}}}")
            and local(child) in FLOW_NODES]


def _armed(node: Element) -> bool:
    """True for what is reached by entering its level rather than by a flow: event sub-processes, handlers."""
    return node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true"


@dataclass
class FlowGraph:
    """Sequence flows and link jumps between the flow nodes of one process, with attached boundary events."""

    levels: list[Element]
    successors: dict[Element, list[Element]] = field(default_factory=dict)
    predecessors: dict[Element, list[Element]] = field(default_factory=dict)
    boundaries: dict[Element, list[Element]] = field(default_factory=dict)

    @classmethod
    def of(cls, process: Element) -> FlowGraph:
        """Build the graph of ``process`` and every sub-process level inside it."""
        graph = cls([process, *(e for e in process.iterdescendants() if _is_level(e))])
        for level in graph.levels:
            graph._connect(level)
        return graph

    def _connect(self, level: Element) -> None:
        nodes = {node.get("id"): node for node in flow_nodes(level)}
        for flow in level.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"):
            source, target = nodes.get(flow.get("sourceRef")), nodes.get(flow.get("targetRef"))
            if source is not None and target is not None:
                self._edge(source, target)
        catches = _links(nodes.values(), "intermediateCatchEvent")
        for name, throws in _links(nodes.values(), "intermediateThrowEvent").items():
            for throw in throws:
                for catch in catches.get(name, []):
                    self._edge(throw, catch)
        for node in nodes.values():
            if local(node) == "boundaryEvent" and node.get("attachedToRef") in nodes:
                self.boundaries.setdefault(nodes[node.get("attachedToRef")], []).append(node)

    def _edge(self, source: Element, target: Element) -> None:
        self.successors.setdefault(source, []).append(target)
        self.predecessors.setdefault(target, []).append(source)

    def entries(self, level: Element) -> list[Element]:
        """Where a token starts when ``level`` is entered, plus what entering it arms."""
        nodes = flow_nodes(level)
        starts = [n for n in nodes if local(n) == "startEvent"] or [
            n for n in nodes if not self.predecessors.get(n) and local(n) != "boundaryEvent" and not _armed(n)]
        return starts + [n for n in nodes if _armed(n)]

    def reached(self) -> set[Element]:
        """Every flow node some path from the process's start events reaches."""
        seen: set[Element] = set()
        todo = self.entries(self.levels[0])
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(self.successors.get(node, ()))
            todo.extend(self.boundaries.get(node, ()))
            if _is_level(node):
                todo.extend(self.entries(node))
        return seen


def _is_level(element: Element) -> bool:
    return isinstance(element.tag, str) and element.tag.startswith(f"{{{BPMN_NS}}}") and local(element) in LEVELS


def _links(nodes: Iterable[Element], tag: str) -> dict[str, list[Element]]:
    """Link events of one kind by link name (the definition's name, else the event's)."""
    found: dict[str, list[Element]] = {}
    for node in nodes:
        link = node.find(LINK)
        if local(node) == tag and link is not None:
            found.setdefault(link.get("name") or node.get("name") or "", []).append(node)
    return found


def unreachable(process: Element) -> Iterator[Element]:
    """Flow nodes no start event reaches, in levels that are themselves reached (W110)."""
    graph = FlowGraph.of(process)
    seen = graph.reached()
    for level in graph.levels:
        if level is process or level in seen:
            yield from (node for node in flow_nodes(level) if node not in seen)


def dead_ends(process: Element) -> Iterator[tuple[Element, str]]:
    """Where a token can get no further to an end event of its level, with why (W111)."""
    graph = FlowGraph.of(process)
    for level in graph.levels:
        if local(level) != "adHocSubProcess":  # an ad-hoc sub-process ends by its completion condition
            yield from _dead_ends_in(graph, level)


def _dead_ends_in(graph: FlowGraph, level: Element) -> Iterator[tuple[Element, str]]:
    """Report each node without a way out, and the entry of each loop without an exit (not every node behind)."""
    nodes = [node for node in flow_nodes(level) if not _armed(node)]
    alive = _closure([n for n in nodes if local(n) == "endEvent"], graph.predecessors)
    dead = [node for node in nodes if node not in alive]
    stuck = [node for node in dead if not graph.successors.get(node)]
    for node in stuck:
        if not _is_link_throw(node):  # a link that no event catches is refused at deploy (E050)
            yield node, f"{local(node)} has no outgoing sequence flow and is not an end event"
    escapes = _closure(stuck, graph.predecessors)
    trapped = {node for node in dead if node not in escapes}
    for node in dead:
        before = graph.predecessors.get(node, [])
        if node in trapped and (not before or any(p not in trapped for p in before)):
            yield node, f"no end event can be reached from this {local(node)}: the flows after it loop without an exit"


def _is_link_throw(node: Element) -> bool:
    return local(node) == "intermediateThrowEvent" and node.find(LINK) is not None


def _closure(starts: list[Element], edges: dict[Element, list[Element]]) -> set[Element]:
    """Every node reachable from ``starts`` along ``edges``."""
    seen: set[Element] = set()
    todo = list(starts)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen

"""What changed in a process between two versions: elements added, removed and changed, by id.

Computed from the parsed models, not the text: moving a shape on the diagram changes nothing here, renaming a
task, editing a condition, a deadline or a candidate group changes that element. The elements compared are the
flow nodes, sequence flows, lanes, data objects and text annotations of the process (sub-process contents
included); each is compared with its attributes and child elements (extension elements, conditions, event
definitions, documentation), leaving out what modelers renumber on their own (ids of nested event definitions
and expressions) and the ``incoming``/``outgoing`` lists (a changed flow is reported as that flow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.bpmn.metadata import BPMN_NS
from engine.designer.scenarios.coverage import FLOW_NODES
from engine.inputs.safe_xml import parse_xml

TRACKED = FLOW_NODES | {"sequenceFlow", "lane", "dataObject", "dataObjectReference", "dataStoreReference",
                        "textAnnotation", "association", "boundaryEvent"}
IGNORED_CHILDREN = {"incoming", "outgoing"}
_PREFIXES = {"http://camunda.org/schema/1.0/bpmn": "camunda", "http://camunda.org/schema/zeebe/1.0": "zeebe",
             "https://procflow.dev/bpmn": "procflow", "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow",
             "http://www.w3.org/2001/XMLSchema-instance": "xsi"}
Element = Any


@dataclass(frozen=True)
class ElementChange:
    """One element that is new, gone or different; ``aspects`` say what differs (attributes, child elements)."""

    id: str
    kind: str
    name: str
    aspects: tuple[str, ...] = ()


@dataclass
class ModelDiff:
    """The differences between version ``old`` and version ``new`` of one process."""

    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the two versions run the same elements the same way."""
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the page marks the ids on the diagrams)."""
        def rows(items: list[ElementChange]) -> list[dict[str, Any]]:
            return [{"id": c.id, "kind": c.kind, "name": c.name, "aspects": list(c.aspects)} for c in items]
        return {"added": rows(self.added), "removed": rows(self.removed), "changed": rows(self.changed)}


def diff_process(old_xml: bytes | str, new_xml: bytes | str, process_id: str) -> ModelDiff:
    """Compare process ``process_id`` as defined in two BPMN documents."""
    old = _elements(parse_xml(old_xml, name="old.bpmn"), process_id)
    new = _elements(parse_xml(new_xml, name="new.bpmn"), process_id)
    result = ModelDiff()
    for element_id, element in new.items():
        if element_id not in old:
            result.added.append(_change(element_id, element))
        else:
            aspects = _aspects(old[element_id], element)
            if aspects:
                result.changed.append(_change(element_id, element, aspects))
    result.removed = [_change(i, e) for i, e in old.items() if i not in new]
    return result


def _elements(root: Element, process_id: str) -> dict[str, Element]:
    process = next((p for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == process_id), None)
    if process is None:
        return {}
    return {e.get("id"): e for e in process.iter(f"{{{BPMN_NS}}}*")
            if etree.QName(e).localname in TRACKED and e.get("id")}


def _change(element_id: str, element: Element, aspects: tuple[str, ...] = ()) -> ElementChange:
    return ElementChange(element_id, etree.QName(element).localname, element.get("name") or "", aspects)


def _aspects(old: Element, new: Element) -> tuple[str, ...]:
    """What differs between two versions of an element: its kind, attributes by name, child elements by tag."""
    found: list[str] = []
    if old.tag != new.tag:
        found.append("type")
    old_attrs, new_attrs = _attributes(old), _attributes(new)
    found.extend(sorted(k for k in old_attrs.keys() | new_attrs.keys() if old_attrs.get(k) != new_attrs.get(k)))
    old_children, new_children = _children(old), _children(new)
    found.extend(sorted(k for k in old_children.keys() | new_children.keys()
                        if old_children.get(k) != new_children.get(k)))
    return tuple(found)


def _name(qualified: str) -> str:
    q = etree.QName(qualified)
    if not q.namespace or q.namespace == BPMN_NS:
        return q.localname
    return f"{_PREFIXES.get(q.namespace, q.namespace)}:{q.localname}"


def _attributes(element: Element) -> dict[str, str]:
    return {_name(k): v for k, v in element.attrib.items() if k != "id"}


def _children(element: Element) -> dict[str, list[Any]]:
    """Child elements that are not compared on their own, by tag, each as a canonical tuple."""
    found: dict[str, list[Any]] = {}
    for child in element.iterchildren(etree.Element):
        name = _name(child.tag)
        if name in IGNORED_CHILDREN or (etree.QName(child).localname in TRACKED and child.get("id")):
            continue
        found.setdefault(name, []).append(_canonical(child))
    return found


def _canonical(element: Element) -> tuple[Any, ...]:
    attributes = tuple(sorted((k, v) for k, v in _attributes(element).items()))
    children = tuple(_canonical(c) for c in element.iterchildren(etree.Element)
                     if not (etree.QName(c).localname in TRACKED and c.get("id")))
    return _name(element.tag), attributes, (element.text or "").strip(), children

"""BPMN 2.0 constraints on collaborations, references and data (see engine.bpmn.validation).

* E073 a message flow connects two different pools (EXT.031), leaves only a participant, an activity, an
  intermediate throw or an end event and reaches only a participant, an activity, a start, intermediate catch
  or boundary event (EXT.008, EXT.009, EXT.102, EXT.108, EXT.119); a start event it reaches and an end event
  it leaves should be message events (EXT.103, EXT.109: W170, a warning, since procedures draw the letter
  that opens a case by hand as a message flow to a none start event)
* E074 a reference names an element of the right kind (BPMNspector's REF_EXISTENCE and REF_TYPE): a
  participant's process, a data object or data store reference's object or store, a data association's
  source and target, a lane's flow nodes, an input or output set's data, a message flow's message, an
  ``eventDefinitionRef``, a compensation's activity
* E075 data: sub-processes have no ioSpecification (EXT.079), every data input is in an input set and every
  data output in an output set (EXT.084, EXT.088), a data association without a transformation has one
  source (EXT.092)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag, local_name
from engine.bpmn.validation.spec_events import trigger
from engine.bpmn.validation.structure import ACTIVITIES
from engine.errors import ModelProblem

ITEM_AWARE = frozenset({"dataObject", "dataObjectReference", "dataStore", "dataStoreReference", "property",
                        "dataInput", "dataOutput"})
FLOW_NODE_KINDS = ACTIVITIES | {"startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent",
                                "intermediateThrowEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
                                "complexGateway", "eventBasedGateway"}
MESSAGE_SOURCES = ACTIVITIES | {"participant", "intermediateThrowEvent", "endEvent"}
MESSAGE_TARGETS = ACTIVITIES | {"participant", "startEvent", "intermediateCatchEvent", "boundaryEvent"}
EVENT_DEFINITIONS = frozenset({f"{kind}EventDefinition" for kind in (
    "message", "timer", "signal", "conditional", "error", "escalation", "compensate", "cancel", "link", "terminate")})

# tag -> [(attribute, or "" for the text of child elements of that name), the kinds it may name]
REFERENCES: dict[str, list[tuple[str, frozenset[str]]]] = {
    "participant": [("processRef", frozenset({"process"}))],
    "messageFlow": [("messageRef", frozenset({"message"}))],
    "dataObjectReference": [("dataObjectRef", frozenset({"dataObject"}))],
    "dataStoreReference": [("dataStoreRef", frozenset({"dataStore"}))],
    "dataInputAssociation": [("sourceRef/", ITEM_AWARE), ("targetRef/", ITEM_AWARE)],
    "dataOutputAssociation": [("sourceRef/", ITEM_AWARE), ("targetRef/", ITEM_AWARE)],
    "lane": [("flowNodeRef/", FLOW_NODE_KINDS)],
    "inputSet": [("dataInputRefs/", frozenset({"dataInput"}))],
    "outputSet": [("dataOutputRefs/", frozenset({"dataOutput"}))],
    "intermediateThrowEvent": [("eventDefinitionRef/", EVENT_DEFINITIONS)],
    "intermediateCatchEvent": [("eventDefinitionRef/", EVENT_DEFINITIONS)],
    "startEvent": [("eventDefinitionRef/", EVENT_DEFINITIONS)],
    "endEvent": [("eventDefinitionRef/", EVENT_DEFINITIONS)],
    "boundaryEvent": [("eventDefinitionRef/", EVENT_DEFINITIONS)],
    "compensateEventDefinition": [("activityRef", ACTIVITIES)],
}


def _refs(element: Element, where: str) -> list[tuple[str, Element]]:
    """The ids ``element`` names in the attribute ``where``, or in its children ``where`` ends with ``/``."""
    if not where.endswith("/"):
        value = element.get(where)
        return [(value, element)] if value else []
    return [((child.text or "").strip(), child) for child in element.iterfind(bpmn_tag(where[:-1]))
            if (child.text or "").strip()]


def resolve(parsed: ParsedFile, ref: str) -> Element | None:
    """The element ``ref`` names; a QName's prefix (``tns:Message_1``) is ignored."""
    found = parsed.ids.get(ref)
    if found is None and ":" in ref:
        found = parsed.ids.get(ref.split(":", 1)[1])
    return found


def check_references(parsed: ParsedFile, element: Element) -> Iterator[ModelProblem]:
    """E074: every reference in ``REFERENCES`` names an element of an allowed kind."""
    for where, kinds in REFERENCES[local_name(element)]:
        for ref, node in _refs(element, where):
            target = resolve(parsed, ref)
            name = where.rstrip("/")
            if target is None:
                yield parsed.problem("E074", element, f"REF_EXISTENCE: {name} {ref} names no element of this "
                                                      f"file", at=node)
            elif local_name(target) not in kinds:
                expected = " or ".join(sorted(kinds)) if len(kinds) <= 3 else "a " + _kind_name(kinds)
                yield parsed.problem("E074", element, f"REF_TYPE: {name} {ref} is a {local_name(target)}, "
                                                      f"expected {expected}", at=node)


def _kind_name(kinds: frozenset[str]) -> str:
    if kinds is ITEM_AWARE:
        return "data object, data store, property, data input or data output"
    if kinds is FLOW_NODE_KINDS:
        return "flow node"
    if kinds is EVENT_DEFINITIONS:
        return "event definition"
    return "activity"


def _pool(parsed: ParsedFile, node: Element) -> str | None:
    """The process a message flow's end belongs to: a participant's process, or the process around a node."""
    if local_name(node) == "participant":
        return node.get("processRef") or f"participant:{node.get('id')}"
    for ancestor in node.iterancestors(bpmn_tag("process")):
        return str(ancestor.get("id"))
    return None


def check_message_flow(parsed: ParsedFile, flow: Element) -> Iterator[ModelProblem]:
    """E073: a message flow connects allowed kinds of element in two different pools."""
    source = resolve(parsed, flow.get("sourceRef") or "")
    target = resolve(parsed, flow.get("targetRef") or "")
    for end, node in (("sourceRef", source), ("targetRef", target)):
        if node is None:
            yield parsed.problem("E074", flow, f"REF_EXISTENCE: {end} {flow.get(end)} names no element of this file")
    if source is None or target is None:
        return
    yield from _message_flow_end(parsed, flow, source, outgoing=True)
    yield from _message_flow_end(parsed, flow, target, outgoing=False)
    if source is target or _pool(parsed, source) == _pool(parsed, target):
        yield parsed.problem("E073", flow, f"EXT.031: a message flow must connect different pools; "
                                           f"{source.get('id')} and {target.get('id')} are in the same one")


def _message_flow_end(parsed: ParsedFile, flow: Element, node: Element, *, outgoing: bool) -> Iterator[ModelProblem]:
    name, node_id = local_name(node), node.get("id")
    if name in ("association", "textAnnotation", "group"):
        constraint, side = ("EXT.009", "source") if outgoing else ("EXT.008", "target")
        yield parsed.problem("E073", flow, f"{constraint}: an artifact ({node_id}) cannot be the {side} of a "
                                           f"message flow")
    elif outgoing and name == "startEvent":
        yield parsed.problem("E073", flow, f"EXT.102: a start event ({node_id}) cannot send a message flow")
    elif not outgoing and name == "endEvent":
        yield parsed.problem("E073", flow, f"EXT.108: an end event ({node_id}) cannot receive a message flow")
    elif outgoing and name in ("intermediateCatchEvent", "boundaryEvent"):
        yield parsed.problem("E073", flow, f"EXT.119: a catch event ({node_id}) cannot send a message flow")
    elif not outgoing and name == "intermediateThrowEvent":
        yield parsed.problem("E073", flow, f"EXT.119: a throw event ({node_id}) cannot receive a message flow")
    elif name not in (MESSAGE_SOURCES if outgoing else MESSAGE_TARGETS):
        side = "leave" if outgoing else "reach"
        yield parsed.problem("E073", flow, f"EXT.031: a message flow cannot {side} a {name} ({node_id}); it "
                                           f"connects pools, activities and events")
    elif name in ("startEvent", "endEvent") and trigger(parsed, node) not in ("message", "multiple"):
        # A warning: procedures draw the letter that opens a case by hand as a message flow to a none start.
        constraint = "EXT.109" if outgoing else "EXT.103"
        yield replace(parsed.problem("W170", flow, f"{constraint}: {name} {node_id} is connected by a message "
                                                   f"flow but is not a message event, so no message starts or "
                                                   f"ends it"), severity="warning")


def check_io_specification(parsed: ParsedFile, spec: Element) -> Iterator[ModelProblem]:
    """E075: an ioSpecification belongs to a task or process, and puts each input and output in a set."""
    owner = spec.getparent()
    if local_name(owner) in ("subProcess", "transaction", "adHocSubProcess"):
        yield parsed.problem("E075", owner, "EXT.079: a sub-process must not have an ioSpecification", at=spec)
    in_sets = {(r.text or "").strip() for r in spec.iterfind(f"{bpmn_tag('inputSet')}/{bpmn_tag('dataInputRefs')}")}
    out_sets = {(r.text or "").strip()
                for r in spec.iterfind(f"{bpmn_tag('outputSet')}/{bpmn_tag('dataOutputRefs')}")}
    for data in spec.iterfind(bpmn_tag("dataInput")):
        if data.get("id") not in in_sets:
            yield parsed.problem("E075", owner, f"EXT.084: data input {data.get('id')} is in no inputSet", at=data)
    for data in spec.iterfind(bpmn_tag("dataOutput")):
        if data.get("id") not in out_sets:
            yield parsed.problem("E075", owner, f"EXT.088: data output {data.get('id')} is in no outputSet",
                                 at=data)


def check_data_association(parsed: ParsedFile, association: Element) -> Iterator[ModelProblem]:
    """E075: without a transformation, a data association has a single source (EXT.092)."""
    if association.find(bpmn_tag("transformation")) is None and len(association.findall(bpmn_tag("sourceRef"))) > 1:
        yield parsed.problem("E075", association.getparent(), "EXT.092: a data association without a "
                                                              "transformation must have a single sourceRef",
                             at=association)

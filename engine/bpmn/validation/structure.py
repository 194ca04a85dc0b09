"""Deploy-time checks of a model's structure (see engine.bpmn.validation): the XML schema, ids, and references.

* E002 the file breaks the BPMN, SpiffWorkflow or DMN XML schema
* E003 an id is used twice in one file
* E005 a process or decision id is defined in more than one of the files
* E010 to E015 broken references between sequence flows, elements, boundary events and event definitions
* E040, E041 a call activity or business rule task calls a process or decision that does not exist
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from functools import cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.bpmn.camunda import called_element
from engine.bpmn.dmn.task import ZEEBE_NS
from engine.bpmn.metadata import CAMUNDA_NS, SPIFF_NS
from engine.bpmn.validation.model import Element, ParsedFile, bpmn_tag, local_name, owner_of
from engine.errors import ModelProblem
from engine.inputs.safe_xml import xml_parser

# -- file and batch checks ----------------------------------------------------------------------
_SCHEMA_LOCK = threading.Lock()  # an lxml schema keeps its error log on itself
_NOT_AN_ID = re.compile(r"attribute 'id': '([^']*)' is not a valid value of the atomic type 'xs:ID'")
_CLARK = re.compile(r"\{([^}]*)\}")


def check_schema(parsed: ParsedFile) -> Iterator[ModelProblem]:
    """E002: the XSD errors SpiffWorkflow's validator would report, all of them, each with its line."""
    validator = VALIDATOR if parsed.kind == "bpmn" else _dmn_validator(etree.QName(parsed.root).namespace)
    if validator is None:
        return
    tree = etree.fromstring(parsed.content, xml_parser())  # preprocess() rewrites tags in place
    with _SCHEMA_LOCK:
        validator.preprocess(tree)
        validator.validator.validate(tree)
        errors = list(validator.validator.error_log)
    duplicates = {element_id for element_id, _ in _duplicates(parsed)}
    for error in errors:
        not_an_id = _NOT_AN_ID.search(error.message)
        if not_an_id and not_an_id.group(1) in duplicates:
            continue  # E003 says it better
        message = f"schema: {_shorten(error.message, parsed.root.nsmap)}"
        yield parsed.problem("E002", _element_at(parsed, error.line), message, line=error.line)


def _element_at(parsed: ParsedFile, line: int) -> Element:
    """The element a user would name for ``line``: one with an id starting there, else its owner."""
    starting = [e for e in parsed.root.iter(etree.Element) if e.sourceline == line]
    named = [e for e in starting if e.get("id")]
    if named:
        return named[0]
    return owner_of(starting[0]) if starting and starting[0].getparent() is not None else parsed.root


@cache
def _dmn_validator(namespace: str) -> BpmnValidator | None:
    schema = DMN_SCHEMAS.get(namespace)
    return BpmnValidator(schema) if schema else None


def _shorten(message: str, nsmap: dict[str | None, str]) -> str:
    """Write ``{namespace}tag`` as ``prefix:tag`` with the file's own prefixes."""
    prefixes = {uri: f"{prefix}:" if prefix else "" for prefix, uri in nsmap.items()}
    return _CLARK.sub(lambda m: prefixes.get(m.group(1), m.group(0)), message)


def _duplicates(parsed: ParsedFile) -> Iterator[tuple[str, Element]]:
    for element in parsed.root.iter(etree.Element):
        element_id = element.get("id")
        if element_id is not None and parsed.ids.get(element_id) is not element:
            yield element_id, element


def check_duplicate_ids(parsed: ParsedFile) -> Iterator[ModelProblem]:
    """E003: an id used twice in one file."""
    for element_id, element in _duplicates(parsed):
        first = parsed.ids[element_id]
        message = f"EXT.002: id {element_id} is used twice: also by <{local_name(first)}> on line {first.sourceline}"
        yield parsed.problem("E003", element, message)


def check_unique_definitions(files: Sequence[ParsedFile]) -> Iterator[ModelProblem]:
    """E005: a process or decision id defined in two files deployed together."""
    seen: dict[str, str] = {}
    for parsed in files:
        tag = bpmn_tag("process") if parsed.kind == "bpmn" else "{*}decision"
        for element in parsed.root.iter(tag):
            other = seen.setdefault(element.get("id"), parsed.name)
            if other != parsed.name:
                message = f"{local_name(element)} {element.get('id')} is also defined in {other}"
                yield parsed.problem("E005", element, message)


# -- references ---------------------------------------------------------------------------------
ACTIVITIES = frozenset({"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
                        "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction",
                        "adHocSubProcess"})
# tag -> (attribute, root-level definition it names)
EVENT_REFS = {
    "messageEventDefinition": ("messageRef", "message"),
    "sendTask": ("messageRef", "message"),
    "receiveTask": ("messageRef", "message"),
    "signalEventDefinition": ("signalRef", "signal"),
    "errorEventDefinition": ("errorRef", "error"),
    "escalationEventDefinition": ("escalationRef", "escalation"),
}


def check_flow_reference(parsed: ParsedFile, reference: Element) -> Iterator[ModelProblem]:
    """E010/E013: ``incoming``/``outgoing`` must name a sequence flow that ends/starts at its element."""
    owner, flow_id, direction = reference.getparent(), (reference.text or "").strip(), local_name(reference)
    flow = parsed.ids.get(flow_id)
    if flow is None or flow.tag != bpmn_tag("sequenceFlow"):
        yield parsed.problem("E010", owner, f"{direction} flow {flow_id} does not exist", at=reference)
        return
    end = "targetRef" if direction == "incoming" else "sourceRef"
    if flow.get(end) != owner.get("id"):
        verb = "ends at" if direction == "incoming" else "starts at"
        yield parsed.problem("E013", owner, f"{direction} flow {flow_id} {verb} {flow.get(end)}, not here",
                             at=reference)


def check_flow_ends(parsed: ParsedFile, flow: Element) -> Iterator[ModelProblem]:
    """E011: a sequence flow must connect two elements of its own process."""
    for end in ("sourceRef", "targetRef"):
        ref = flow.get(end)
        target = parsed.ids.get(ref) if ref else None
        if ref and target is None:
            yield parsed.problem("E011", flow, f"{end} {ref} names no element")
        elif target is not None and target.getparent() is not flow.getparent():
            yield parsed.problem("E011", flow, f"EXT.028: {end} {ref} is outside the (sub-)process of this flow")


def check_default_flow(parsed: ParsedFile, element: Element) -> Iterator[ModelProblem]:
    """E012: a ``default`` attribute must name a sequence flow that leaves the element."""
    default = element.get("default")
    if default is None:
        return
    flow = parsed.ids.get(default)
    if flow is None or flow.tag != bpmn_tag("sequenceFlow"):
        yield parsed.problem("E012", element, f"default flow {default} does not exist")
    elif flow.get("sourceRef") != element.get("id"):
        yield parsed.problem("E012", element, f"default flow {default} does not leave this element "
                                              f"(it starts at {flow.get('sourceRef')})")


def check_attachment(parsed: ParsedFile, event: Element) -> Iterator[ModelProblem]:
    """E014: a boundary event must be attached to an activity of its own process."""
    ref = event.get("attachedToRef")
    target = parsed.ids.get(ref) if ref else None
    if ref and target is None:
        yield parsed.problem("E014", event, f"attachedToRef {ref} names no element")
    elif target is not None and (local_name(target) not in ACTIVITIES
                                 or target.getparent() is not event.getparent()):
        yield parsed.problem("E014", event, f"attachedToRef {ref} is a {local_name(target)}, not an activity "
                                            f"of the same process")


def check_event_reference(parsed: ParsedFile, element: Element) -> Iterator[ModelProblem]:
    """E015: message, signal, error and escalation references must name a definition in the file."""
    attribute, kind = EVENT_REFS[local_name(element)]
    ref = element.get(attribute)
    target = parsed.ids.get(ref) if ref else None
    if ref and (target is None or target.tag != bpmn_tag(kind)):
        owner = owner_of(element) if local_name(element).endswith("EventDefinition") else element
        message = f"{attribute} {ref} names no <bpmn:{kind}> in this file"
        yield parsed.problem("E015", owner, message, at=element)


def check_called_process(parsed: ParsedFile, activity: Element) -> Iterator[ModelProblem]:
    """E040: a call activity must call a process in the files or already deployed."""
    called = called_element(activity)
    if not called:
        yield parsed.problem("E040", activity, "call activity names no process (calledElement is empty)")
    elif called not in parsed.processes:
        yield parsed.problem("E040", activity, f"calls process {called}, which is neither in these files "
                                               f"nor deployed")


def check_called_decision(parsed: ParsedFile, task: Element) -> Iterator[ModelProblem]:
    """E041: a business rule task must call a decision in the files or already deployed."""
    nodes = list(task.iter(f"{{{SPIFF_NS}}}calledDecisionId"))
    refs_zeebe = [(n.get("decisionId").strip(), n) for n in task.iter(f"{{{ZEEBE_NS}}}calledDecision")
                  if (n.get("decisionId") or "").strip()]
    refs = [(node.text.strip(), node) for node in nodes if (node.text or "").strip()] + refs_zeebe
    if task.get(f"{{{CAMUNDA_NS}}}decisionRef"):
        refs.append((task.get(f"{{{CAMUNDA_NS}}}decisionRef"), task))
    if not refs:
        yield parsed.problem("E041", task, "business rule task names no decision (spiffworkflow:calledDecisionId, "
                                           "camunda:decisionRef or zeebe:calledDecision)")
    for ref, node in refs:
        if ref not in parsed.decisions:
            yield parsed.problem("E041", task, f"calls decision {ref}, which is neither in these files "
                                               f"nor deployed", at=node)

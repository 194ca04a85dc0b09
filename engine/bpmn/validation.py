"""Deploy-time validation of BPMN and DMN files: every problem, located by file, line and element.

SpiffWorkflow's parser stops at the first problem, rarely gives a line, and silently ignores some
broken references, so procflow checks the XML itself first and asks SpiffWorkflow last. Codes:

* E001 the file is not well-formed XML
* E002 the file breaks the BPMN, SpiffWorkflow or DMN XML schema
* E003 an id is used twice in one file
* E004 the file is neither BPMN nor DMN, or a ``.dmn`` file holds BPMN (or the other way round)
* E005 a process or decision id is defined in more than one of the files
* E006 a DMN file holds more than one decision (SpiffWorkflow loads only the first)
* E010 ``incoming``/``outgoing`` names a sequence flow that does not exist
* E011 a sequence flow's ``sourceRef``/``targetRef`` names no element of its process
* E012 a ``default`` flow does not exist or does not leave the element
* E013 ``incoming``/``outgoing`` names a flow that does not end/start at the element
* E014 a boundary event is attached to nothing, or to something that is not an activity
* E015 a ``messageRef``/``signalRef``/``errorRef``/``escalationRef`` names no definition in the file
* E020 a flow leaving an exclusive/inclusive gateway has neither a condition nor is the default
* E030 a timer expression is empty, not Python, unquoted, or not an ISO 8601 date/duration/cycle
* E031 a condition or script is not valid Python
* E040 a call activity calls a process that is neither in the files nor deployed
* E041 a business rule task calls a decision that is neither in the files nor deployed
* E050 SpiffWorkflow refuses the model (tried only when no other error was found)

Checks are small functions in lookup tables (``ELEMENT_CHECKS`` by tag, ``FILE_CHECKS`` and
``BATCH_CHECKS``), so further checks (warnings, a linter) can be added without touching these.
"""

from __future__ import annotations

import ast
import re
import threading
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from engine.bpmn.metadata import BPMN_NS, CAMUNDA_NS, SPIFF_NS
from engine.bpmn.parser import ProcflowParser
from engine.bpmn.timers import parse_recurring
from engine.calendar import WORKING_PREFIX, parse_working_duration
from engine.errors import ModelProblem


@dataclass(frozen=True)
class SourceFile:
    """A model file to deploy: its name as the user gave it and its bytes."""

    name: str
    content: bytes


def validate_sources(files: Sequence[SourceFile], *, known_processes: Collection[str] = (),
                     known_decisions: Collection[str] = ()) -> list[ModelProblem]:
    """Check BPMN and DMN files before they are deployed.

    Args:
        files: the files deployed together; call activities and business rule tasks may reference
            processes and decisions defined in any of them.
        known_processes: ids of processes already deployed.
        known_decisions: ids of decisions already deployed.

    Returns:
        Every problem found, sorted by file and line; empty when the files can be deployed.
    """
    loaded = [_load(source) for source in files]
    problems = [problem for _, problem in loaded if problem is not None]
    roots = [(source, root) for source, (root, _) in zip(files, loaded, strict=True) if root is not None]
    parsed = _parse_all(roots, set(known_processes), set(known_decisions))
    for check in BATCH_CHECKS:
        problems.extend(check(parsed))
    for one in parsed:
        problems.extend(one.problems())
    if not problems:
        problems = _spiff_problems(parsed, set(known_processes), set(known_decisions))
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0, p.code))


# -- the parsed files ---------------------------------------------------------------------------
Element = Any  # lxml ships no type hints


@dataclass(frozen=True, eq=False)
class ParsedFile:
    """One well-formed model file with indexes the checks share."""

    name: str
    content: bytes
    root: Element
    kind: str  # "bpmn" or "dmn"
    processes: frozenset[str]  # callable: defined in the batch or deployed
    decisions: frozenset[str]
    ids: dict[str, Element] = field(default_factory=dict)
    outgoing: dict[str, list[Element]] = field(default_factory=dict)

    def problem(self, code: str, owner: Element, message: str, at: Element | None = None,
                line: int | None = None) -> ModelProblem:
        """Build a problem about ``owner``, located at ``line``, else at ``at``, else at ``owner``."""
        where = line or (at if at is not None else owner).sourceline
        return ModelProblem(self.name, where, owner.get("id"), message, code=code)

    def problems(self) -> Iterator[ModelProblem]:
        """Run the file checks and every element check registered for a tag in this file."""
        for file_check in FILE_CHECKS:
            yield from file_check(self)
        for element in self.root.iter(etree.Element):
            for check in ELEMENT_CHECKS.get(element.tag, ()):
                yield from check(self, element)


def _load(source: SourceFile) -> tuple[Element | None, ModelProblem | None]:
    """Parse ``source`` as XML and make sure it is the kind of model its name says."""
    try:
        root = etree.fromstring(source.content, _xml_parser())
    except etree.XMLSyntaxError as error:
        entry = error.error_log[0] if error.error_log else None
        message = entry.message if entry is not None else str(error)
        return None, ModelProblem(source.name, error.lineno, None, f"not well-formed XML: {message}",
                                  code="E001", column=error.offset)
    expected = "dmn" if source.name.lower().endswith(".dmn") else "bpmn"
    found = _kind(root)
    if found != expected:
        what = f"{found.upper()} definitions" if found else f"<{etree.QName(root).localname}>"
        return None, ModelProblem(source.name, root.sourceline, root.get("id"),
                                  f"expected {expected.upper()} definitions, found {what}", code="E004")
    return root, None


def _xml_parser() -> Any:
    """A fresh parser (lxml parsers are not shared between threads) that never fetches anything."""
    return etree.XMLParser(resolve_entities=False, no_network=True)


def _kind(root: Element) -> str | None:
    qname = etree.QName(root)
    if qname.localname != "definitions":
        return None
    if qname.namespace == BPMN_NS:
        return "bpmn"
    return "dmn" if "/spec/DMN/" in (qname.namespace or "") else None


def _parse_all(roots: list[tuple[SourceFile, Element]], known_processes: set[str],
               known_decisions: set[str]) -> list[ParsedFile]:
    """Index every file, with the ids of processes and decisions a call may name."""
    processes = known_processes | {p.get("id") for _, root in roots for p in root.iter(_bpmn("process"))}
    decisions = known_decisions | {d.get("id") for _, root in roots for d in root.iter("{*}decision")
                                   if _kind(root) == "dmn"}
    parsed = []
    for source, root in roots:
        one = ParsedFile(source.name, source.content, root, _kind(root) or "bpmn", frozenset(processes),
                         frozenset(decisions))
        for element in root.iter(etree.Element):
            if element.get("id") is not None:
                one.ids.setdefault(element.get("id"), element)
            if element.tag == _bpmn("sequenceFlow"):
                one.outgoing.setdefault(element.get("sourceRef"), []).append(element)
        parsed.append(one)
    return parsed


def _bpmn(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _local(element: Element) -> str:
    return str(etree.QName(element).localname)


def _owner(element: Element) -> Element:
    """The nearest ancestor a user would name: skips event definitions, loops and extension elements."""
    for ancestor in element.iterancestors():
        name = _local(ancestor)
        if ancestor.get("id") and not name.endswith(("EventDefinition", "LoopCharacteristics")):
            return ancestor
    return element.getparent()


# -- file and batch checks ----------------------------------------------------------------------
_SCHEMA_LOCK = threading.Lock()  # an lxml schema keeps its error log on itself
_NOT_AN_ID = re.compile(r"attribute 'id': '([^']*)' is not a valid value of the atomic type 'xs:ID'")
_CLARK = re.compile(r"\{([^}]*)\}")


def check_schema(parsed: ParsedFile) -> Iterator[ModelProblem]:
    """E002: the XSD errors SpiffWorkflow's validator would report, all of them, each with its line."""
    validator = VALIDATOR if parsed.kind == "bpmn" else _dmn_validator(etree.QName(parsed.root).namespace)
    if validator is None:
        return
    tree = etree.fromstring(parsed.content, _xml_parser())  # preprocess() rewrites tags in place
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
    return _owner(starting[0]) if starting and starting[0].getparent() is not None else parsed.root


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
        message = f"id {element_id} is used twice: also by <{_local(first)}> on line {first.sourceline}"
        yield parsed.problem("E003", element, message)


def check_one_decision(parsed: ParsedFile) -> Iterator[ModelProblem]:
    """E006: SpiffWorkflow registers only the first decision of a DMN file."""
    if parsed.kind != "dmn":
        return
    decisions = list(parsed.root.iter("{*}decision"))
    for extra in decisions[1:]:
        yield parsed.problem("E006", extra, f"SpiffWorkflow loads only the first decision of a DMN file "
                                            f"({decisions[0].get('id')}); move this one to a file of its own")


def check_unique_definitions(files: Sequence[ParsedFile]) -> Iterator[ModelProblem]:
    """E005: a process or decision id defined in two files deployed together."""
    seen: dict[str, str] = {}
    for parsed in files:
        tag = _bpmn("process") if parsed.kind == "bpmn" else "{*}decision"
        for element in parsed.root.iter(tag):
            other = seen.setdefault(element.get("id"), parsed.name)
            if other != parsed.name:
                message = f"{_local(element)} {element.get('id')} is also defined in {other}"
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
    owner, flow_id, direction = reference.getparent(), (reference.text or "").strip(), _local(reference)
    flow = parsed.ids.get(flow_id)
    if flow is None or flow.tag != _bpmn("sequenceFlow"):
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
            yield parsed.problem("E011", flow, f"{end} {ref} is outside the (sub-)process of this flow")


def check_default_flow(parsed: ParsedFile, element: Element) -> Iterator[ModelProblem]:
    """E012: a ``default`` attribute must name a sequence flow that leaves the element."""
    default = element.get("default")
    if default is None:
        return
    flow = parsed.ids.get(default)
    if flow is None or flow.tag != _bpmn("sequenceFlow"):
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
    elif target is not None and (_local(target) not in ACTIVITIES
                                 or target.getparent() is not event.getparent()):
        yield parsed.problem("E014", event, f"attachedToRef {ref} is a {_local(target)}, not an activity "
                                            f"of the same process")


def check_event_reference(parsed: ParsedFile, element: Element) -> Iterator[ModelProblem]:
    """E015: message, signal, error and escalation references must name a definition in the file."""
    attribute, kind = EVENT_REFS[_local(element)]
    ref = element.get(attribute)
    target = parsed.ids.get(ref) if ref else None
    if ref and (target is None or target.tag != _bpmn(kind)):
        owner = _owner(element) if _local(element).endswith("EventDefinition") else element
        message = f"{attribute} {ref} names no <bpmn:{kind}> in this file"
        yield parsed.problem("E015", owner, message, at=element)


def check_called_process(parsed: ParsedFile, activity: Element) -> Iterator[ModelProblem]:
    """E040: a call activity must call a process in the files or already deployed."""
    called = activity.get("calledElement")
    if not called:
        yield parsed.problem("E040", activity, "call activity names no process (calledElement is empty)")
    elif called not in parsed.processes:
        yield parsed.problem("E040", activity, f"calls process {called}, which is neither in these files "
                                               f"nor deployed")


def check_called_decision(parsed: ParsedFile, task: Element) -> Iterator[ModelProblem]:
    """E041: a business rule task must call a decision in the files or already deployed."""
    nodes = task.iter(f"{{{SPIFF_NS}}}calledDecisionId")
    refs = [(node.text.strip(), node) for node in nodes if (node.text or "").strip()]
    if task.get(f"{{{CAMUNDA_NS}}}decisionRef"):
        refs.append((task.get(f"{{{CAMUNDA_NS}}}decisionRef"), task))
    if not refs:
        yield parsed.problem("E041", task, "business rule task names no decision "
                                           "(spiffworkflow:calledDecisionId or camunda:decisionRef)")
    for ref, node in refs:
        if ref not in parsed.decisions:
            yield parsed.problem("E041", task, f"calls decision {ref}, which is neither in these files "
                                               f"nor deployed", at=node)


# -- gateways, conditions and scripts -----------------------------------------------------------
# tag -> (what users call it, compile mode); SpiffWorkflow evaluates all of them as Python.
PYTHON_TAGS = {
    _bpmn("conditionExpression"): ("condition", "eval"),
    _bpmn("condition"): ("condition", "eval"),
    _bpmn("loopCondition"): ("loop condition", "eval"),
    _bpmn("completionCondition"): ("completion condition", "eval"),
    _bpmn("loopCardinality"): ("loop cardinality", "eval"),
    _bpmn("script"): ("script", "exec"),
    f"{{{SPIFF_NS}}}preScript": ("pre-script", "exec"),
    f"{{{SPIFF_NS}}}postScript": ("post-script", "exec"),
}


def check_gateway_conditions(parsed: ParsedFile, gateway: Element) -> Iterator[ModelProblem]:
    """E020: with several ways out, each flow needs a condition unless it is the default."""
    flows = parsed.outgoing.get(gateway.get("id"), [])
    if len(flows) < 2:
        return  # SpiffWorkflow takes a single unconditional flow as the default
    for flow in flows:
        condition = flow.find(_bpmn("conditionExpression"))
        has_condition = condition is not None and (condition.text or "").strip()
        if flow.get("id") != gateway.get("default") and not has_condition:
            yield parsed.problem("E020", gateway, f"outgoing flow {flow.get('id')} has no condition and is "
                                                  f"not the gateway's default")


def check_python(parsed: ParsedFile, node: Element) -> Iterator[ModelProblem]:
    """E031: conditions must be Python expressions and scripts Python statements."""
    what, mode = PYTHON_TAGS[node.tag]
    if not (node.text or "").strip():
        return
    error = python_syntax_error(node.text, mode)
    if error is None:
        return
    row = error.lineno or 1
    message = f"{what} is not valid Python: {error.msg} on line {row} of the {what}{_hint(node.text, error)}"
    yield parsed.problem("E031", _owner(node), message, line=node.sourceline + row - 1)


def _hint(text: str, error: SyntaxError) -> str:
    """A likely cause of ``error`` users can act on, or nothing."""
    if text.strip().startswith(("${", "#{")):
        return " (this looks like a Camunda expression; procflow expects Python, e.g. amount > 100)"
    if isinstance(error, IndentationError) and text.startswith(("\n", "\r")):
        return " (SpiffWorkflow runs the text as it is: start it on the line of the opening tag, unindented)"
    return ""


def python_syntax_error(text: str, mode: str) -> SyntaxError | None:
    """Compile ``text`` the way SpiffWorkflow's ``eval``/``exec`` will, returning the syntax error if any."""
    try:
        _compile(text, mode)
    except SyntaxError as error:
        return error
    return None


def _compile(text: str, mode: str, flags: int = 0) -> Any:
    source = text.lstrip(" \t") if mode == "eval" else text  # eval() strips these itself
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarning and friends are not errors at run time
        return compile(source, "<model>", mode, flags)


# -- timers -------------------------------------------------------------------------------------
_ISO_LOOKING = re.compile(r"(working:)?P(\d|T\d)|R\d*/|\d{4}-\d\d-\d\d")
_ANY_MOMENT = datetime(2026, 1, 1, tzinfo=UTC)  # cycles need a "now"; only their syntax matters here
_TIMER_KINDS = {
    "timeDate": ("date", '"2026-05-01T09:00:00+07:00"'),
    "timeDuration": ("duration", '"PT2H", "P3D" or "working:P2D"'),
    "timeCycle": ("repeating interval", '"R3/PT1H" or "R/2026-01-05T08:00:00+07:00/P7D"'),
}


def check_timer(parsed: ParsedFile, definition: Element) -> Iterator[ModelProblem]:
    """E030: a timer needs a Python expression; a string literal must also be valid ISO 8601."""
    body = next((child for child in definition if child.tag in {_bpmn(k) for k in _TIMER_KINDS}), None)
    if body is None:
        yield parsed.problem("E030", _owner(definition), "timer has no timeDate, timeDuration or timeCycle",
                             at=definition)
        return
    message = timer_problem(_local(body), body.text or "")
    if message:
        yield parsed.problem("E030", _owner(definition), message, at=body)


def timer_problem(kind: str, text: str) -> str | None:
    """Say what is wrong with the timer expression ``text`` of ``kind`` (timeDate, ...), if anything."""
    noun, example = _TIMER_KINDS[kind]
    value = text.strip()
    if not value:
        return f"{kind} is empty; write a {noun} such as {example}"
    if _ISO_LOOKING.match(value):
        return f'{kind} {value} is not quoted; timer expressions are Python, so write "{value}"'
    error = python_syntax_error(text, "eval")
    if error is not None:
        return f"{kind} is not a Python expression: {error.msg}{_hint(text, error)}"
    literal = _compile(text, "eval", ast.PyCF_ONLY_AST).body
    if not isinstance(literal, ast.Constant):
        return None  # computed at run time
    if not isinstance(literal.value, str):
        kind_of = type(literal.value).__name__
        return f"{kind} must give a string, not {kind_of}; write a {noun} such as {example}"
    if kind == "timeDuration" and literal.value.strip().startswith(WORKING_PREFIX):
        return _working_problem(kind, literal.value)
    if _parses(kind, literal.value):
        return None
    return f"{kind} {literal.value!r} is not a valid ISO 8601 {noun}; write e.g. {example}"


def _working_problem(kind: str, value: str) -> str | None:
    """Ask procflow's calendar, which computes these timers, whether it reads ``value``."""
    try:
        parse_working_duration(value)
    except ValueError as error:
        return f"{kind}: {error}"
    return None


def _parses(kind: str, value: str) -> bool:
    """True when SpiffWorkflow can read the literal ``value`` as a timer of ``kind``."""
    try:
        if kind == "timeDate":
            return isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime)
        if kind == "timeDuration":
            return bool(TimerEventDefinition.parse_iso_duration(value))  # "P" parses, to nothing
        parse_recurring(value, _ANY_MOMENT)
    except Exception:  # SpiffWorkflow raises bare Exception, ValueError, AttributeError, IndexError...
        return False
    return True


# -- the tables -----------------------------------------------------------------------------------
ElementCheck = Callable[[ParsedFile, Element], Iterable[ModelProblem]]
FileCheck = Callable[[ParsedFile], Iterable[ModelProblem]]
BatchCheck = Callable[[Sequence[ParsedFile]], Iterable[ModelProblem]]

FILE_CHECKS: list[FileCheck] = [check_schema, check_duplicate_ids, check_one_decision]
BATCH_CHECKS: list[BatchCheck] = [check_unique_definitions]
ELEMENT_CHECKS: dict[str, list[ElementCheck]] = {}


def register(check: ElementCheck, *tags: str) -> None:
    """Run ``check`` on every element with one of ``tags`` (Clark notation, ``{namespace}name``)."""
    for tag in tags:
        ELEMENT_CHECKS.setdefault(tag, []).append(check)


register(check_flow_reference, _bpmn("incoming"), _bpmn("outgoing"))
register(check_flow_ends, _bpmn("sequenceFlow"))
register(check_default_flow, *(_bpmn(t) for t in (*ACTIVITIES, "exclusiveGateway", "inclusiveGateway",
                                                   "complexGateway")))
register(check_attachment, _bpmn("boundaryEvent"))
register(check_event_reference, *(_bpmn(t) for t in EVENT_REFS))
register(check_gateway_conditions, _bpmn("exclusiveGateway"), _bpmn("inclusiveGateway"))
register(check_python, *PYTHON_TAGS)
register(check_timer, _bpmn("timerEventDefinition"))
register(check_called_process, _bpmn("callActivity"))
register(check_called_decision, _bpmn("businessRuleTask"))


# -- SpiffWorkflow's own verdict ------------------------------------------------------------------
class _ValidationParser(ProcflowParser):
    """ProcflowParser that lets calls name processes and decisions deployed earlier (not in this batch)."""

    def __init__(self, deployed_processes: set[str], deployed_decisions: set[str]) -> None:
        super().__init__(validate_schema=True)
        self.deployed_processes = deployed_processes
        self.deployed_decisions = deployed_decisions

    def get_spec(self, process_id: str, required: bool = True) -> Any:
        if process_id not in self.process_parsers and process_id in self.deployed_processes:
            return None  # deploy adds the stored file; the reference itself was checked (E040)
        return super().get_spec(process_id, required)

    def get_engine(self, decision_ref: str, node: Element) -> Any:
        if decision_ref not in self.dmn_parsers and decision_ref in self.deployed_decisions:
            return None  # likewise (E041)
        return super().get_engine(decision_ref, node)


def _spiff_problems(files: list[ParsedFile], known_processes: set[str],
                    known_decisions: set[str]) -> list[ModelProblem]:
    """E050: load everything with ProcflowParser, as deploy will, and report what it refuses."""
    parser = _ValidationParser(known_processes, known_decisions)
    problems: list[ModelProblem] = []
    for parsed in files:
        add = parser.add_dmn_xml if parsed.kind == "dmn" else parser.add_bpmn_xml
        problems.extend(_attempt(files, parsed, None, add, parsed.root, filename=parsed.name))
    if problems:
        return problems
    for parsed in files:
        for entry in _entry_ids(parsed):
            problems.extend(_attempt(files, parsed, entry, _load_entry, parser, parsed.kind, entry))
    return list(dict.fromkeys(problems))  # a process called by two others fails twice


def _load_entry(parser: _ValidationParser, kind: str, entry: str) -> None:
    """Build the decision engine, or the process spec with every spec it calls, as deploy will."""
    if kind == "dmn":
        parser.get_engine(entry, None)
    else:
        parser.get_subprocess_specs(entry)


def _entry_ids(parsed: ParsedFile) -> list[str]:
    """What deploy loads from a file: processes with a start event, or a DMN file's first decision."""
    if parsed.kind == "dmn":
        return [d.get("id") for d in parsed.root.iter("{*}decision")][:1]
    processes = parsed.root.iter(_bpmn("process"))
    return [p.get("id") for p in processes if p.find(_bpmn("startEvent")) is not None]


def _attempt(files: list[ParsedFile], parsed: ParsedFile, entry: str | None, action: Callable[..., Any],
             *args: Any, **kwargs: Any) -> list[ModelProblem]:
    """Run one parser step and turn whatever it raises into a located problem."""
    try:
        action(*args, **kwargs)
    except Exception as error:  # beyond ValidationException, SpiffWorkflow lets KeyError, TypeError... escape
        return [_from_spiff(files, parsed, entry, error)]
    return []


def _from_spiff(files: list[ParsedFile], parsed: ParsedFile, entry: str | None,
                error: Exception) -> ModelProblem:
    """Locate a SpiffWorkflow error by the element id it names (its own line numbers are usually empty)."""
    element_id = getattr(error, "id", "") or entry
    file_name = getattr(error, "file_name", "")
    candidates = [f for f in files if f.name == file_name] + [parsed, *files]
    owner = next((f for f in candidates if element_id in f.ids), candidates[0])
    element = owner.ids.get(element_id) if element_id else None
    text = error.args[0] if isinstance(error, ValidationException) and error.args else f"{error!r}"
    return ModelProblem(owner.name, element.sourceline if element is not None else None, element_id,
                        f"SpiffWorkflow refuses this: {text}", code="E050")

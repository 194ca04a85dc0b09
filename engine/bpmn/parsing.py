"""Parser extensions behind procflow's event, scope and activity semantics (composed in ``engine.bpmn.parser``).

* Event parsers read error and escalation start events (in event sub-processes) and signal end
  events, and resolve ``eventDefinitionRef`` to event definitions declared at the top of the file.
* The process parser gives every (sub-)process a ``ScopeEndJoin`` and wires each event sub-process
  to an ``EventSubprocessTrigger``; elements with ids SpiffWorkflow reserves get other spec names.
* Activity parsers accept several outgoing flows (conditional ones through a ``ConditionalFlowSplit``),
  honour ``startQuantity``/``completionQuantity`` (``engine.bpmn.tokens``), connect data associations
  to inputs and outputs (``engine.bpmn.data``), refuse negative loop limits, and build procflow's spec
  classes for multi-instance activities.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.control import StartEventJoin, StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity

from engine.bpmn import io_mapping
from engine.bpmn.data import map_associations
from engine.bpmn.gateways import ConditionalFlowSplit
from engine.bpmn.loops import ProcflowParallelMultiInstanceTask, ProcflowSequentialMultiInstanceTask
from engine.bpmn.scopes import EventSubprocessStart, EventSubprocessTrigger, replace_end_join
from engine.bpmn.tokens import TokenCollector, TokenMultiplier

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Names SpiffWorkflow gives its own tasks in every process spec; an element with such an id is renamed.
RESERVED_IDS = frozenset({"Start", "End", "Root"})
END_EVENT_XPATHS = [MESSAGE_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH,
                    TERMINATION_EVENT_XPATH, SIGNAL_EVENT_XPATH]
EVENT_SUBPROCESS_START_XPATHS = [ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH, MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH,
                                 TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH]


# -- events -------------------------------------------------------------------------------------------
class EventReferenceMixin:
    """Event parsers see definitions named by ``eventDefinitionRef`` as if they were written inside the event."""

    node: Any

    def xpath(self, xpath: str) -> list[Any]:
        found = list(super().xpath(xpath))  # type: ignore[misc]
        if found or not xpath.startswith(".//"):
            return found
        inside = "descendant-or-self::" + xpath[3:]
        for definition in referenced_definitions(self.node):
            found.extend(definition.xpath(inside, namespaces={"bpmn": BPMN_NS}))
        return found


def referenced_definitions(node: Any) -> list[Any]:
    """The root-level event definitions an event names with ``eventDefinitionRef``."""
    refs = [(ref.text or "").strip() for ref in node.iterfind(f"{{{BPMN_NS}}}eventDefinitionRef")]
    if not refs:
        return []
    root = node.getroottree().getroot()
    return [element for element in root if element.get("id") in refs]


class EventSubprocessStartMixin:
    """A start event inside an event sub-process: any trigger, including errors and escalations."""

    node: Any
    spec_class: Any

    def create_task(self) -> Any:
        if not is_event_subprocess(self.node.getparent()):
            return super().create_task()  # type: ignore[misc]
        self.spec_class = EventSubprocessStart
        definition = self.get_event_definition(EVENT_SUBPROCESS_START_XPATHS)  # type: ignore[attr-defined]
        task = self._create_task(definition)  # type: ignore[attr-defined]
        self.spec.start.connect(task)  # type: ignore[attr-defined]
        task.bpmn_id = None  # its trigger, in the enclosing scope, stands for the element
        return task


class SignalEndEventMixin:
    """End events may also throw signals (SpiffWorkflow reads message, error, escalation, cancel, terminate)."""

    def create_task(self) -> Any:
        task = self._create_task(self.get_event_definition(END_EVENT_XPATHS))  # type: ignore[attr-defined]
        task.connect(self.spec.end)  # type: ignore[attr-defined]
        return task


class ErrorBoundaryMixin:
    """Error boundary events always interrupt their activity, whatever ``cancelActivity`` says."""

    def create_task(self) -> Any:
        task = super().create_task()  # type: ignore[misc]
        if isinstance(task.event_definition, ErrorEventDefinition):
            task.cancel_activity = True
        return task


def is_event_subprocess(node: Any) -> bool:
    """True for a ``subProcess`` with ``triggeredByEvent="true"``."""
    return node is not None and node.tag == f"{{{BPMN_NS}}}subProcess" and node.get("triggeredByEvent") == "true"


# -- processes and scopes ------------------------------------------------------------------------------
class ScopeParserMixin:
    """Parses a process or sub-process into a scope: end join, event sub-process triggers, token collectors.

    An element may carry an id SpiffWorkflow uses for its own tasks ("Start", "End"): its spec gets
    another name and keeps the element's id as its ``bpmn_id``.
    """

    node: Any
    nsmap: Any
    spec: Any
    parser: Any
    filename: str | None

    def create_spec(self) -> Any:
        spec = super().create_spec()  # type: ignore[misc]
        replace_end_join(spec)
        return spec

    def parse_node(self, node: Any) -> Any:
        collector = self.spec.task_specs.get(collector_name(node.get("id")))
        if collector is not None:
            return collector  # the activity waits for several tokens: every flow leads to its collector
        if node.get("id") in RESERVED_IDS:
            return self._parse_reserved(node)
        return super().parse_node(node)  # type: ignore[misc]

    def _parse_reserved(self, node: Any) -> Any:
        """Parse an element whose id names one of SpiffWorkflow's own tasks under another spec name."""
        original = node.get("id")
        alias = f"{original}.element"
        if alias in self.spec.task_specs:
            return self.spec.task_specs[alias]
        for index in (self.nodes_by_id, self.outgoing_sequence_flows, self.boundary_events_by_attached,  # type: ignore
                      self.lanes_by_node_id):  # type: ignore[attr-defined]
            if original in index:
                index[alias] = index[original]
        node.set("id", alias)
        try:
            entry = super().parse_node(node)  # type: ignore[misc]
        finally:
            node.set("id", original)
        self.spec.task_specs[alias].bpmn_id = original  # history, inbox and timers still name the element
        return entry

    def add_tasks(self) -> None:
        starts = self.xpath("./bpmn:startEvent")  # type: ignore[attr-defined]
        receivers = [] if starts else instantiating_receive_tasks(self.node)
        if not starts and not receivers:
            raise ValidationException("No start event found", node=self.node, file_name=self.filename)
        for node in starts:
            self.parse_node(node)
        for node in receivers:  # a process without a start event begins at the receive tasks that instantiate it
            self.spec.start.connect(self.parse_node(node))
        starts = starts or receivers
        if len(starts) > 1:
            self._join_start_events()
        for node in self.xpath("./bpmn:subProcess[@triggeredByEvent='true']"):  # type: ignore[attr-defined]
            self._add_event_subprocess(node)

    def _join_start_events(self) -> None:
        """Several start events: the first one to fire starts the process (as SpiffWorkflow does)."""
        split = StartEventSplit(self.spec, "StartEventSplit")
        join = StartEventJoin(self.spec, "StartEventJoin", split_task="StartEventSplit", threshold=1, cancel=True)
        for spec in self.spec.start.outputs:
            spec.inputs = [split]
            spec.connect(join)
        split.outputs = self.spec.start.outputs
        self.spec.start.outputs = [split]
        split.inputs = [self.spec.start]

    def _add_event_subprocess(self, node: Any) -> None:
        """Run the event sub-process ``node`` from a trigger that waits while this scope runs."""
        subprocess = self.parse_node(node)
        trigger = self._trigger(first(node.xpath("./bpmn:startEvent", namespaces=self.nsmap)), subprocess)
        self.spec.start.connect(trigger)
        trigger.connect(subprocess)
        subprocess.connect(self.spec.end)

    def _trigger(self, start_node: Any, subprocess: Any) -> EventSubprocessTrigger:
        """The trigger for the event sub-process whose start event is ``start_node``."""
        start = self.parser.process_parsers[subprocess.spec].get_spec().task_specs[start_node.get("id")]
        definition = deepcopy(start.event_definition)
        if isinstance(definition, NoneEventDefinition):
            raise ValidationException("the start event of an event sub-process needs a trigger (error, escalation, "
                                      "message, signal, timer or condition)", node=start_node, file_name=self.filename)
        # An error always interrupts: the scope it ends cannot go on.
        interrupting = isinstance(definition, ErrorEventDefinition) or start_node.get("isInterrupting") != "false"
        return EventSubprocessTrigger(self.spec, start_node.get("id"), definition, interrupting=interrupting,
                                      bpmn_name=start_node.get("name"), lane=subprocess.lane,
                                      description=start.description)


# -- activities ---------------------------------------------------------------------------------------
class ActivityParserMixin:
    """Token quantities, conditional outgoing flows, data associations and loop checks for every activity."""

    PARALLEL_MI_CLASS = ProcflowParallelMultiInstanceTask
    SEQUENTIAL_MI_CLASS = ProcflowSequentialMultiInstanceTask

    node: Any
    task: Any
    spec: Any
    bpmn_id: str
    filename: str | None

    def parse_node(self) -> Any:
        check_loop_limits(self.node, self.filename)
        entry = super().parse_node()  # type: ignore[misc]
        try:
            io_mapping.attach(self.task, io_mapping.read(self.node), call=isinstance(self.task, CallActivity))
        except io_mapping.MappingError as error:
            raise ValidationException(str(error), node=error.node, file_name=self.filename) from error
        needed = quantity(self.node, "startQuantity", self.filename)
        if needed == 1:
            return entry
        if entry is not self.task:
            raise ValidationException("startQuantity above 1 cannot be combined with boundary events",
                                      node=self.node, file_name=self.filename)
        collector = TokenCollector(self.spec, collector_name(self.bpmn_id), quantity=needed, lane=self.task.lane)
        collector.connect(entry)
        return collector

    def parse_io_spec(self) -> Any:
        return map_associations(self.node, super().parse_io_spec())  # type: ignore[misc]

    def handles_multiple_outgoing(self) -> bool:
        return True

    def connect_outgoing(self, outgoing_task: Any, sequence_flow_node: Any, is_default: bool) -> None:
        source = self._token_source()
        if not self._has_conditional_flows():
            source.connect(outgoing_task)
            return
        split = self._flow_split(source)
        if is_default:
            split.connect(outgoing_task)
            split.default_task_spec = outgoing_task.name
        else:
            split.connect_outgoing_if(self.parse_condition(sequence_flow_node), outgoing_task)  # type: ignore

    def _has_conditional_flows(self) -> bool:
        flows = self.process_parser.get_outgoing_sequence_flows(self.bpmn_id)  # type: ignore[attr-defined]
        return any(self.parse_condition(flow) is not None for flow in flows)  # type: ignore[attr-defined]

    def _token_source(self) -> Any:
        """Where the outgoing tokens come from: the activity, or its multiplier for ``completionQuantity`` > 1."""
        count = quantity(self.node, "completionQuantity", self.filename)
        if count == 1:
            return self.task
        return self._internal(f"{self.bpmn_id}.Tokens.Out", lambda name: TokenMultiplier(
            self.spec, name, quantity=count, lane=self.task.lane), self.task)

    def _flow_split(self, source: Any) -> Any:
        """The split that takes this activity's conditional, unconditional and default flows."""
        return self._internal(f"{self.bpmn_id}.Flows", lambda name: ConditionalFlowSplit(
            self.spec, name, activity=self.bpmn_id, lane=self.task.lane), source)

    def _internal(self, name: str, create: Any, source: Any) -> Any:
        """The internal task ``name`` behind ``source``, created and connected on first use."""
        found = self.spec.task_specs.get(name)
        if found is None:
            found = create(name)
            source.connect(found)
        return found


def collector_name(element_id: str) -> str:
    """The name of the token collector in front of the activity ``element_id``."""
    return f"{element_id}.Tokens.In"


def quantity(node: Any, attribute: str, filename: str | None) -> int:
    """The activity's ``startQuantity`` or ``completionQuantity`` (1 unless set), which must be at least 1."""
    text = node.get(attribute, "1").strip()
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationException(f"{attribute} must be a whole number of at least 1, not {text!r}", node=node,
                                  file_name=filename)
    return value


def check_loop_limits(node: Any, filename: str | None) -> None:
    """Refuse a negative ``loopMaximum`` and a negative literal ``loopCardinality``."""
    loop = node.find(f"{{{BPMN_NS}}}standardLoopCharacteristics")
    if loop is not None and _negative(loop.get("loopMaximum")):
        raise ValidationException(f"loopMaximum {loop.get('loopMaximum')} is negative", node=node, file_name=filename)
    cardinality = node.find(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics/{{{BPMN_NS}}}loopCardinality")
    if cardinality is not None and _negative(cardinality.text):
        raise ValidationException(f"loopCardinality {cardinality.text.strip()} is negative", node=node,
                                  file_name=filename)


def _negative(text: str | None) -> bool:
    try:
        return int((text or "").strip()) < 0
    except ValueError:
        return False  # an expression: checked when it is evaluated


def has_start(process: Any) -> bool:
    """True for a process that can start: it has a start event, or a receive task that instantiates it.

    Deploy loads only such processes; others are black boxes of a collaboration (a pool with no flow).
    """
    return bool(process.xpath("./bpmn:startEvent", namespaces=_BPMN) or instantiating_receive_tasks(process))


def instantiating_receive_tasks(process: Any) -> list[Any]:
    """The receive tasks of ``process`` that start it (``instantiate="true"``, no incoming flow)."""
    return [node for node in process.xpath("./bpmn:receiveTask[@instantiate='true']", namespaces=_BPMN)
            if not node.xpath("./bpmn:incoming", namespaces=_BPMN)]


_BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}

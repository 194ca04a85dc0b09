"""The BPMN/DMN parser procflow deploys with: SpiffWorkflow's Spiff parser plus procflow's extensions.

Clock-aware timers, events delivered by scope (``engine.bpmn.events``), event sub-processes and
scopes (``engine.bpmn.scopes``), link events, the complex gateway and conditional flows leaving
activities (``engine.bpmn.gateways``): each is a parser mixin or a spec class, composed here.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import EventBasedGatewayParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffEndEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffIntermediateThrowEventParser,
    SpiffReceiveTaskParser,
    SpiffSendTaskParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import (
    BusinessRuleTaskParser,
    CallActivityParser,
    ScriptTaskParser,
    ServiceTaskParser,
    SpiffTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.spiff.specs.defaults import (
    BusinessRuleTask,
    ManualTask,
    NoneTask,
    SendTask,
    ServiceTask,
    UserTask,
)

from engine.bpmn.adhoc import ProcflowAdHocParser
from engine.bpmn.camunda import called_element
from engine.bpmn.dmn import DmnError, read_definitions
from engine.bpmn.dmn.task import DecisionCall, decision_reference
from engine.bpmn.events import (
    ProcflowBoundaryEvent,
    ProcflowEndEvent,
    ProcflowEventBasedGateway,
    ProcflowIntermediateCatchEvent,
    ProcflowIntermediateThrowEvent,
    ProcflowReceiveTask,
    ProcflowScriptTask,
)
from engine.bpmn.expressions import translate_tree
from engine.bpmn.gateways import ComplexGateway, ComplexGatewayParser
from engine.bpmn.handler_tasks import TaskDefinitionParserMixin
from engine.bpmn.links import LinkThrowParserMixin
from engine.bpmn.messages import MessagePayloadParserMixin
from engine.bpmn.parsing import (
    ActivityParserMixin,
    ErrorBoundaryMixin,
    EventReferenceMixin,
    EventSubprocessStartMixin,
    ScopeParserMixin,
    SignalEndEventMixin,
    has_start,
)
from engine.bpmn.scopes import ProcflowCallActivity, ProcflowSubWorkflowTask, ProcflowTransactionSubprocess
from engine.bpmn.timers import TIMER_CLASSES

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


class ClockTimerParserMixin:
    """Replaces Spiff's wall-clock timer definitions with procflow's clock-aware ones."""

    def parse_timer_event(self, event: Any) -> Any:
        definition = super().parse_timer_event(event)  # type: ignore[misc]
        replacement = TIMER_CLASSES.get(type(definition))
        if replacement is None:
            return definition
        return replacement(definition.name, definition.expression, description=definition.description)


def _compose(parser_class: type, *mixins: type) -> type:
    """Compose ``parser_class`` with ``mixins`` (the first one wins)."""
    return type(f"Procflow{parser_class.__name__}", (*mixins, parser_class), {})


def _event(parser_class: type, *mixins: type) -> type:
    """An event parser with clock-aware timers and ``eventDefinitionRef`` resolved, plus ``mixins``."""
    return _compose(parser_class, *mixins, ClockTimerParserMixin, MessagePayloadParserMixin, EventReferenceMixin)


class ProcflowProcessParser(ScopeParserMixin, SpiffProcessParser):
    """Parses every process that has a start event, whatever its ``isExecutable`` flag says.

    Deploy decides what runs: a process marked ``isExecutable="false"`` is kept as a diagram and never handed
    to this parser as an entry (engine.bpmn.validation.deployable), but one may still be called; a pool
    without a start event (a black box in a collaboration) stays non-executable, unless a receive task
    instantiates it (``instantiate="true"``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.process_executable = has_start(self.node)

    def called_element_ids(self) -> list[str]:
        """The processes this one calls, Camunda 8's ``zeebe:calledElement`` included."""
        return [c for c in (called_element(n) for n in self.xpath(".//bpmn:callActivity")) if c]


class CamundaAwareBusinessRuleTaskParser(ActivityParserMixin, BusinessRuleTaskParser):
    """Finds the decision in ``spiffworkflow:calledDecisionId``, ``camunda:decisionRef`` or ``zeebe:calledDecision``."""

    @staticmethod
    def get_decision_ref(node: Any) -> Any:
        return decision_reference(node)[0]


class ZeebeCalledElementMixin:
    """Camunda 8 names the called process in ``zeebe:calledElement processId``, not in ``calledElement``."""

    node: Any

    def create_task(self) -> Any:
        called = called_element(self.node)
        if called and not self.node.get("calledElement"):
            self.node.set("calledElement", called)  # what SpiffWorkflow's parser reads
        return super().create_task()  # type: ignore[misc]


class ProcflowParser(SpiffBpmnParser):
    """Spiff's parser with procflow's timers, events, scopes, gateways and activity extensions composed in."""

    PROCESS_PARSER_CLASS = ProcflowProcessParser
    AD_HOC_PARSER_CLASS = ProcflowAdHocParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("businessRuleTask"): (CamundaAwareBusinessRuleTaskParser, BusinessRuleTask),
        full_tag("startEvent"): (_event(SpiffStartEventParser, EventSubprocessStartMixin), StartEvent),
        full_tag("endEvent"): (_event(SpiffEndEventParser, SignalEndEventMixin), ProcflowEndEvent),
        full_tag("boundaryEvent"): (_event(SpiffBoundaryEventParser, ErrorBoundaryMixin), ProcflowBoundaryEvent),
        full_tag("intermediateCatchEvent"): (_event(SpiffIntermediateCatchEventParser), ProcflowIntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (
            _event(SpiffIntermediateThrowEventParser, LinkThrowParserMixin),
            ProcflowIntermediateThrowEvent,
        ),
        full_tag("eventBasedGateway"): (EventBasedGatewayParser, ProcflowEventBasedGateway),
        full_tag("complexGateway"): (ComplexGatewayParser, ComplexGateway),
        # Activities: conditional outgoing flows, token quantities and loop limits checked.
        full_tag("task"): (_compose(SpiffTaskParser, ActivityParserMixin), NoneTask),
        full_tag("userTask"): (_compose(UserTaskParser, ActivityParserMixin), UserTask),
        full_tag("manualTask"): (_compose(SpiffTaskParser, ActivityParserMixin), ManualTask),
        full_tag("scriptTask"): (_compose(ScriptTaskParser, ActivityParserMixin), ProcflowScriptTask),
        full_tag("serviceTask"): (
            _compose(ServiceTaskParser, TaskDefinitionParserMixin, ActivityParserMixin), ServiceTask),
        full_tag("sendTask"): (_compose(SpiffSendTaskParser, ActivityParserMixin, MessagePayloadParserMixin), SendTask),
        full_tag("receiveTask"): (
            _compose(SpiffReceiveTaskParser, ActivityParserMixin, MessagePayloadParserMixin), ProcflowReceiveTask),
        full_tag("subProcess"): (_compose(SubWorkflowParser, ActivityParserMixin), ProcflowSubWorkflowTask),
        full_tag("transaction"): (_compose(SubWorkflowParser, ActivityParserMixin), ProcflowTransactionSubprocess),
        full_tag("callActivity"): (
            _compose(CallActivityParser, ZeebeCalledElementMixin, ActivityParserMixin), ProcflowCallActivity),
    }

    def __init__(self, validate_schema: bool = True) -> None:
        super().__init__(validator=VALIDATOR if validate_schema else None)
        self.decision_files: dict[str, str] = {}  # decision id -> the DMN file that defines it

    def add_bpmn_xml(self, bpmn: Any, filename: str | None = None) -> None:
        """Add a BPMN file, its FEEL and JUEL expressions translated to Python (engine.bpmn.expressions)."""
        failed = translate_tree(bpmn)
        if failed:
            first = failed[0]
            raise ValidationException(f"expression {first.element.text!r} cannot be read: {first.error}",
                                      node=first.element, file_name=filename)
        super().add_bpmn_xml(bpmn, filename)

    def add_dmn_xml(self, node: Any, filename: str | None = None) -> None:
        """Add a DMN 1.1-1.5 file for procflow's DMN engine (engine.bpmn.dmn), every decision in it."""
        try:
            definitions = read_definitions(node)
        except DmnError as error:
            raise ValidationException(error.message, file_name=filename or "", id=error.element_id or "",
                                      line_number=error.line or "") from error
        content = etree.tostring(node, encoding="unicode")
        for decision_id in definitions.decisions:
            self.decision_files[decision_id] = content
        self.dmn_dependencies.add(filename)

    def get_engine(self, decision_ref: str, node: Any) -> Any:
        """What a business rule task runs: the decision ``decision_ref`` with procflow's DMN engine."""
        content = self.decision_files.get(decision_ref)
        if content is None:
            known = ", ".join(sorted(self.decision_files)) or "none"
            raise ValidationException(f"no decision {decision_ref!r} (decisions deployed with it: {known})",
                                      node=node, file_name="")
        result_variable = decision_reference(node)[1] if node is not None else None
        return DecisionCall(content, decision_ref, result_variable)

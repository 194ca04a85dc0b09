"""The BPMN/DMN parser procflow deploys with: SpiffWorkflow's Spiff parser plus procflow's extensions.

Clock-aware timers, events delivered by scope (``engine.bpmn.events``), event sub-processes and
scopes (``engine.bpmn.scopes``), link events, the complex gateway and conditional flows leaving
activities (``engine.bpmn.gateways``): each is a parser mixin or a spec class, composed here.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import EventBasedGatewayParser
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
from engine.bpmn.events import (
    ProcflowBoundaryEvent,
    ProcflowEndEvent,
    ProcflowEventBasedGateway,
    ProcflowIntermediateCatchEvent,
    ProcflowIntermediateThrowEvent,
    ProcflowReceiveTask,
    ProcflowScriptTask,
)
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
    """Finds the decision in ``spiffworkflow:calledDecisionId`` or in Camunda Modeler's ``camunda:decisionRef``."""

    @staticmethod
    def get_decision_ref(node: Any) -> Any:
        return BusinessRuleTaskParser.get_decision_ref(node) or node.get(f"{{{CAMUNDA_NS}}}decisionRef")


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

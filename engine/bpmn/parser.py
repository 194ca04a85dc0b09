"""The BPMN/DMN parser procflow deploys with: SpiffWorkflow's Spiff parser plus clock-aware timers."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    IntermediateCatchEvent,
    StartEvent,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser, SpiffProcessParser
from SpiffWorkflow.spiff.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

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


def _with_clock_timers(parser_class: type) -> type:
    """Compose ``parser_class`` with the clock-aware timer mixin."""
    return type(f"Clock{parser_class.__name__}", (ClockTimerParserMixin, parser_class), {})


class ProcflowProcessParser(SpiffProcessParser):
    """Runs every process that has a start event, whatever its ``isExecutable`` flag says.

    bpmn.io writes ``isExecutable="false"`` into every new diagram and offers no way to change it,
    and SpiffWorkflow refuses to run such a process; a pool without a start event (a black box in a
    collaboration) stays non-executable.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.process_executable = bool(self.xpath("./bpmn:startEvent"))


class CamundaAwareBusinessRuleTaskParser(BusinessRuleTaskParser):
    """Finds the decision in ``spiffworkflow:calledDecisionId`` or in Camunda Modeler's ``camunda:decisionRef``."""

    @staticmethod
    def get_decision_ref(node: Any) -> Any:
        return BusinessRuleTaskParser.get_decision_ref(node) or node.get(f"{{{CAMUNDA_NS}}}decisionRef")


class ProcflowParser(SpiffBpmnParser):
    """Spiff's parser, with every event that can hold a timer reading the engine's clock."""

    PROCESS_PARSER_CLASS = ProcflowProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("businessRuleTask"): (CamundaAwareBusinessRuleTaskParser, BusinessRuleTask),
        full_tag("startEvent"): (_with_clock_timers(SpiffStartEventParser), StartEvent),
        full_tag("boundaryEvent"): (_with_clock_timers(SpiffBoundaryEventParser), BoundaryEvent),
        full_tag("intermediateCatchEvent"): (
            _with_clock_timers(SpiffIntermediateCatchEventParser),
            IntermediateCatchEvent,
        ),
    }

    def __init__(self, validate_schema: bool = True) -> None:
        super().__init__(validator=VALIDATOR if validate_schema else None)

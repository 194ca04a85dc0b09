"""Business rule tasks run procflow's DMN engine: the decision a task calls, and how its result becomes task data.

The task names its decision with ``spiffworkflow:calledDecisionId``, ``camunda:decisionRef`` (Camunda 7) or
``zeebe:calledDecision decisionId=...`` (Camunda 8). With a result variable (``camunda:resultVariable``,
``zeebe:calledDecision resultVariable=...``) the decision's result is stored under that name, as Camunda
does: a value, a context of outputs, or a list for multi-hit tables. Without one, the outputs are merged
into the task data by output name (a list per output for multi-hit tables), as SpiffWorkflow did.
The spec stores the DMN file itself, so a stored version keeps the rules it was deployed with.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.dmn.serializer.task_spec import BaseBusinessRuleTaskConverter
from SpiffWorkflow.spiff.serializer.task_spec import BusinessRuleTaskConverter, SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from engine.bpmn.dmn.evaluation import DecisionEvaluator
from engine.bpmn.dmn.model import DecisionTable, load_definitions
from engine.bpmn.expressions.feel_values import plain

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"


def decision_reference(node: Any) -> tuple[str | None, str | None]:
    """The decision id a business rule task calls, and the variable its result goes to (if named)."""
    called = node.find(f".//{{{ZEEBE_NS}}}calledDecision")
    if called is not None and called.get("decisionId"):
        return called.get("decisionId").strip(), called.get("resultVariable") or None
    spiff = node.find(f".//{{{SPIFF_NS}}}calledDecisionId")
    if spiff is not None and (spiff.text or "").strip():
        return spiff.text.strip(), None
    return node.get(f"{{{CAMUNDA_NS}}}decisionRef"), node.get(f"{{{CAMUNDA_NS}}}resultVariable") or None


class DecisionCall:
    """One decision of a DMN file, evaluated over a task's data (SpiffWorkflow calls it the task's dmnEngine)."""

    def __init__(self, content: str, decision_id: str, result_variable: str | None = None) -> None:
        self.content = content
        self.decision_id = decision_id
        self.result_variable = result_variable

    def result(self, my_task: Any) -> dict[str, Any]:
        """What the decision adds to ``my_task``'s data (see the module docstring)."""
        definitions = load_definitions(self.content.encode("utf-8"))
        engine = my_task.workflow.script_engine
        clock = getattr(engine, "clock", None)
        evaluator = DecisionEvaluator(definitions, evaluate=engine.environment.evaluate,
                                      clock=clock.now if clock is not None else None)
        value = plain(evaluator.decide(self.decision_id, dict(my_task.data)))
        if self.result_variable:
            return {self.result_variable: value}
        decision = definitions.decision(self.decision_id)
        table = decision.logic if isinstance(decision.logic, DecisionTable) else None
        names = [column.source for column in table.outputs] if table else [decision.name]
        if isinstance(value, list):
            return {name: [row.get(name) if isinstance(row, dict) else row for row in value] for name in names}
        if isinstance(value, dict) and len(names) > 1:
            return value
        return {names[0] or decision.name: value}

    def to_dict(self) -> dict[str, Any]:
        return {"content": self.content, "decision_id": self.decision_id, "result_variable": self.result_variable}

    @classmethod
    def from_dict(cls, dct: dict[str, Any]) -> DecisionCall:
        return cls(dct["content"], dct["decision_id"], dct.get("result_variable"))


class DecisionTaskConverter(BusinessRuleTaskConverter):
    """Stores a business rule task with its DMN file; specs stored before (a Spiff decision table) still load."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        if not isinstance(spec.dmnEngine, DecisionCall):
            return super().to_dict(spec)
        dct: dict[str, Any] = SpiffBpmnTaskConverter.to_dict(self, spec)
        dct["decision"] = spec.dmnEngine.to_dict()
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        if "decision" not in dct:
            return BaseBusinessRuleTaskConverter.from_dict(self, dct)
        dct["dmnEngine"] = DecisionCall.from_dict(dct.pop("decision"))
        return self.task_spec_from_dict(dct)


SPEC_CONVERTERS: dict[type, type] = {BusinessRuleTask: DecisionTaskConverter}

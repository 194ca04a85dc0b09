"""Gateways SpiffWorkflow lacks: the complex gateway, and conditional sequence flows leaving an activity.

* ``ComplexGateway`` splits like an inclusive gateway (every flow whose condition holds, else the
  default). Joining, it fires as soon as its ``activationCondition`` holds for ``activationCount``
  (the number of incoming flows that have brought a token), and then absorbs the tokens still to come
  in the same round; without an activation condition it joins like an inclusive gateway.
* ``ConditionalFlowSplit`` is placed by the parser behind an activity whose outgoing flows carry
  conditions: unconditional flows are always taken, conditional ones when they hold, and the default
  flow only when no condition holds (BPMN's uncontrolled and conditional flows).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.serializer.default.task_spec import ConditionalGatewayConverter
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.util.task import TaskState


class ComplexGateway(InclusiveGateway):
    """A complex gateway: inclusive split; joins when ``activation_condition`` holds, once per round."""

    def __init__(self, wf_spec: Any, bpmn_id: str, activation_condition: str | None = None, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.activation_condition = activation_condition

    def _update_hook(self, my_task: Any) -> Any:
        if self.activation_condition is not None and self._round_open(my_task):
            my_task.cancel()  # a late token of a round the gateway already fired for
            if not self._more_can_arrive(my_task):
                self._set_round_open(my_task, False)
            return False
        return super()._update_hook(my_task)

    def _check_threshold_unstructured(self, my_task: Any) -> bool:
        if self.activation_condition is None:
            return bool(super()._check_threshold_unstructured(my_task))
        count = len(self._arrived(my_task))
        return bool(my_task.workflow.script_engine.evaluate(
            my_task, self.activation_condition, external_context={"activationCount": count}))

    def _run_hook(self, my_task: Any) -> bool:
        result = super()._run_hook(my_task)
        if self.activation_condition is not None and self._more_can_arrive(my_task):
            self._set_round_open(my_task, True)
        return bool(result)

    def _arrived(self, my_task: Any) -> set[str]:
        """The incoming flows (by source) that have brought a token since the gateway last fired."""
        instances = my_task.workflow.get_tasks(spec_name=self.name, skip_subprocesses=True)
        return {task.parent.task_spec.name for task in instances
                if task.parent is not None and task.parent.has_state(TaskState.COMPLETED)
                and not task.has_state(TaskState.COMPLETED)}

    def _more_can_arrive(self, my_task: Any) -> bool:
        """True while an unfinished task elsewhere in the workflow has a path to this gateway."""
        active = TaskState.READY | TaskState.WAITING | TaskState.STARTED
        sources = {task.task_spec for task in my_task.workflow.get_tasks(state=active, skip_subprocesses=True)
                   if task.task_spec is not self}
        return any(self._reachable_from(spec) for spec in sources)

    def _reachable_from(self, spec: Any) -> bool:
        seen, stack = set(), [spec]
        while stack:
            current = stack.pop()
            if current is self:
                return True
            if current.name not in seen:
                seen.add(current.name)
                stack.extend(current.outputs)
        return False

    # The round's state lives on the workflow's root task: kept by pruning, saved with the workflow.
    def _round_open(self, my_task: Any) -> bool:
        return bool(my_task.workflow.task_tree.internal_data.get(self._key, False))

    def _set_round_open(self, my_task: Any, value: bool) -> None:
        my_task.workflow.task_tree.internal_data[self._key] = value

    @property
    def _key(self) -> str:
        return f"complex_gateway_fired:{self.name}"


class ComplexGatewayParser(ConditionalGatewayParser):
    """Parses a ``complexGateway`` and its ``activationCondition``."""

    def create_task(self) -> Any:
        condition = first(self.xpath("./bpmn:activationCondition"))
        text = (condition.text or "").strip() if condition is not None else ""
        return self.spec_class(self.spec, self.bpmn_id, activation_condition=text or None, **self.bpmn_attributes)


class ComplexGatewayConverter(ConditionalGatewayConverter):
    """Serializes a ``ComplexGateway`` with its activation condition."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["activation_condition"] = spec.activation_condition
        return dct


class ConditionalFlowSplit(MultiChoice, BpmnTaskSpec):
    """Takes an activity's outgoing flows: unconditional always, conditional when true, default when none is."""

    def __init__(self, wf_spec: Any, name: str, activity: str | None = None, default_task_spec: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(wf_spec, name, **kwargs)
        self.activity = activity
        self.default_task_spec = default_task_spec

    def _run_hook(self, my_task: Any) -> bool:
        always, matched = [], []
        for condition, name in self.cond_task_specs:
            if name == self.default_task_spec:
                continue
            if condition is None:
                always.append(name)
            elif condition._matches(my_task):
                matched.append(name)
        chosen = always + matched
        if not matched and self.default_task_spec is not None:
            chosen.append(self.default_task_spec)
        if not chosen:
            raise WorkflowTaskException(f"no condition on the flows leaving {self.activity} holds and it has no "
                                        f"default flow", task=my_task)
        my_task._sync_children([my_task.workflow.spec.task_specs[name] for name in chosen], TaskState.FUTURE)
        for child in my_task.children:
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return True


class ConditionalFlowSplitConverter(ConditionalGatewayConverter):
    """Serializes a ``ConditionalFlowSplit``."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct.pop("choice", None)
        dct["activity"] = spec.activity
        dct["default_task_spec"] = spec.default_task_spec
        return dct


# Spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {
    ComplexGateway: ComplexGatewayConverter,
    ConditionalFlowSplit: ConditionalFlowSplitConverter,
}

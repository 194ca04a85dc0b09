"""Token quantities of activities: ``startQuantity`` and ``completionQuantity`` above one.

BPMN lets an activity wait for several tokens before it starts, and emit several tokens on each
outgoing flow when it completes. SpiffWorkflow ignores both attributes. The parser places a
``TokenCollector`` in front of an activity whose ``startQuantity`` is above one, and a
``TokenMultiplier`` behind one whose ``completionQuantity`` is; both are internal tasks (no BPMN id).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState


class TokenCollector(BpmnTaskSpec):
    """Lets the token through once ``quantity`` tokens have arrived; the waiting instance keeps the count."""

    def __init__(self, wf_spec: Any, name: str, quantity: int = 2, **kwargs: Any) -> None:
        super().__init__(wf_spec, name, **kwargs)
        self.quantity = quantity

    def _update_hook(self, my_task: Any) -> bool:
        super()._update_hook(my_task)
        count = my_task.internal_data.get("tokens", 1)
        for other in my_task.workflow.get_tasks(spec_name=self.name, state=TaskState.WAITING, skip_subprocesses=True):
            if other is not my_task:
                count += other.internal_data.get("tokens", 1)
                DeepMerge.merge(my_task.data, other.data)
                other.cancel()  # the newest token waits for all of them
        if count >= self.quantity:
            my_task.internal_data.pop("tokens", None)
            return True
        my_task.internal_data["tokens"] = count
        my_task._set_state(TaskState.WAITING)
        return False


class TokenMultiplier(BpmnTaskSpec):
    """Sends ``quantity`` tokens down each of its outputs."""

    def __init__(self, wf_spec: Any, name: str, quantity: int = 2, **kwargs: Any) -> None:
        super().__init__(wf_spec, name, **kwargs)
        self.quantity = quantity

    def _run_hook(self, my_task: Any) -> bool:
        for output in self.outputs:
            for _ in range(self.quantity - 1):
                child = my_task._add_child(output, TaskState.FUTURE)
                child.triggered = True  # an extra token, not a prediction
                child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return bool(super()._run_hook(my_task))


class QuantityConverter(BpmnTaskSpecConverter):
    """Serializes a token collector or multiplier with its quantity."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["quantity"] = spec.quantity
        return dct


# Spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {TokenCollector: QuantityConverter, TokenMultiplier: QuantityConverter}

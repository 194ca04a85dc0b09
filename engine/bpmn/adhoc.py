"""Ad-hoc sub-processes without a completion condition, and with sequential ordering.

SpiffWorkflow evaluates the completion condition after each activity, and fails when there is none;
BPMN makes it optional: without one, the sub-process ends when its activities have run. With
``ordering="Sequential"`` no two activities may run at once; procflow runs the (unconnected)
activities one after the other, in the order of the file. SpiffWorkflow's parser reads neither
attribute, which it looks up with a namespace they never have.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.ProcessParser import AdHocParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.default.process_spec import AdHocSubprocessSpecConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import AdHocSubprocessSpec
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask, SimpleBpmnTask, _EndJoin
from SpiffWorkflow.spiff.parser.process import SpiffProcessParser


class ProcflowAdHocSubprocessSpec(AdHocSubprocessSpec):
    """An ad-hoc sub-process spec whose completion condition may be absent and whose activities may be chained."""

    def path_complete(self, workflow: Any, task: Any) -> None:
        if self.completion_condition is not None:
            super().path_complete(workflow, task)
        else:
            workflow.data.update(**task.data)  # ends, as any process, when nothing is left to run

    def create_paths(self) -> None:
        if self.parallel:
            super().create_paths()
        else:
            self._chain_activities()

    def _chain_activities(self) -> None:
        """Sequential ordering: start -> first activity -> second -> ... -> end."""
        activities = [spec for spec in self.task_specs.values()
                      if not isinstance(spec, BpmnStartTask | _EndJoin | SimpleBpmnTask) and not spec.inputs]
        if any(spec.outputs for spec in activities):
            raise ValidationException(f"sequential ad-hoc sub-process {self.name}: only unconnected activities "
                                      f"can be put in sequence")
        previous = self.start
        for spec in activities:
            previous.connect(spec)
            spec.completed_event.connect(self.path_complete)
            previous = spec
        previous.connect(self.end)


class ProcflowAdHocParser(AdHocParser):
    """Reads ``ordering``, ``cancelRemainingInstances`` and an optional ``completionCondition``.

    Its data objects are the Spiff parser's (with a category), which the serializer knows; SpiffWorkflow's
    ad-hoc parser would make plain ones that no converter handles.
    """

    def parse_data_object(self, obj: Any) -> Any:
        return SpiffProcessParser.parse_data_object(self, obj)

    def create_spec(self) -> Any:
        condition = first(self.xpath("./bpmn:completionCondition"))
        text = (condition.text or "").strip() if condition is not None else ""
        return ProcflowAdHocSubprocessSpec(
            completion_condition=text or None,
            parallel=self.node.get("ordering", "Parallel").lower() != "sequential",
            cancel_remaining=self.node.get("cancelRemainingInstances", "true") == "true",
            name=self.bpmn_id,
            description=self.get_name(),
            filename=self.filename,
        )


# Spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {ProcflowAdHocSubprocessSpec: AdHocSubprocessSpecConverter}

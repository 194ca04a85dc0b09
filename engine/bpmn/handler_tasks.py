"""Service tasks bound to a handler of engine.handlers by Camunda 8's ``zeebe:taskDefinition type``."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from engine.handlers import handler

ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "zeebe": ZEEBE_NS}


class HandlerServiceTask(ServiceTask):
    """Calls the handler its ``operation_name`` names with a copy of the data and merges what it returns."""

    def _execute(self, task: Any) -> bool:
        function = handler(self.operation_name)
        if function is None:  # deploy checked it (E083); a handler removed since then fails the step
            raise LookupError(f"no handler registered for task type {self.operation_name!r}")
        result = function(dict(task.data))
        if result:
            task.data.update(result)
        return True


def task_type(node: Any) -> str | None:
    """The ``type`` of a ``zeebe:taskDefinition`` under ``node``, or None."""
    found = node.xpath("./bpmn:extensionElements/zeebe:taskDefinition/@type", namespaces=_NS)
    return str(found[0]).strip() if found else None


class TaskDefinitionParserMixin:
    """A service task with ``zeebe:taskDefinition`` calls a registered handler (no Spiff operator needed)."""

    node: Any
    spec: Any
    bpmn_id: str
    bpmn_attributes: dict[str, Any]

    def create_task(self) -> Any:
        name = task_type(self.node)
        if name is None:
            return super().create_task()  # type: ignore[misc]
        return HandlerServiceTask(self.spec, self.bpmn_id, operation_name=name, operation_params={},
                                  result_variable=None, **self.bpmn_attributes)


# Spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {HandlerServiceTask: ServiceTaskConverter}

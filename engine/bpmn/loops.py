"""Multi-instance activities that refuse a loop cardinality they cannot honour.

SpiffWorkflow takes any value: a negative cardinality leaves a sequential multi-instance activity
waiting for ever for instances it will never create. Here the step fails with a message instead, so
the instance shows up as an error that can be fixed and retried.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.serializer.task_spec import SpiffMultiInstanceConverter
from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask


class CardinalityCheckMixin:
    """Checks ``loopCardinality`` is a whole number of instances before any is created."""

    cardinality: Any
    data_input: Any

    def _update_hook(self, my_task: Any) -> Any:
        if self.data_input is None and self.cardinality is not None:
            my_task._inherit_data()  # the cardinality may read the data the instance arrives with
            value = my_task.workflow.script_engine.evaluate(my_task, self.cardinality)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise WorkflowTaskException(f"loopCardinality {self.cardinality!r} gave {value!r}; a multi-instance "
                                            f"activity needs a whole number of instances (0 or more)", task=my_task)
        return super()._update_hook(my_task)  # type: ignore[misc]


class ProcflowParallelMultiInstanceTask(CardinalityCheckMixin, ParallelMultiInstanceTask):
    """A parallel multi-instance activity."""


class ProcflowSequentialMultiInstanceTask(CardinalityCheckMixin, SequentialMultiInstanceTask):
    """A sequential multi-instance activity."""


# Spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {
    ProcflowParallelMultiInstanceTask: SpiffMultiInstanceConverter,
    ProcflowSequentialMultiInstanceTask: SpiffMultiInstanceConverter,
}

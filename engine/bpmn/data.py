"""Data associations through an activity's inputs and outputs.

A ``dataInputAssociation`` from a data object to one of the activity's ``dataInput`` elements gives the
input the object's value; a ``dataOutputAssociation`` from a ``dataOutput`` to a data object stores the
output in the object. SpiffWorkflow copies data objects into task data under their own id and looks
for inputs and outputs under theirs, so an association between the two never connects. The parser
turns each such association into a ``MappedDataReference`` on the activity's I/O specification.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.serializer.helpers.spec import BpmnDataSpecificationConverter
from SpiffWorkflow.bpmn.specs.data_spec import TaskDataReference

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class MappedDataReference(TaskDataReference):
    """A task variable that takes its value from another one (``source``) when it is not set itself."""

    def __init__(self, bpmn_id: str, bpmn_name: str | None = None, source: str | None = None) -> None:
        super().__init__(bpmn_id, bpmn_name)
        self.source = source

    def get(self, my_task: Any) -> Any:
        if self.bpmn_id in my_task.data or self.source is None:
            return my_task.data.get(self.bpmn_id)
        return my_task.data.get(self.source)

    def exists(self, my_task: Any) -> bool:
        return self.bpmn_id in my_task.data or (self.source is not None and self.source in my_task.data)


class MappedDataReferenceConverter(BpmnDataSpecificationConverter):
    """Serializes a ``MappedDataReference`` with its source."""

    def to_dict(self, data_spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(data_spec)
        dct["source"] = data_spec.source
        return dct


def map_associations(node: Any, io_specification: Any) -> Any:
    """Connect the I/O specification of the activity ``node`` to the data objects its associations name."""
    inputs = _pairs(node, "dataInputAssociation")  # input id -> data object id
    io_specification.data_inputs = [
        MappedDataReference(ref.bpmn_id, ref.bpmn_name, inputs[ref.bpmn_id]) if ref.bpmn_id in inputs else ref
        for ref in io_specification.data_inputs]
    outputs = _pairs(node, "dataOutputAssociation")  # output id -> data object id
    for ref in list(io_specification.data_outputs):
        if ref.bpmn_id in outputs:
            io_specification.data_outputs.append(MappedDataReference(outputs[ref.bpmn_id], None, ref.bpmn_id))
    return io_specification


def _pairs(node: Any, association: str) -> dict[str, str]:
    """For each association of ``node``: its I/O end (input or output id) -> the data object at the other end."""
    pairs = {}
    for element in node.iterfind(f"{{{BPMN_NS}}}{association}"):
        source, target = (_text(element, "sourceRef"), _text(element, "targetRef"))
        io_end, object_end = (target, source) if association == "dataInputAssociation" else (source, target)
        data_object = _data_object(node, object_end)
        if io_end and data_object:
            pairs[io_end] = data_object
    return pairs


def _text(element: Any, tag: str) -> str:
    found = element.find(f"{{{BPMN_NS}}}{tag}")
    return (found.text or "").strip() if found is not None else ""


def _data_object(node: Any, reference: str) -> str | None:
    """The data object a ``dataObjectReference`` id stands for (SpiffWorkflow keys data objects by their id)."""
    for element in node.getroottree().iter(f"{{{BPMN_NS}}}dataObjectReference"):
        if element.get("id") == reference:
            return element.get("dataObjectRef")
    return None


# Data spec class -> converter, registered by engine.bpmn.serializer.
SPEC_CONVERTERS: dict[type, type] = {MappedDataReference: MappedDataReferenceConverter}

"""Serialization of live workflow state, without the process spec (stored once per version)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.event_definition import MessageEventDefinitionConverter

from engine.bpmn import adhoc, data, events, gateways, handler_tasks, loops, scopes, tokens
from engine.bpmn.dmn import task as dmn_task
from engine.bpmn.messages import ProcflowMessageEventDefinition
from engine.bpmn.timers import TIMER_CLASSES

# Bumped whenever procflow changes the shape of what it stores; older states are migrated on load.
STATE_FORMAT = "procflow-1"


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Stores a workflow without its spec; the spec is supplied from the deployed version on load."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None,
                  **kwargs: Any) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("a spec-free workflow state needs its spec to be restored")
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _build_config() -> dict[type, type]:
    config = dict(SPIFF_CONFIG)
    for ours in TIMER_CLASSES.values():
        config[ours] = TimerConditionalEventDefinitionConverter
    config[ProcflowMessageEventDefinition] = MessageEventDefinitionConverter
    for module in (events, scopes, gateways, loops, tokens, data, adhoc, dmn_task, handler_tasks):
        config.update(module.SPEC_CONVERTERS)
    return config


class StateSerializer:
    """Turns workflows into JSON text and back, and specs into dicts and back."""

    def __init__(self) -> None:
        spec_registry = BpmnWorkflowSerializer.configure(_build_config())
        self.specs = BpmnWorkflowSerializer(spec_registry)
        state_registry = BpmnWorkflowSerializer.configure(_build_config())
        SpecFreeWorkflowConverter(BpmnWorkflow, state_registry)
        self.states = BpmnWorkflowSerializer(state_registry)
        # In encoder mode the registry leaves nested objects (events waiting to be caught, events seen by
        # a multiple event) for the JSON encoder to convert.
        self._encoder = create_encoder(state_registry)

    # -- specs ------------------------------------------------------------------------------
    def spec_to_json(self, spec: Any, subprocess_specs: dict[str, Any]) -> str:
        """Serialize a process spec and the specs it calls, for storage with a process version."""
        return json.dumps({
            "spec": self.specs.to_dict(spec),
            "subprocess_specs": {k: self.specs.to_dict(v) for k, v in subprocess_specs.items()},
            "serializer_version": self.specs.VERSION,
        }, sort_keys=True)

    def spec_from_json(self, text: str) -> tuple[Any, dict[str, Any]]:
        """Restore what :meth:`spec_to_json` stored."""
        dct = json.loads(text)
        spec = self.specs.from_dict(dct["spec"])
        subs = {k: self.specs.from_dict(v) for k, v in dct["subprocess_specs"].items()}
        return spec, subs

    # -- live state -------------------------------------------------------------------------
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """Convert a workflow's live state to a JSON-ready dict (no spec)."""
        self.states.registry._encoder_mode = True
        try:
            dct = self.states.to_dict(workflow)
        finally:
            self.states.registry._encoder_mode = False
        dct[BpmnWorkflowSerializer.VERSION_KEY] = self.states.VERSION
        dct["procflow_format"] = STATE_FORMAT
        return dct

    def dumps(self, workflow: BpmnWorkflow) -> str:
        """Serialize a workflow's live state to JSON text."""
        return json.dumps(self.to_dict(workflow), separators=(",", ":"), cls=self._encoder)

    def loads(self, text: str, spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
        """Restore a workflow from :meth:`dumps` output, migrating older serializer versions."""
        dct = json.loads(text)
        return self.from_dict(dct, spec, subprocess_specs, script_engine)

    def from_dict(self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any],
                  script_engine: Any) -> BpmnWorkflow:
        """Restore a workflow from a state dict (consumes ``dct``)."""
        dct.pop("procflow_format", None)
        version = dct.pop(BpmnWorkflowSerializer.VERSION_KEY, self.states.VERSION)
        if version in MIGRATIONS:
            MIGRATIONS[version](dct)
        workflow = self.states.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
        workflow.script_engine = script_engine
        return workflow

"""The runtime's part in routing messages and signals between instances (what is routed: engine/runtime/routing.py)."""

from __future__ import annotations

from typing import Any, Protocol

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException

from engine.bpmn.execution import run_until_waiting
from engine.bpmn.messages import correlations_for
from engine.clock import Clock
from engine.deployment.service import latest_versions
from engine.errors import NotFound
from engine.i18n import N_
from engine.persistence import repository
from engine.persistence.models import InstanceStatus
from engine.runtime.routing import MESSAGE, SIGNAL, DeliveryBudget, Thrown, copy_of, in_delivery_order, start_event_for
from engine.runtime.specs import LoadedSpec, SpecCache
from engine.runtime.step_writer import Step, history_event


class CaseSteps(Protocol):
    """The runtime's means of saving a case's step, which deliveries use as a step of their own would."""

    clock: Clock
    specs: SpecCache

    def restore(self, record: Any, spec: LoadedSpec) -> BpmnWorkflow:
        """The workflow of ``record``, restored from its saved state."""

    def persist(self, step: Step, record: Any, spec: LoadedSpec, workflow: BpmnWorkflow, outcome: Any,
                history: list[Any], *, actor: str | None) -> None:
        """Save the instance's new state, inbox rows, timers, subscriptions and history in ``step``."""

    def create_instance(self, step: Step, spec: LoadedSpec, data: dict[str, Any], business_key: str | None,
                        user: str | None, started: dict[str, Any], *, start_at: str | None = None,
                        trigger: Any = None, started_by_case: int | None = None) -> Any:
        """Insert and run a new instance of ``spec`` in ``step``; return its record."""


class EventRouter:
    """Delivers, before a step commits, the messages and signals it threw that its own instance did not catch.

    Works with the runtime's own means (restore, persist, create), so a delivered instance is saved exactly as a
    step of its own would save it: state, inbox rows, timers, subscriptions and history, in the same transaction.
    """

    def __init__(self, runtime: CaseSteps) -> None:
        self.runtime = runtime

    def route(self, step: Step) -> None:
        """Deliver everything in ``step.outbox``, and what the deliveries throw in turn."""
        budget = DeliveryBudget()
        while step.outbox:
            thrown = step.outbox.pop(0)
            budget.spend(thrown)
            delivered = self._deliver(step, thrown)
            started = self._start_by(step, thrown) if thrown.kind == SIGNAL or not delivered else []
            if thrown.source_id is None and not delivered and not started:
                raise NotFound(N_("no running case waits for the {kind} '{name}' and no process starts on it"),
                               kind=thrown.kind, name=thrown.name)
            if thrown.source_id is not None:
                # Delivered to nobody and starting nothing, it stays in the sender's history as undelivered
                # (`procflow undelivered` lists them) rather than going to a case it was not meant for.
                data = {thrown.kind: thrown.name, "delivered_to": delivered, "started": started}
                if thrown.event.correlations:
                    data["correlations"] = thrown.event.correlations
                repository.add_history(step.conn, [history_event(
                    thrown.source_id, self.runtime.clock.now(), f"{thrown.kind}_sent", data=data)])

    def _deliver(self, step: Step, thrown: Thrown) -> list[int]:
        """Give ``thrown`` to the running instances waiting for it (a message: the first that catches it)."""
        delivered: list[int] = []
        for instance_id in in_delivery_order(repository.subscribers(step.conn, thrown.kind, thrown.name), thrown):
            if thrown.may_receive is not None and not thrown.may_receive(step.conn, instance_id):
                continue  # a case the sender may not see: as if it did not wait
            if instance_id != thrown.source_id and self._deliver_to(step, instance_id, thrown):
                delivered.append(instance_id)
                if thrown.kind == MESSAGE:
                    break
        return delivered

    def _deliver_to(self, step: Step, instance_id: int, thrown: Thrown) -> bool:
        record = repository.lock_instance(step.conn, instance_id)
        if record is None or record.status is not InstanceStatus.RUNNING:
            return False
        spec = self.runtime.specs.get(step.conn, record.process_version_id)
        workflow = self.runtime.restore(record, spec)
        event = copy_of(thrown.event)
        if thrown.kind == MESSAGE:
            keys = correlations_for(workflow, event)
            if keys is None:
                return False  # it waits for this name, but under other correlation keys
            event.correlations = keys or event.correlations
        try:
            workflow.send_event(event)
        except WorkflowException:
            return False  # it waits for this name, but under other correlation keys
        history = [history_event(instance_id, self.runtime.clock.now(), f"{thrown.kind}_received",
                          data={thrown.kind: thrown.name, "payload": thrown.event.payload,
                                "from_instance": thrown.source_id})]
        self.runtime.persist(step, record, spec, workflow, run_until_waiting(workflow), history, actor=None)
        return True

    def _start_by(self, step: Step, thrown: Thrown) -> list[int]:
        """Start the processes whose start event waits for ``thrown`` (a message: the first, by process id)."""
        started: list[int] = []
        for ref in latest_versions(step.conn):
            spec = self.runtime.specs.get(step.conn, ref.id)
            start_at = start_event_for(spec, thrown.kind, thrown.name)
            if start_at is None:
                continue
            origin = {"version": spec.version, thrown.kind: thrown.name, "from_instance": thrown.source_id}
            record = self.runtime.create_instance(step, spec, {}, None, None, origin, start_at=start_at,
                                          trigger=copy_of(thrown.event), started_by_case=thrown.source_id)
            started.append(record.id)
            if thrown.kind == MESSAGE:
                break
        return started

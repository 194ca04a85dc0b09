"""Saving what a step did: the pruned state, status, inbox rows, timers, subscriptions and history, together.

Every command of the runtime ends here, in its transaction: the workflow is pruned and serialized (checked by a
round trip in tests), its outcome sets the status, the case's summary and urgency are evaluated, the inbox rows
follow the READY human tasks, the timer rows the waiting timers and deadlines, the message and signal
subscriptions what the case waits for, the search index row the case's title, key and data text
(engine/persistence/search_index.py), and the history gets one row per event, hash-chained to the case's previous
row (engine/persistence/chain.py). What must happen after commit (RQ wake-ups, messages to route before it) is
left on the :class:`Step`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy.engine import Connection

from engine.bpmn.execution import StepOutcome, current_data
from engine.bpmn.pruning import prune_workflow
from engine.bpmn.serializer import StateSerializer
from engine.clock import Clock
from engine.persistence import repository, search_index
from engine.persistence.case_fields import urgency_level
from engine.persistence.chain import chain_history
from engine.persistence.db import raise_if_unavailable
from engine.persistence.models import InstanceStatus
from engine.persistence.repository import InstanceRecord
from engine.runtime.inbox_rows import InboxChange, sync_inbox
from engine.runtime.routing import Thrown, encode_waits, take_thrown, waits_for
from engine.runtime.scheduling import DueTimer, TimerPlan, sync_timers, task_timer_rows, waiting_bpmn_timers
from engine.runtime.specs import LoadedSpec


@dataclass
class Step:
    """A step's transaction and what it leaves to do after commit."""

    conn: Connection = None  # type: ignore[assignment]
    timers: list[DueTimer] = field(default_factory=list)
    notifications: list[int] = field(default_factory=list)
    outbox: list[Thrown] = field(default_factory=list)  # messages and signals to route before commit
    # Called once with the new case's id when the case a start creates is inserted, before the hooks act on its
    # first elements (e.g. recording the start form's files as the case's attachments).
    on_created: Callable[[Connection, int], None] | None = None


def history_event(instance_id: int, at: datetime, kind: str, **fields_: Any) -> dict[str, Any]:
    """A history row to insert."""
    return {"instance_id": instance_id, "at": at, "kind": kind, **fields_}


def late_seconds(calendar: Any, due_at: datetime | None, done_at: datetime) -> int | None:
    """Working seconds past the deadline (0 when on time; None without a deadline)."""
    if due_at is None:
        return None
    if done_at <= due_at:
        return 0
    calendar = calendar.calendar() if hasattr(calendar, "calendar") else calendar
    if calendar is None or not hasattr(calendar, "working_time_between"):
        return int((done_at - due_at).total_seconds())
    return int(calendar.working_time_between(due_at, done_at).total_seconds())


class StepWriter:
    """Writes a step's result in the step's transaction."""

    def __init__(self, *, serializer: StateSerializer, script_engine: Any, clock: Clock, calendar: Any,
                 verify_state: bool) -> None:
        self.serializer = serializer
        self.script_engine = script_engine
        self.clock = clock
        self.calendar = calendar
        self.verify_state = verify_state

    def persist(self, step: Step, record: InstanceRecord, spec: LoadedSpec, workflow: BpmnWorkflow,
                 outcome: StepOutcome, history: list[dict[str, Any]], *, actor: str | None, human: int = 0,
                 known: set[str] | None = None, started_by: str | None = None) -> None:
        """Prune and save the workflow, its status, inbox rows, timers and history; a new record is inserted."""
        conn, now = step.conn, self.clock.now()
        prune_workflow(workflow)
        thrown = take_thrown(workflow, record.id) if workflow.bpmn_events else []
        text = self.serializer.dumps(workflow)
        if self.verify_state:
            self._verify_round_trip(text, spec)
        history.extend(history_event(record.id, now, "element_completed", task_id=c.task_id, element_id=c.element_id,
                              element_type=c.element_type) for c in outcome.completed)
        history.extend(self._apply_outcome(record, workflow, outcome, now, actor))
        if spec.summary:
            record.summary = self._summary(spec.summary, workflow) or record.summary
        if spec.urgency:
            record.urgency = urgency_level(self._summary(spec.urgency, workflow)) or record.urgency
        done = len(outcome.completed) + human
        is_new = record.id == 0
        waits = waits_for(workflow) if record.status is InstanceStatus.RUNNING else []
        waits_changed = encode_waits(waits) != record.waits_for
        record.waits_for = encode_waits(waits)
        if is_new:
            record.state, record.completed_tasks = text, done
            repository.insert_instance(conn, record, started_by=started_by, now=now)
        if waits_changed:
            repository.replace_subscriptions(conn, record.id, waits, now)
        for item in thrown:
            item.source_id = record.id
        step.outbox.extend(thrown)
        inbox = sync_inbox(conn, record.id, record.process_id, workflow, spec, now, known=known)
        had_timers = record.next_timer_at is not None
        plan = self._timer_plan(record, workflow, inbox, now)
        plan.fired = {c.task_id for c in outcome.completed}
        scheduled, record.next_timer_at = sync_timers(conn, record.id, plan, now, has_pending=had_timers)
        step.timers.extend(scheduled)
        events = history + inbox.events
        for event in events:
            event["instance_id"] = record.id
        # Chained from the head read with the instance's lock; the new head rides on the step's own UPDATE.
        chained = chain_history(events, record.history_head, record.history_count)
        if not is_new:
            repository.save_instance(conn, record, state=text, completed_delta=done, now=now, history=chained)
        elif record.next_timer_at is not None or record.status is not InstanceStatus.RUNNING:
            repository.save_instance(conn, record, state=text, completed_delta=0, now=now, history=chained)
        else:
            repository.set_history_head(conn, record.id, record.history_head, chained)
            record.history_head, record.history_count = chained
        repository.insert_chained_history(conn, events)
        # The search index row, in the same transaction: search shows the case as this step leaves it.
        search_index.write(conn, record.id, search_index.document(
            title=getattr(record, "title", None), summary=record.summary, business_key=record.business_key,
            data=current_data(workflow)), new=is_new)

    def _summary(self, expression: str, workflow: BpmnWorkflow) -> str | None:
        """The case's one-line description (None if the expression cannot be evaluated on the data yet)."""
        try:
            value = self.script_engine.environment.evaluate(expression, current_data(workflow))
        except Exception as exc:  # data the summary needs may arrive only in a later step
            raise_if_unavailable(exc)
            return None
        return str(value)[:500] if value is not None else None

    def _timer_plan(self, record: InstanceRecord, workflow: BpmnWorkflow, inbox: InboxChange,
                    now: datetime) -> TimerPlan:
        running = record.status is InstanceStatus.RUNNING
        bpmn = waiting_bpmn_timers(workflow) if running else {}
        task_timers = [r for row, meta in inbox.created
                       for r in task_timer_rows(record.id, row, meta, self.calendar, now)] if running else []
        return TimerPlan(bpmn, task_timers, inbox.closed)

    def _apply_outcome(self, record: InstanceRecord, workflow: BpmnWorkflow, outcome: StepOutcome, now: datetime,
                       actor: str | None) -> list[dict[str, Any]]:
        if outcome.failure is not None:
            record.status = InstanceStatus.ERROR
            record.error_element, record.error_message = outcome.failure.element_id, outcome.failure.message
            return [history_event(record.id, now, "error", element_id=outcome.failure.element_id,
                           task_id=outcome.failure.task_id, actor=actor, data={"message": outcome.failure.message})]
        if workflow.completed and record.status is InstanceStatus.RUNNING:
            record.status, record.ended_at = InstanceStatus.COMPLETED, now
            return [history_event(record.id, now, "instance_completed", actor=actor)]
        return []

    def _verify_round_trip(self, text: str, spec: LoadedSpec) -> None:
        again = self.serializer.dumps(self.serializer.loads(text, spec.spec, spec.subprocess_specs,
                                                            self.script_engine))
        if json.loads(again) != json.loads(text):
            raise AssertionError("workflow state does not survive a serializer round trip")

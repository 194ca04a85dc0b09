"""Running instances: start, complete tasks, suspend, resume, terminate and retry, all persisted atomically."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.bpmn.execution import (
    StepOutcome,
    complete_human_task,
    ready_human_tasks,
    reset_errored,
    run_until_waiting,
    tasks_in_state,
)
from engine.bpmn.messages import ProcflowMessageEventDefinition, correlations_for
from engine.bpmn.script_engine import ProcflowScriptEngine
from engine.bpmn.serializer import StateSerializer
from engine.calendar.store import pinned
from engine.clock import Clock
from engine.deployment.form_store import FormStore
from engine.deployment.service import latest_version
from engine.errors import NO_PROCESS, Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied, no_user
from engine.forms import FormDefinition, validate_submission
from engine.i18n import N_, Message
from engine.org.picks import PickOption
from engine.persistence import repository
from engine.persistence.db import Database
from engine.persistence.models import HistoryEvent, Instance, InstanceStatus
from engine.persistence.repository import InstanceRecord
from engine.registers.numbers import numbering
from engine.runtime.checks import COMPLETE, START, check_may_work, load_input, require_json
from engine.runtime.delivery import EventRouter
from engine.runtime.hooks import ElementEvent, StepHook, StepSaved
from engine.runtime.picks import form_pick_options, form_picks
from engine.runtime.routing import MESSAGE, SIGNAL, STARTED_BY_CASE, Thrown
from engine.runtime.scheduling import Dispatcher, InlineDispatcher
from engine.runtime.specs import LoadedSpec, SpecCache
from engine.runtime.start_events import prime_start_event
from engine.runtime.start_rules import apply_start_rules
from engine.runtime.step_writer import Step, StepWriter, history_event, late_seconds
from engine.runtime.versions import case_version, require_version, task_version
from engine.settings import DEFAULT_SCRIPT_TIMEOUT
from engine.telemetry import STEP_SECONDS

ENDED = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)


class Runtime:
    """The service that moves instances forward; every public method is one transaction."""

    def __init__(self, *, db: Database, clock: Clock, calendar: Any = None,
                 serializer: StateSerializer | None = None, specs: SpecCache | None = None,
                 dispatcher: Dispatcher | None = None, verify_state: bool = False,
                 timezone: str = "Asia/Ho_Chi_Minh", script_timeout: float = DEFAULT_SCRIPT_TIMEOUT) -> None:
        self.db = db
        self.timezone = timezone
        self.clock = clock
        self.calendar = calendar
        self.forms = FormStore()
        self.dispatcher: Dispatcher = dispatcher or InlineDispatcher()
        self.serializer = serializer or StateSerializer()
        self.specs = specs or SpecCache(self.serializer)
        self.script_engine = ProcflowScriptEngine(clock=clock, calendar=calendar, timeout=script_timeout)
        self.verify_state = verify_state
        self.router = EventRouter(self)
        self.writer = StepWriter(serializer=self.serializer, script_engine=self.script_engine, clock=clock,
                                 calendar=calendar, verify_state=verify_state)
        # Areas above the runtime acting on model extension elements (engine/runtime/hooks.py), added by the
        # composition root.
        self.hooks: list[StepHook] = []

    @contextmanager
    def transaction(self) -> Iterator[Step]:
        """One step's transaction; timers and notifications it created are dispatched after commit."""
        step = Step()
        with (STEP_SECONDS.time(), self.db.transaction() as conn, pinned(self.calendar, conn),
              numbering(conn, self.clock.now(), self.timezone)):
            step.conn = conn
            yield step
            self.router.route(step)
        self.dispatcher.schedule(step.timers)
        self.dispatcher.deliver(step.notifications)

    # -- commands -----------------------------------------------------------------------------
    def start(self, process_id: str, *, data: dict[str, Any] | None = None, business_key: str | None = None,
              user: str | None = None, locale: str = "vi",
              on_created: Callable[[Connection, int], None] | None = None) -> int:
        """Start the latest version of ``process_id`` and run it until it waits; return the instance id.

        Args:
            on_created: called in the step's transaction with the new case's id once it is inserted, before the
                model's extensions act on its first elements (engine/cases/starting.py records the start form's
                files there, so that the start's document actions find them).
        """
        args = load_input(START, {"process_id": process_id, "data": data or {}, "business_key": business_key,
                              "user": user})
        with self.transaction() as step:
            conn, step.on_created = step.conn, on_created
            target = repository.start_target(conn, args["process_id"], user)
            if target is None:
                raise NotFound(NO_PROCESS, process_id=process_id)
            if user is not None and not target.user_active:
                raise no_user(user)
            spec = self.specs.get(conn, target.version_id)
            if spec.starter_groups:
                self._check_may_start(conn, spec, user)
            args["data"] = self._validated(conn, spec.start or {}, args["data"], locale, user)
            business_key = apply_start_rules(conn, spec, args["data"], args["business_key"],
                                             self.script_engine.environment, self.timezone)
            if user is not None:  # who started the case: e.g. returned drafts go back to their author
                args["data"].setdefault("initiator", user)
            started = {"business_key": business_key, "data": args["data"], "version": target.version}
            return self.create_instance(step, spec, args["data"], business_key, user, started).id

    def create_instance(self, step: Step, spec: LoadedSpec, data: dict[str, Any], business_key: str | None,
                        user: str | None, started: dict[str, Any], *, start_at: str | None = None,
                        trigger: BpmnEvent | None = None, started_by_case: int | None = None) -> InstanceRecord:
        """Create an instance of ``spec`` with ``data``, run it until it waits, and insert it.

        Args:
            started: what the ``instance_started`` history event records.
            start_at: the start event that starts it (engine/runtime/start_events.py): it caught ``trigger``
                (a message or signal), or without one its timer fired; None: as a person starts it.
            started_by_case: the case whose message started this one (its replies go there first).
        """
        workflow = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=self.script_engine)
        if started_by_case is not None:
            workflow.correlations[STARTED_BY_CASE] = started_by_case
        if start_at is not None and not prime_start_event(workflow, start_at, trigger):
            raise InvalidState(N_("{process_id} has no start event {start_at}"), process_id=spec.process_id,
                               start_at=start_at)
        workflow.data.update(data)
        for task in tasks_in_state(workflow, TaskState.READY):
            task.data.update(data)
        outcome = run_until_waiting(workflow)
        record = InstanceRecord(0, spec.version_id, spec.process_id, business_key, InstanceStatus.RUNNING, 1, "", 0)
        history = [{"kind": "instance_started", "at": self.clock.now(), "actor": user, "data": started}]
        self.persist(step, record, spec, workflow, outcome, history, actor=user, known=set(), started_by=user)
        return record

    def complete_task(self, task_id: str, *, user: str, data: dict[str, Any] | None = None,
                      locale: str = "vi", expected: str | None = None) -> InstanceRecord:
        """Complete an open user task as ``user`` with ``data`` and run the instance on.

        When the task has a form, ``data`` must pass the form's validation (messages in ``locale``);
        a refused submission changes nothing. ``expected``: the task's version the caller read
        (engine/runtime/versions.py); Stale if it changed since.
        """
        args = load_input(COMPLETE, {"task_id": task_id, "user": user, "data": data or {}})
        task_id = str(args["task_id"])
        with self.transaction() as step:
            conn = step.conn
            found = repository.lock_task(conn, task_id, user)
            if found is None:
                raise self._gone(conn, task_id)
            record, open_task = found
            require_version(task_version(record.lock_version, open_task.assignee), expected)
            self._require_running(record)
            check_may_work(open_task, user)
            spec = self.specs.get(conn, record.process_version_id)
            args["data"] = self._validated(conn, spec.tasks_meta.get(open_task.element_id, {}), args["data"],
                                           locale, user)
            workflow = self.restore(record, spec)
            task = workflow.get_task_from_id(UUID(task_id))
            if task is None or not task.has_state(TaskState.READY):
                raise Conflict(N_("task {task_id} is no longer open"), task_id=task_id)
            args["data"] = self._task_hooks(conn, record, spec, open_task.element_id, task, user, args["data"])
            now = self.clock.now()
            history = [history_event(record.id, now, "task_completed", task_id=task_id, element_id=open_task.element_id,
                              element_type=type(task.task_spec).__name__, actor=user,
                              data={"data": args["data"], "due_at": _iso(open_task.due_at),
                                    "created_at": _iso(open_task.created_at)},
                              process_id=record.process_id, unit_code=open_task.user_unit,
                              task_created_at=open_task.created_at, due_at=open_task.due_at,
                              late_seconds=late_seconds(self.calendar, open_task.due_at, now))]
            # The inbox rows always mirror the READY human tasks as last saved (same transaction), so the
            # open rows are known without asking the database.
            known = {str(t.id) for t in ready_human_tasks(workflow)}
            outcome = complete_human_task(workflow, task, args["data"])
            outcome.completed = [c for c in outcome.completed if c.task_id != task_id]
            self.persist(step, record, spec, workflow, outcome, history, actor=user, human=1, known=known)
            return record

    def suspend(self, instance_id: int, *, user: str | None = None, expected: str | None = None) -> None:
        """Stop an instance from moving (tasks cannot be completed, timers do not fire) until resumed.

        ``expected``: the case's version the caller read (engine/runtime/versions.py); Stale if it changed.
        """
        with self.transaction() as step:
            conn = step.conn
            record = self._lock(conn, instance_id, expected)
            self._require_running(record)
            self._set_status(step, record, InstanceStatus.SUSPENDED, "suspended", user)

    def resume(self, instance_id: int, *, user: str | None = None, expected: str | None = None) -> None:
        """Let a suspended instance move again (``expected``: as for :meth:`suspend`)."""
        with self.transaction() as step:
            conn = step.conn
            record = self._lock(conn, instance_id, expected)
            if record.status is not InstanceStatus.SUSPENDED:
                raise InvalidState(N_("instance {instance_id} is {status}, not suspended"), instance_id=instance_id,
                                   status=status_name(record.status))
            record.status = InstanceStatus.RUNNING
            spec = self.specs.get(conn, record.process_version_id)
            workflow = self.restore(record, spec)
            outcome = run_until_waiting(workflow)  # timers that fell due while it was suspended fire now
            history = [history_event(instance_id, self.clock.now(), "resumed", actor=user)]
            self.persist(step, record, spec, workflow, outcome, history, actor=user)

    def terminate(self, instance_id: int, *, user: str | None = None, reason: str | None = None,
                  expected: str | None = None) -> None:
        """End an instance for good: open tasks are cancelled (``expected``: as for :meth:`suspend`)."""
        with self.transaction() as step:
            conn = step.conn
            record = self._lock(conn, instance_id, expected)
            if record.status in ENDED:
                raise InvalidState(N_("instance {instance_id} has already ended ({status})"), instance_id=instance_id,
                                   status=status_name(record.status))
            spec = self.specs.get(conn, record.process_version_id)
            workflow = self.restore(record, spec)
            workflow.cancel()
            now = self.clock.now()
            record.status, record.ended_at = InstanceStatus.TERMINATED, now
            history = [history_event(instance_id, now, "terminated", actor=user, data={"reason": reason})]
            self.persist(step, record, spec, workflow, StepOutcome(), history, actor=user)

    def retry(self, instance_id: int, *, user: str | None = None, data: dict[str, Any] | None = None,
              upgrade: bool = False) -> InstanceRecord:
        """Run a failed step again, optionally with corrected data or on the latest version of the model."""
        require_json(data or {})
        with self.transaction() as step:
            conn = step.conn
            record = self._lock(conn, instance_id)
            if record.status is not InstanceStatus.ERROR:
                raise InvalidState(N_("instance {instance_id} is {status}; only failed ones are retried"),
                                   instance_id=instance_id, status=status_name(record.status))
            spec = self.specs.get(conn, record.process_version_id)
            if upgrade:
                spec = self._upgrade(conn, record, spec)
            workflow = self.restore(record, spec)
            for task in workflow.get_tasks(state=TaskState.ERROR):
                task.data.update(data or {})
            reset_errored(workflow)
            record.status, record.error_element, record.error_message = InstanceStatus.RUNNING, None, None
            history = [history_event(instance_id, self.clock.now(), "retried", actor=user,
                              data={"data": data or {}, "version": spec.version})]
            outcome = run_until_waiting(workflow)
            self.persist(step, record, spec, workflow, outcome, history, actor=user)
            return record

    def send_message(self, message_name: str, *, instance_id: int | None = None, business_key: str | None = None,
                     payload: dict[str, Any] | None = None, user: str | None = None,
                     may_receive: Callable[[Connection, int], bool] | None = None) -> InstanceRecord | None:
        """Deliver a BPMN message (by its name) and run the receiving instance on.

        Named by id or business key, the instance must be waiting for the message, else it refuses with
        :class:`InvalidState` and nothing changes. Named by neither, the message is routed as one thrown by
        a model (engine/runtime/routing.py): to the instance that has waited longest for it, or else it starts
        an instance of the process whose start event waits for it; :class:`NotFound` if nobody does.
        ``may_receive`` limits a routed message to the cases it accepts (the API: those its caller may see).
        """
        require_json(payload or {})
        event = BpmnEvent(ProcflowMessageEventDefinition(message_name), payload=dict(payload or {}))
        with self.transaction() as step:
            if instance_id is None and business_key is None:
                step.outbox.append(Thrown(None, MESSAGE, event, may_receive=may_receive))
                return None
            instance_id = self._resolve(step.conn, instance_id, business_key)
            record = self._lock(step.conn, instance_id)
            self._require_running(record)
            spec = self.specs.get(step.conn, record.process_version_id)
            workflow = self.restore(record, spec)
            keys = correlations_for(workflow, event)
            if keys is None:
                raise InvalidState(N_("instance {instance_id} is not waiting for the message '{message_name}' "
                                      "with these correlation keys"),
                                   instance_id=instance_id, message_name=message_name)
            event.correlations = keys or event.correlations
            try:
                workflow.send_event(event)
            except WorkflowException as exc:
                raise InvalidState(N_("instance {instance_id} is not waiting for the message '{message_name}'"),
                                   instance_id=instance_id, message_name=message_name) from exc
            history = [history_event(instance_id, self.clock.now(), "message_received", actor=user,
                              data={"message": message_name, "payload": payload or {}})]
            outcome = run_until_waiting(workflow)
            self.persist(step, record, spec, workflow, outcome, history, actor=user)
            return record

    def send_signal(self, signal_name: str, *, payload: dict[str, Any] | None = None) -> None:
        """Broadcast a BPMN signal: every running instance waiting for it catches it, and every process whose
        start event waits for it starts; :class:`NotFound` if nobody waits for it."""
        require_json(payload or {})
        with self.transaction() as step:
            event = BpmnEvent(SignalEventDefinition(signal_name), payload=dict(payload or {}))
            step.outbox.append(Thrown(None, SIGNAL, event))

    def resolve(self, instance_id: int | None, business_key: str | None) -> int:
        """The instance named by id, or else by the business key of exactly one running instance.

        Raises:
            InvalidInput: named by neither.
            NotFound: no running instance, or more than one, has that business key.
        """
        with self.db.connect() as conn:
            return self._resolve(conn, instance_id, business_key)

    def _resolve(self, conn: Connection, instance_id: int | None, business_key: str | None) -> int:
        if instance_id is not None:
            return instance_id
        if not business_key:
            raise InvalidInput(N_("name the instance: an id or a business key"), {"instance": ["required"]})
        found = conn.execute(select(Instance.id).where(Instance.business_key == business_key,
                                                       Instance.status == InstanceStatus.RUNNING.value)).scalars().all()
        if not found:
            raise NotFound(N_("no running instance with business key '{business_key}'"), business_key=business_key)
        if len(found) > 1:
            raise NotFound(N_("{count} running instances with business key '{business_key}'"), count=len(found),
                           business_key=business_key)
        return found[0]

    def fire_timers(self, instance_id: int) -> bool:
        """Let due timers of one instance fire; return True if anything moved."""
        with self.transaction() as step:
            return self.advance(step, instance_id)

    def advance(self, step: Step, instance_id: int) -> bool:
        """Within ``step``, run a running instance on (due timers fire); return True if anything moved.

        Moving includes what completes no element: a cycle timer that opens another user task.
        """
        record = self._lock(step.conn, instance_id)
        if record.status is not InstanceStatus.RUNNING:
            return False
        spec = self.specs.get(step.conn, record.process_version_id)
        workflow = self.restore(record, spec)
        before = _live_states(workflow)
        outcome = run_until_waiting(workflow)
        if not outcome.completed and outcome.failure is None and _live_states(workflow) == before:
            return False
        self.persist(step, record, spec, workflow, outcome, [], actor=None)
        return True

    # -- locking and loading ------------------------------------------------------------------
    def _lock(self, conn: Connection, instance_id: int, expected: str | None = None) -> InstanceRecord:
        record = repository.lock_instance(conn, instance_id)
        if record is None:
            raise NotFound(N_("no instance {instance_id}"), instance_id=instance_id)
        require_version(case_version(record.lock_version), expected)
        return record

    def _gone(self, conn: Connection, task_id: str) -> Exception:
        done = conn.execute(select(HistoryEvent.actor, HistoryEvent.at).where(
            HistoryEvent.task_id == task_id, HistoryEvent.kind == "task_completed")).first()
        if done is not None:
            when = done.at.astimezone(ZoneInfo(self.timezone))  # written in the reader's format when rendered
            return Conflict(N_("task {task_id} was already completed by {actor} at {when}"), task_id=task_id,
                            actor=done.actor, when=when)
        return NotFound(N_("no open task {task_id}"), task_id=task_id)

    def restore(self, record: InstanceRecord, spec: LoadedSpec) -> BpmnWorkflow:
        """The workflow of ``record``, restored from its saved state with ``spec``."""
        return self.serializer.loads(record.state, spec.spec, spec.subprocess_specs, self.script_engine)

    def _upgrade(self, conn: Connection, record: InstanceRecord, spec: LoadedSpec) -> LoadedSpec:
        newest = latest_version(conn, record.process_id)
        if newest is None or newest.id == spec.version_id:
            return spec
        target = self.specs.get(conn, newest.id)
        names = {t["task_spec"] for t in json.loads(record.state)["tasks"].values()}
        missing = sorted(n for n in names if n not in target.spec.task_specs)
        if missing:
            raise InvalidState(N_("version {version} of {process_id} lacks elements this instance is using: {missing}"),
                               version=newest.version, process_id=record.process_id, missing=', '.join(missing))
        record.process_version_id = newest.id
        return target

    # -- checks -------------------------------------------------------------------------------
    def _require_running(self, record: InstanceRecord) -> None:
        if record.status is not InstanceStatus.RUNNING:
            raise InvalidState(N_("instance {instance_id} is {status}"), instance_id=record.id,
                               status=status_name(record.status))

    def _check_may_start(self, conn: Connection, spec: LoadedSpec, user: str | None) -> None:
        groups = repository.user_groups(conn, user) if user is not None else None
        if not (groups or set()) & set(spec.starter_groups):
            raise PermissionDenied(N_("only members of {groups} may start {process_id}"),
                                   groups=', '.join(spec.starter_groups), process_id=spec.process_id)

    # -- persisting ---------------------------------------------------------------------------
    def persist(self, step: Step, record: InstanceRecord, spec: LoadedSpec, workflow: BpmnWorkflow,
                outcome: StepOutcome, history: list[dict[str, Any]], *, actor: str | None, human: int = 0,
                known: set[str] | None = None, started_by: str | None = None) -> None:
        """Save what a step did to ``record`` (engine/runtime/step_writer.py); a new record is inserted."""
        # Read the data of completed elements before the writer prunes them from the tree.
        pending = self._completed_with_actions(spec, workflow, outcome) if self.hooks and spec.documents else []
        self.writer.persist(step, record, spec, workflow, outcome, history, actor=actor, human=human, known=known,
                            started_by=started_by)
        if step.on_created is not None:  # the case a start creates: once, for this case only
            created, step.on_created = step.on_created, None
            created(step.conn, record.id)
        for element_id, task_id, data, actions in pending:  # the record has its id now, even a new one
            for hook in self.hooks:
                hook.element_completed(ElementEvent(step.conn, record.id, record.process_id, element_id, task_id,
                                                    actor, data, data, actions))
        for hook in self.hooks:
            saved = getattr(hook, "step_saved", None)
            if saved is not None:
                saved(StepSaved(step.conn, record.id, record.process_id, actor, history))

    def _task_hooks(self, conn: Connection, record: InstanceRecord, spec: LoadedSpec, element_id: str, task: Any,
                    user: str, data: dict[str, Any]) -> dict[str, Any]:
        """Let the hooks act on a human task about to complete (they may change the data it completes with)."""
        actions = spec.documents.get(element_id)
        for hook in self.hooks if actions else ():
            data = hook.task_completing(ElementEvent(conn, record.id, record.process_id, element_id, str(task.id),
                                                     user, data, dict(task.data), actions or []))
        return data

    @staticmethod
    def _completed_with_actions(spec: LoadedSpec, workflow: BpmnWorkflow, outcome: StepOutcome,
                                ) -> list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
        found = []
        for done in outcome.completed:
            actions = spec.documents.get(done.element_id)
            task = workflow.get_task_from_id(UUID(done.task_id)) if actions else None
            if task is not None and actions:
                found.append((done.element_id, done.task_id, dict(task.data), actions))
        return found

    def pick_options(self, form: FormDefinition | None, user: str | None) -> dict[str, list[PickOption]]:
        """The choices each pick field of ``form`` offers ``user``: the same the server accepts."""
        with self.db.connect() as conn:
            return form_pick_options(conn, form, user)

    def _validated(self, conn: Connection, meta: dict[str, Any], data: dict[str, Any], locale: str,
                   user: str | None) -> dict[str, Any]:
        """``data`` cleaned by the form ``meta`` names (unchanged when there is no form); its pick fields must
        name what the organisation offers ``user`` (engine/runtime/picks.py)."""
        form_version_id = meta.get("form_version_id")
        if not form_version_id:
            return data
        form = self.forms.get(conn, form_version_id)
        local_now = self.clock.now().astimezone(ZoneInfo(self.timezone))
        return validate_submission(form, data, locale=locale, now=local_now, picks=form_picks(conn, form, user))

    def _set_status(self, step: Step, record: InstanceRecord, status: InstanceStatus, kind: str,
                    user: str | None) -> None:
        now = self.clock.now()
        record.status = status
        repository.save_instance(step.conn, record, state=record.state, completed_delta=0, now=now)
        repository.add_history(step.conn, [history_event(record.id, now, kind, actor=user)])

def _live_states(workflow: BpmnWorkflow) -> dict[Any, int]:
    """The unfinished tasks and their states: what a step that completes nothing may still change."""
    return {t.id: t.state for t in tasks_in_state(workflow, TaskState.NOT_FINISHED_MASK)}



def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# How a case's status reads inside a message (English as stored; the catalog has the Vietnamese).
STATUS_NAMES = {
    InstanceStatus.RUNNING: N_("running"),
    InstanceStatus.SUSPENDED: N_("suspended"),
    InstanceStatus.ERROR: N_("error"),
    InstanceStatus.COMPLETED: N_("completed"),
    InstanceStatus.TERMINATED: N_("terminated"),
}


def status_name(status: InstanceStatus) -> Message:
    """A status as a message parameter, so it is read in the message's language."""
    return Message(STATUS_NAMES[status])

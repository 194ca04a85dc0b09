"""Running instances: start, complete tasks, suspend, resume, terminate and retry, all persisted atomically."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from marshmallow import Schema, ValidationError, fields, validate
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.pruning import prune_workflow
from engine.bpmn.script_engine import ProcflowScriptEngine
from engine.bpmn.serializer import StateSerializer
from engine.clock import Clock
from engine.deployment import latest_version
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.execution import (
    StepOutcome,
    complete_human_task,
    reset_errored,
    run_until_waiting,
)
from engine.inbox import USER_PREFIX, sync_inbox
from engine.org import OrgService
from engine.persistence.db import Database
from engine.persistence.models import (
    HistoryEvent,
    InboxTask,
    Instance,
    InstanceState,
    InstanceStatus,
)
from engine.specs import LoadedSpec, SpecCache


class StartSchema(Schema):
    process_id = fields.String(required=True, validate=validate.Length(1, 100))
    business_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    data = fields.Dict(keys=fields.String(), load_default=dict)
    user = fields.String(load_default=None, allow_none=True)


class CompleteSchema(Schema):
    task_id = fields.UUID(required=True)
    user = fields.String(required=True, validate=validate.Length(1, 100))
    data = fields.Dict(keys=fields.String(), load_default=dict)


def _load(schema: Schema, raw: dict[str, Any]) -> dict[str, Any]:
    try:
        loaded = schema.load(raw)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        fields_ = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in messages.items()}
        raise InvalidInput("; ".join(f"{k}: {' '.join(v)}" for k, v in fields_.items()), fields_) from exc
    _require_json(loaded.get("data", {}))
    return loaded


def _require_json(data: dict[str, Any]) -> None:
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"data must be plain JSON: {exc}", {"data": [str(exc)]}) from exc


class Runtime:
    """The service that moves instances forward; every public method is one transaction."""

    def __init__(self, *, db: Database, clock: Clock, calendar: Any = None,
                 serializer: StateSerializer | None = None, specs: SpecCache | None = None,
                 verify_state: bool = False) -> None:
        self.db = db
        self.clock = clock
        self.serializer = serializer or StateSerializer()
        self.specs = specs or SpecCache(self.serializer)
        self.script_engine = ProcflowScriptEngine(clock=clock, calendar=calendar)
        self.org = OrgService(db=db)
        self.verify_state = verify_state

    # -- commands -----------------------------------------------------------------------------
    def start(self, process_id: str, *, data: dict[str, Any] | None = None, business_key: str | None = None,
              user: str | None = None) -> int:
        """Start the latest version of ``process_id`` and run it until it waits; return the instance id."""
        args = _load(StartSchema(), {"process_id": process_id, "data": data or {}, "business_key": business_key,
                                     "user": user})
        with self.db.write() as session:
            version = latest_version(session, args["process_id"])
            if version is None:
                raise NotFound(f"no deployed process '{process_id}' (deploy it with `procflow deploy`)")
            spec = self.specs.get(session, version.id)
            self._check_may_start(session, spec, user)
            now = self.clock.now()
            instance = Instance(process_version_id=version.id, process_id=version.process_id,
                                business_key=args["business_key"], status=InstanceStatus.RUNNING,
                                started_by=user, started_at=now, updated_at=now)
            session.add(instance)
            session.flush()
            workflow = BpmnWorkflow(spec.spec, spec.subprocess_specs, script_engine=self.script_engine)
            workflow.data.update(args["data"])
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(args["data"])
            outcome = run_until_waiting(workflow)
            session.add(HistoryEvent(instance_id=instance.id, at=now, kind="instance_started", actor=user,
                                     data={"business_key": business_key, "data": args["data"],
                                           "version": version.version}))
            self._persist(session, instance, spec, workflow, outcome, actor=user, new=True)
            return instance.id

    def complete_task(self, task_id: str, *, user: str, data: dict[str, Any] | None = None) -> Instance:
        """Complete an open user task as ``user`` with ``data`` and run the instance on."""
        args = _load(CompleteSchema(), {"task_id": task_id, "user": user, "data": data or {}})
        task_id = str(args["task_id"])
        with self.db.write() as session:
            instance, row = self._lock_task(session, task_id)
            self._require_running(instance)
            self._check_may_work(session, row, user)
            spec = self.specs.get(session, instance.process_version_id)
            workflow = self._restore(instance, spec)
            task = workflow.get_task_from_id(UUID(task_id))
            if task is None or not task.has_state(TaskState.READY):
                raise Conflict(f"task {task_id} is no longer open")
            outcome = complete_human_task(workflow, task, args["data"])
            session.add(HistoryEvent(instance_id=instance.id, at=self.clock.now(), kind="task_completed",
                                     task_id=task_id, element_id=row.element_id, element_type="UserTask",
                                     actor=user, data={"data": args["data"], "due_at": _iso(row.due_at),
                                                       "created_at": _iso(row.created_at)}))
            outcome.completed = [c for c in outcome.completed if c.task_id != task_id]
            self._persist(session, instance, spec, workflow, outcome, actor=user, human=1)
            return instance

    def suspend(self, instance_id: int, *, user: str | None = None) -> None:
        """Stop an instance from moving (tasks cannot be completed, timers do not fire) until resumed."""
        with self.db.write() as session:
            instance = self._lock_instance(session, instance_id)
            self._require_running(instance)
            self._set_status(session, instance, InstanceStatus.SUSPENDED, "suspended", user)

    def resume(self, instance_id: int, *, user: str | None = None) -> None:
        """Let a suspended instance move again."""
        with self.db.write() as session:
            instance = self._lock_instance(session, instance_id)
            if instance.status is not InstanceStatus.SUSPENDED:
                raise InvalidState(f"instance {instance_id} is {instance.status.value}, not suspended")
            self._set_status(session, instance, InstanceStatus.RUNNING, "resumed", user)

    def terminate(self, instance_id: int, *, user: str | None = None, reason: str | None = None) -> None:
        """End an instance for good: open tasks are cancelled."""
        with self.db.write() as session:
            instance = self._lock_instance(session, instance_id)
            if instance.status in (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED):
                raise InvalidState(f"instance {instance_id} has already ended ({instance.status.value})")
            spec = self.specs.get(session, instance.process_version_id)
            workflow = self._restore(instance, spec)
            workflow.cancel()
            instance.status = InstanceStatus.TERMINATED
            instance.ended_at = self.clock.now()
            session.add(HistoryEvent(instance_id=instance.id, at=self.clock.now(), kind="terminated", actor=user,
                                     data={"reason": reason}))
            self._persist(session, instance, spec, workflow, StepOutcome(), actor=user)

    def retry(self, instance_id: int, *, user: str | None = None, data: dict[str, Any] | None = None,
              upgrade: bool = False) -> Instance:
        """Run a failed step again, optionally with corrected data or on the latest version of the model."""
        _require_json(data or {})
        with self.db.write() as session:
            instance = self._lock_instance(session, instance_id)
            if instance.status is not InstanceStatus.ERROR:
                raise InvalidState(f"instance {instance_id} is {instance.status.value}; only failed ones are retried")
            spec = self.specs.get(session, instance.process_version_id)
            if upgrade:
                spec = self._upgrade(session, instance, spec)
            workflow = self._restore(instance, spec)
            for task in workflow.get_tasks(state=TaskState.ERROR):
                task.data.update(data or {})
            reset_errored(workflow)
            instance.status = InstanceStatus.RUNNING
            instance.error_element = instance.error_message = None
            session.add(HistoryEvent(instance_id=instance.id, at=self.clock.now(), kind="retried", actor=user,
                                     data={"data": data or {}, "version": spec.version}))
            outcome = run_until_waiting(workflow)
            self._persist(session, instance, spec, workflow, outcome, actor=user)
            return instance

    def fire_timers(self, instance_id: int) -> bool:
        """Let due timers of one instance fire; return True if anything moved."""
        with self.db.write() as session:
            instance = self._lock_instance(session, instance_id)
            if instance.status is not InstanceStatus.RUNNING:
                return False
            spec = self.specs.get(session, instance.process_version_id)
            workflow = self._restore(instance, spec)
            outcome = run_until_waiting(workflow)
            if not outcome.completed and outcome.failure is None:
                return False
            self._persist(session, instance, spec, workflow, outcome, actor=None)
            return True

    # -- locking and loading ------------------------------------------------------------------
    def _lock_instance(self, session: Session, instance_id: int) -> Instance:
        instance = session.scalars(select(Instance).where(Instance.id == instance_id).with_for_update()).first()
        if instance is None:
            raise NotFound(f"no instance {instance_id}")
        return instance

    def _lock_task(self, session: Session, task_id: str) -> tuple[Instance, InboxTask]:
        row = session.get(InboxTask, task_id)
        if row is None:
            raise self._gone(session, task_id)
        instance = self._lock_instance(session, row.instance_id)
        # Someone may have completed it while we waited for the lock: read it again.
        session.expire(row)
        row = session.get(InboxTask, task_id)
        if row is None:
            raise self._gone(session, task_id)
        return instance, row

    def _gone(self, session: Session, task_id: str) -> Exception:
        done = session.scalars(select(HistoryEvent).where(HistoryEvent.task_id == task_id,
                                                          HistoryEvent.kind == "task_completed")).first()
        if done is not None:
            when = done.at.isoformat(timespec="seconds")
            return Conflict(f"task {task_id} was already completed by {done.actor} at {when}")
        return NotFound(f"no open task {task_id}")

    def _restore(self, instance: Instance, spec: LoadedSpec) -> BpmnWorkflow:
        return self.serializer.loads(instance.state.state, spec.spec, spec.subprocess_specs, self.script_engine)

    def _upgrade(self, session: Session, instance: Instance, spec: LoadedSpec) -> LoadedSpec:
        newest = latest_version(session, instance.process_id)
        if newest is None or newest.id == spec.version_id:
            return spec
        target = self.specs.get(session, newest.id)
        state = json.loads(instance.state.state)
        names = {t["task_spec"] for t in state["tasks"].values()}
        missing = sorted(n for n in names if n not in target.spec.task_specs)
        if missing:
            raise InvalidState(f"version {newest.version} of {instance.process_id} lacks elements this instance "
                               f"is using: {', '.join(missing)}")
        instance.process_version_id = newest.id
        return target

    # -- checks -------------------------------------------------------------------------------
    def _require_running(self, instance: Instance) -> None:
        if instance.status is not InstanceStatus.RUNNING:
            raise InvalidState(f"instance {instance.id} is {instance.status.value}")

    def _check_may_start(self, session: Session, spec: LoadedSpec, user: str | None) -> None:
        if user is not None:
            self.org.require_user(session, user)
        if not spec.starter_groups:
            return
        if user is None or not (self.org.groups_of(session, user) & set(spec.starter_groups)):
            raise PermissionDenied(f"only members of {', '.join(spec.starter_groups)} may start {spec.process_id}")

    def _check_may_work(self, session: Session, row: InboxTask, user: str) -> None:
        self.org.require_user(session, user)
        if row.assignee:
            if row.assignee != user:
                raise PermissionDenied(f"task {row.id} is assigned to {row.assignee}")
            return
        codes = set(row.group_codes)
        if not codes:
            return
        mine = self.org.groups_of(session, user) | {USER_PREFIX + user}
        if not codes & mine:
            raise PermissionDenied(f"task {row.id} is for {', '.join(sorted(codes))}; {user} is not a member")

    # -- persisting ---------------------------------------------------------------------------
    def _persist(self, session: Session, instance: Instance, spec: LoadedSpec, workflow: BpmnWorkflow,
                 outcome: StepOutcome, *, actor: str | None, new: bool = False, human: int = 0) -> None:
        now = self.clock.now()
        prune_workflow(workflow)
        text = self.serializer.dumps(workflow)
        if self.verify_state:
            self._verify_round_trip(text, spec)
        done = len(outcome.completed) + human
        if new:
            instance.state = InstanceState(state=text, completed_tasks=done)
        else:
            instance.state.state = text
            instance.state.completed_tasks += done
        session.add_all(HistoryEvent(instance_id=instance.id, at=now, kind="element_completed",
                                     task_id=c.task_id, element_id=c.element_id, element_type=c.element_type,
                                     actor=None) for c in outcome.completed)
        self._apply_outcome(session, instance, workflow, outcome, now, actor)
        session.add_all(sync_inbox(session, instance, workflow, spec, self.clock))
        instance.updated_at = now

    def _apply_outcome(self, session: Session, instance: Instance, workflow: BpmnWorkflow, outcome: StepOutcome,
                       now: Any, actor: str | None) -> None:
        if outcome.failure is not None:
            instance.status = InstanceStatus.ERROR
            instance.error_element = outcome.failure.element_id
            instance.error_message = outcome.failure.message
            session.add(HistoryEvent(instance_id=instance.id, at=now, kind="error",
                                     element_id=outcome.failure.element_id, task_id=outcome.failure.task_id,
                                     actor=actor, data={"message": outcome.failure.message}))
        elif workflow.completed and instance.status is InstanceStatus.RUNNING:
            instance.status = InstanceStatus.COMPLETED
            instance.ended_at = now
            session.add(HistoryEvent(instance_id=instance.id, at=now, kind="instance_completed", actor=actor))

    def _set_status(self, session: Session, instance: Instance, status: InstanceStatus, kind: str,
                    user: str | None) -> None:
        instance.status = status
        instance.updated_at = self.clock.now()
        session.add(HistoryEvent(instance_id=instance.id, at=self.clock.now(), kind=kind, actor=user))

    def _verify_round_trip(self, text: str, spec: LoadedSpec) -> None:
        again = self.serializer.dumps(self.serializer.loads(text, spec.spec, spec.subprocess_specs,
                                                            self.script_engine))
        if json.loads(again) != json.loads(text):
            raise AssertionError("workflow state does not survive a serializer round trip")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None

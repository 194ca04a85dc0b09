"""The migration service: plan, dry-run and run migrations of running cases, one transaction per case.

A run is stored (``migrations``, one ``migration_cases`` row per case) before any case moves; batches of cases are
handed to a launcher (RQ jobs from the composition root, or inline), and every case moved or failed updates its row
and the run's counts in the case's own transaction, so progress survives a crash and one failing case stops
nothing else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from engine.bpmn.execution import StepOutcome, run_until_waiting
from engine.bpmn.serializer import StateSerializer
from engine.errors import InvalidInput, InvalidState, NotFound, ProcflowError
from engine.i18n import N_, Message, params_from_json, params_to_json
from engine.migration.plan import MigrationPlan, build_plan
from engine.migration.rehydrate import Moved, rehydrate
from engine.persistence import repository
from engine.persistence.base import table_of
from engine.persistence.db import raise_if_unavailable
from engine.persistence.migration_models import Migration, MigrationCase
from engine.persistence.models import InboxTask, Instance, InstanceStatus, ProcessVersion, Timer, TimerStatus
from engine.runtime.core import ENDED, Runtime
from engine.runtime.scheduling import TASK_KINDS
from engine.runtime.specs import LoadedSpec
from engine.runtime.step_writer import history_event

BATCH_SIZE = 50
LIVE = [s.value for s in InstanceStatus if s not in ENDED]
_migrations, _cases, _timers = table_of(Migration), table_of(MigrationCase), table_of(Timer)
_inbox = table_of(InboxTask)


@dataclass(frozen=True)
class CaseResult:
    """What happened (or, in a dry run, would happen) to one case."""

    instance_id: int
    status: str  # migrated | failed | pending | ready (dry run: it would move)
    message: str | None = None  # English; ``detail`` has the msgid and parameters
    detail: dict[str, Any] | None = None
    moves: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class MigrationRun:
    """A stored migration and how far it got."""

    id: int
    process_id: str
    from_version: int
    to_version: int
    mapping: dict[str, str]
    status: str
    total: int
    migrated: int
    failed: int
    created_by: str | None
    created_at: datetime
    finished_at: datetime | None
    cases: list[CaseResult]


Launcher = Callable[[int, list[int]], object]


class MigrationService:
    """Migrations of running cases from one version of a process to another."""

    def __init__(self, *, runtime: Runtime, launcher: Launcher | None = None, batch_size: int = BATCH_SIZE) -> None:
        self.runtime = runtime
        self.db = runtime.db
        self.clock = runtime.clock
        # How batches run: RQ jobs in the composition root; by default in this process, one after another.
        self.launcher: Launcher = launcher or self.run_batch
        self.batch_size = batch_size
        self._check = StateSerializer()

    # -- planning -----------------------------------------------------------------------------
    def plan(self, process_id: str, from_version: int, to_version: int, *, mapping: dict[str, str] | None = None,
             cases: Iterable[int] | None = None) -> MigrationPlan:
        """The plan for moving the live cases of ``process_id`` (or those of ``cases``) between two versions.

        Raises:
            NotFound: a version does not exist.
            InvalidInput: the two versions are the same, or a named case is not a live case of ``from_version``.
        """
        if from_version == to_version:
            raise InvalidInput(N_("the versions to migrate between must differ"), {"to": ["same version"]})
        with self.db.connect() as conn:
            old = self._version(conn, process_id, from_version)
            new = self._version(conn, process_id, to_version)
            states = self._states(conn, old.version_id, cases)
        return build_plan(old, new, dict(mapping or {}), states)

    def _version(self, conn: Connection, process_id: str, version: int) -> LoadedSpec:
        found = conn.execute(select(ProcessVersion.id).where(ProcessVersion.process_id == process_id,
                                                             ProcessVersion.version == version)).scalar()
        if found is None:
            raise NotFound(N_("{process_id} has no version {version}"), process_id=process_id, version=version)
        return self.runtime.specs.get(conn, found)

    @staticmethod
    def _states(conn: Connection, version_id: int, cases: Iterable[int] | None) -> dict[int, str]:
        query = select(Instance.id, Instance.state).where(Instance.process_version_id == version_id,
                                                          Instance.status.in_(LIVE))
        wanted = sorted(set(cases)) if cases is not None else None
        if wanted is not None:
            query = query.where(Instance.id.in_(wanted))
        states = {row.id: row.state for row in conn.execute(query.order_by(Instance.id))}
        missing = [case for case in wanted or [] if case not in states]
        if missing:
            raise InvalidInput(N_("cases {cases} are not live cases of this version"),
                               {"cases": [str(c) for c in missing]}, cases=", ".join(map(str, missing)))
        return states

    def dry_run(self, plan: MigrationPlan) -> list[CaseResult]:
        """Move each case of ``plan`` in memory only (restored, moved, saved and restored again); nothing is written."""
        results = []
        with self.db.connect() as conn:
            old = self.runtime.specs.get(conn, plan.from_version_id)
            new = self.runtime.specs.get(conn, plan.to_version_id)
            states = dict(conn.execute(select(Instance.id, Instance.state).where(Instance.id.in_(plan.cases))).all())
        for instance_id in plan.cases:
            results.append(self._try(instance_id, functools.partial(self._dry, states[instance_id], plan, old, new)))
        return results

    def _dry(self, state: str, plan: MigrationPlan, old: LoadedSpec, new: LoadedSpec) -> Moved:
        workflow = self._check.loads(state, old.spec, old.subprocess_specs, self.runtime.script_engine)
        moved = rehydrate(workflow, plan, new)
        text = self._check.dumps(workflow)
        self._check.loads(text, new.spec, new.subprocess_specs, self.runtime.script_engine)
        return moved

    @staticmethod
    def _try(instance_id: int, action: Callable[[], Moved]) -> CaseResult:
        try:
            moved = action()
        except Exception as exc:  # one case that cannot move is reported, the others still are tried
            raise_if_unavailable(exc)
            message, detail = _reason(exc)
            return CaseResult(instance_id, "failed", message, detail)
        return CaseResult(instance_id, "ready", moves=moved.moves)

    # -- running ------------------------------------------------------------------------------
    def start(self, plan: MigrationPlan, *, user: str | None = None) -> int:
        """Store a valid plan as a migration and launch its batches; return the migration's id.

        Raises:
            InvalidState: the plan has problems (each one is in the message).
        """
        if not plan.valid:
            raise InvalidState(N_("the migration plan is refused: {problems}"),
                               problems="; ".join(f"{p.element_id}: {p.message}" for p in plan.problems))
        now = self.clock.now()
        with self.db.transaction() as conn:
            migration_id = conn.execute(insert(_migrations).returning(_migrations.c.id), {
                "process_id": plan.process_id, "from_version_id": plan.from_version_id,
                "to_version_id": plan.to_version_id, "mapping": plan.mapping, "status": "running",
                "total": len(plan.cases), "migrated": 0, "failed": 0, "created_by": user, "created_at": now,
                "finished_at": None if plan.cases else now}).scalar_one()
            if plan.cases:
                conn.execute(insert(_cases), [{"migration_id": migration_id, "instance_id": case, "status": "pending",
                                               "message": None, "detail": None, "finished_at": None}
                                              for case in plan.cases])
            else:
                conn.execute(update(_migrations).where(_migrations.c.id == migration_id).values(status="done"))
        for first in range(0, len(plan.cases), self.batch_size):
            self.launcher(migration_id, plan.cases[first:first + self.batch_size])
        return migration_id

    def run_batch(self, migration_id: int, instance_ids: list[int]) -> dict[str, int]:
        """Move each pending case of a batch in its own transaction; a case that fails is recorded and skipped."""
        run = self._run_row(migration_id)
        with self.db.connect() as conn:
            old = self.runtime.specs.get(conn, run.from_version_id)
            new = self.runtime.specs.get(conn, run.to_version_id)
        plan = build_plan(old, new, dict(run.mapping), {})
        counts = {"migrated": 0, "failed": 0}
        for instance_id in instance_ids:
            try:
                counts["migrated"] += self._migrate_case(migration_id, instance_id, plan, old, new, run.created_by)
            except Exception as exc:  # recorded on the case's row; the batch goes on
                raise_if_unavailable(exc)
                self._record_failure(migration_id, instance_id, exc)
                counts["failed"] += 1
        self._finish_if_done(migration_id)
        return counts

    def _run_row(self, migration_id: int) -> Any:
        with self.db.connect() as conn:
            row = conn.execute(select(_migrations).where(_migrations.c.id == migration_id)).first()
        if row is None:
            raise NotFound(N_("no migration {migration_id}"), migration_id=migration_id)
        return row

    def _migrate_case(self, migration_id: int, instance_id: int, plan: MigrationPlan, old: LoadedSpec,
                      new: LoadedSpec, user: str | None) -> int:
        """Move one case in its own transaction; 0 when this run has already moved it (or failed it)."""
        runtime = self.runtime
        with runtime.transaction() as step:
            conn = step.conn
            if not _claim(conn, migration_id, instance_id):
                return 0  # already moved or failed (a job run twice)
            record = repository.lock_instance(conn, instance_id)
            if record is None or record.process_version_id != old.version_id or record.status in ENDED:
                raise InvalidState(N_("case {instance_id} is no longer a live case of version {version}"),
                                   instance_id=instance_id, version=old.version)
            workflow = runtime.restore(record, old)
            moved = rehydrate(workflow, plan, new)
            record.process_version_id = new.version_id
            rows = conn.execute(select(_inbox.c.id, _inbox.c.element_id, _inbox.c.assignee)
                                .where(_inbox.c.instance_id == instance_id)).all()
            redo = _rows_to_recompute(rows, moved, old, new)
            repository.delete_tasks(conn, sorted(redo))
            if redo:
                conn.execute(update(_timers).where(_timers.c.task_id.in_(sorted(redo)), _timers.c.kind.in_(TASK_KINDS),
                                                   _timers.c.status == TimerStatus.PENDING.value)
                             .values(status=TimerStatus.CANCELLED.value))
            outcome = run_until_waiting(workflow) if record.status is InstanceStatus.RUNNING else StepOutcome()
            now = self.clock.now()
            history = [history_event(instance_id, now, "migrated", actor=user, data={
                "migration_id": migration_id, "from_version": old.version, "to_version": new.version,
                "moves": moved.moves, "timers_recomputed": moved.timers_reset})]
            runtime.persist(step, record, new, workflow, outcome, history, actor=user,
                            known={r.id for r in rows} - redo)
            for row in rows:  # whoever had claimed (or been given) a recomputed task keeps it
                if row.id in redo and row.assignee:
                    repository.assign_task(conn, row.id, row.assignee)
            conn.execute(update(_cases).where(_cases.c.migration_id == migration_id,
                                              _cases.c.instance_id == instance_id)
                         .values(status="migrated", finished_at=now, detail={"moves": moved.moves}))
            conn.execute(update(_migrations).where(_migrations.c.id == migration_id)
                         .values(migrated=_migrations.c.migrated + 1))
        return 1

    def _record_failure(self, migration_id: int, instance_id: int, exc: Exception) -> None:
        message, detail = _reason(exc)
        with self.db.transaction() as conn:
            changed = conn.execute(update(_cases).where(_cases.c.migration_id == migration_id,
                                                        _cases.c.instance_id == instance_id,
                                                        _cases.c.status == "pending")
                                   .values(status="failed", message=message, detail=detail,
                                           finished_at=self.clock.now())).rowcount
            if changed:
                conn.execute(update(_migrations).where(_migrations.c.id == migration_id)
                             .values(failed=_migrations.c.failed + 1))

    def _finish_if_done(self, migration_id: int) -> None:
        with self.db.transaction() as conn:
            pending = conn.execute(select(_cases.c.instance_id).where(_cases.c.migration_id == migration_id,
                                                                      _cases.c.status == "pending").limit(1)).first()
            if pending is None:
                conn.execute(update(_migrations).where(_migrations.c.id == migration_id,
                                                       _migrations.c.status != "done")
                             .values(status="done", finished_at=self.clock.now()))

    # -- reading ------------------------------------------------------------------------------
    def get(self, migration_id: int) -> MigrationRun:
        """A stored migration with each case's result."""
        with self.db.connect() as conn:
            row = conn.execute(select(_migrations).where(_migrations.c.id == migration_id)).first()
            if row is None:
                raise NotFound(N_("no migration {migration_id}"), migration_id=migration_id)
            versions = dict(conn.execute(select(ProcessVersion.id, ProcessVersion.version).where(
                ProcessVersion.id.in_([row.from_version_id, row.to_version_id]))).all())
            cases = [CaseResult(c.instance_id, c.status, c.message, c.detail if c.status == "failed" else None,
                                (c.detail or {}).get("moves", []) if c.status == "migrated" else [])
                     for c in conn.execute(select(_cases).where(_cases.c.migration_id == migration_id)
                                           .order_by(_cases.c.instance_id))]
        return MigrationRun(row.id, row.process_id, versions[row.from_version_id], versions[row.to_version_id],
                            dict(row.mapping or {}), row.status, row.total, row.migrated, row.failed, row.created_by,
                            row.created_at, row.finished_at, cases)

    def recent(self, process_id: str, limit: int = 10) -> list[int]:
        """The ids of the latest migrations of a process, newest first."""
        with self.db.connect() as conn:
            return list(conn.execute(select(_migrations.c.id).where(_migrations.c.process_id == process_id)
                                     .order_by(_migrations.c.id.desc()).limit(limit)).scalars())


_CLAIM = select(_cases.c.status).where(_cases.c.migration_id == bindparam("m"), _cases.c.instance_id == bindparam("i"))


def _claim(conn: Connection, migration_id: int, instance_id: int) -> bool:
    """True while the case still waits to be moved by this migration."""
    return conn.execute(_CLAIM, {"m": migration_id, "i": instance_id}).scalar() == "pending"


def _rows_to_recompute(rows: Sequence[Any], moved: Moved, old: LoadedSpec, new: LoadedSpec) -> set[str]:
    """Open inbox rows whose element was renamed or whose task settings (assignee, groups, deadline) changed."""
    target = {m["task_id"]: m["to"] for m in moved.moves}
    redo = set()
    for row in rows:
        to = target.get(row.id, row.element_id)
        if to != row.element_id or old.tasks_meta.get(row.element_id) != new.tasks_meta.get(to):
            redo.add(row.id)
    return redo


def _reason(exc: Exception) -> tuple[str, dict[str, Any]]:
    """A failure as English text and, for procflow's own errors, its msgid and parameters (for other languages)."""
    if isinstance(exc, ProcflowError):
        return exc.render("en"), {"id": exc.message_id, "params": params_to_json(exc.params)}
    return f"{type(exc).__name__}: {exc}", {"id": None, "params": {}}


def failure_message(result: CaseResult) -> Message | str:
    """A failed case's reason as a message to render in the reader's language (or the stored text)."""
    detail = result.detail or {}
    if detail.get("id"):
        return Message(detail["id"], params_from_json(detail.get("params")))
    return result.message or ""

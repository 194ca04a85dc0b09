"""The API lifecycle with 1 and 2 `procflow serve` processes against one PostgreSQL, on this machine.

A lifecycle is three HTTP calls to /api/v1 with a token: start a case of a one-task procedure, read the case
(its open task), complete the task. Client threads spread the lifecycles round-robin over the running hosts;
each host is `procflow serve --workers W` (gunicorn). The same run measures 1 host and 2 hosts, so the ratio
is fair to the machine's load at the time. What limits it is reported from /proc: the CPU seconds used by the
serve processes, by PostgreSQL's and by the client, against the cores available.

Self-contained (HTTP only; bench/api.py measures the API in process). Needs PostgreSQL (BENCH_POSTGRES_URL,
default postgresql://postgres@127.0.0.1:5432/test) and uses an embedded Redis unless BENCH_REDIS_URL is set.

Run: python -m bench.scale [--lifecycles N] [--threads T] [--workers W]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from bench._support import BENCH, ORG, POSTGRES_URL
from bench.timers import embedded_redis as redis_server  # the same private Redis
from engine.bpmn.validation import SourceFile
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings, normalize_database_url

PROCFLOW = Path(sys.executable).parent / "procflow"
ROOT = BENCH.parent
MODEL = BENCH / "api_task.bpmn"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(settings: Settings) -> str:
    """Schema, the bench user, the one-task procedure; return an API token for the bench user."""
    upgrade_database(settings.database_url)
    services: Services = build_services(settings)
    try:
        services.org.import_structure(ORG)
        services.deployment.deploy([SourceFile(MODEL.name, MODEL.read_bytes())])
        return str(services.tokens.create(f"bench-{secrets.token_hex(3)}", frozenset({"cases", "tasks"}), "bench"))
    finally:
        services.close()


def env_for(settings: Settings, redis_url: str, home: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": redis_url,
            "PROCFLOW_HOME": str(home), "PROCFLOW_SECRET_KEY": "bench-" + "0" * 58,
            "PROCFLOW_SECRETS_DIR": str(home / "secrets"), "PROCFLOW_QUEUE": "bench-scale",
            "PROCFLOW_API_RATE_LIMIT": "0"}  # one token drives every lifecycle: the per-token limit would refuse


def start_host(env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([str(PROCFLOW), "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                                "--threads", "4", "--", "--log-level", "warning"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code in (200, 503):
                return process, url
        except requests.RequestException:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"procflow serve on {url} did not answer within 300 s")


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def lifecycle(session: requests.Session, host: str, headers: dict[str, str]) -> None:
    """Start a case, read its open task, complete it (raises on any answer but success)."""
    started = session.post(f"{host}/api/v1/processes/api_task/cases", json={"data": {}}, headers=headers, timeout=60)
    started.raise_for_status()
    case = started.json()["id"]
    shown = session.get(f"{host}/api/v1/cases/{case}", headers=headers, timeout=60)
    shown.raise_for_status()
    task = shown.json()["open_tasks"][0]["id"]
    done = session.post(f"{host}/api/v1/tasks/{case}/{task}/complete", json={"data": {}}, headers=headers,
                        timeout=60)
    done.raise_for_status()


def drive(hosts: list[str], token: str, lifecycles: int, threads: int) -> dict[str, Any]:
    """Run ``lifecycles`` over ``hosts`` from ``threads`` client threads; return the rate and the errors."""
    headers = {"Authorization": f"Bearer {token}"}
    counter = iter(range(lifecycles))
    lock, errors = threading.Lock(), []

    def work() -> None:
        session = requests.Session()
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            try:
                lifecycle(session, hosts[n % len(hosts)], headers)
            except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
                errors.append(f"{type(exc).__name__}: {exc}"[:200])

    started = time.perf_counter()
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    seconds = time.perf_counter() - started
    ok = lifecycles - len(errors)
    return {"lifecycles": ok, "errors": len(errors), "first_error": errors[0] if errors else None,
            "seconds": round(seconds, 2), "per_second": round(ok / seconds, 1) if seconds else 0.0}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` and all their descendants (from /proc)."""
    return sum(_cpu(pid) for pid in descendants(pids))


def descendants(pids: list[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_pids() -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def measure(settings: Settings, redis_url: str, token: str, home: Path, *, hosts: int, workers: int,
            lifecycles: int, threads: int) -> dict[str, Any]:
    processes, urls = [], []
    try:
        for index in range(hosts):
            process, url = start_host(env_for(settings, redis_url, home / f"host-{index}"), workers)
            processes.append(process)
            urls.append(url)
        drive(urls, token, max(10, lifecycles // 20), threads)  # warm-up: imports, caches, connections
        serve_before, pg_before = cpu_seconds([p.pid for p in processes]), sum(_cpu(p) for p in postgres_pids())
        client_before = time.process_time()
        result = drive(urls, token, lifecycles, threads)
        serve_cpu = cpu_seconds([p.pid for p in processes]) - serve_before
        pg_cpu = sum(_cpu(p) for p in postgres_pids()) - pg_before
        client_cpu = time.process_time() - client_before
    finally:
        stop(processes)
    seconds = result["seconds"] or 1.0
    result.update(hosts=hosts, workers_per_host=workers,
                  cpu_cores_used={"serve": round(serve_cpu / seconds, 2), "postgres": round(pg_cpu / seconds, 2),
                                  "client": round(client_cpu / seconds, 2)})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per procflow serve")
    args = parser.parse_args()
    base = normalize_database_url(POSTGRES_URL)
    database = f"bench_scale_{secrets.token_hex(3)}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    try:
        _execute_autocommit(admin, f"CREATE DATABASE {database}")
    except Exception as exc:  # noqa: BLE001 - no server: say so, never crash
        print(f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__}); bench.scale needs it")
        print(json.dumps({"benchmark": "scale", "error": "postgresql not reachable"}))
        return
    url = base.rsplit("/", 1)[0] + f"/{database}"
    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as folder, redis_server() as redis_url:
            home = Path(folder)
            settings = Settings(database_url=url, redis_url=redis_url, home=home / "prep",
                                secrets_dir=home / "secrets")
            token = prepare(settings)
            for hosts in (1, 2):
                results[f"{hosts}_host"] = measure(settings, redis_url, token, home, hosts=hosts,
                                                   workers=args.workers, lifecycles=args.lifecycles,
                                                   threads=args.threads)
                r = results[f"{hosts}_host"]
                print(f"{hosts} serve process(es) x {args.workers} gunicorn workers: {r['per_second']} lifecycles/s "
                      f"({r['lifecycles']} in {r['seconds']} s, {r['errors']} errors); CPU cores busy: "
                      f"serve {r['cpu_cores_used']['serve']}, PostgreSQL {r['cpu_cores_used']['postgres']}, "
                      f"client {r['cpu_cores_used']['client']}")
    finally:
        _execute_autocommit(admin, f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    one, two = results["1_host"]["per_second"], results["2_host"]["per_second"]
    cores = os.cpu_count() or 1
    busy = sum(results["2_host"]["cpu_cores_used"].values())
    load = os.getloadavg()[0]
    if busy >= 0.8 * cores:
        limit = f"CPU: {busy:.1f} of {cores} cores busy with 2 hosts (serve + PostgreSQL + client)"
    elif load > cores:
        limit = (f"the shared CPU: procflow, PostgreSQL and the client used {busy:.1f} of {cores} cores while the "
                 f"load average was {load:.1f} (other processes held the rest)")
    else:
        limit = (f"not the CPU ({busy:.1f} of {cores} cores busy): waiting on PostgreSQL (commits, row locks) "
                 "or on the client")
    ratio = round(two / one, 2) if one else None
    print(f"ratio 2 hosts / 1 host: {ratio}; limit: {limit}; load average {os.getloadavg()[0]:.1f}")
    print(json.dumps({"benchmark": "scale", "lifecycles": args.lifecycles, "threads": args.threads,
                      "workers_per_host": args.workers, "one_host_per_second": one, "two_hosts_per_second": two,
                      "ratio": ratio, "cpu_cores": cores, "limit": limit, "load_average": round(os.getloadavg()[0], 1),
                      "runs": results}))


def _execute_autocommit(url: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()

"""Cases per second through the REST API over HTTP vs the same lifecycle in-process, in one run.

A lifecycle: start a case of a one-user-task procedure, find its task, complete it. Over HTTP it is three calls
with a bearer token (POST /api/v1/processes/one_task/cases, GET /api/v1/tasks/, POST .../complete) to gunicorn
(2 worker processes, gthread) serving ``web:create_app()``; in-process it is the engine's calls (start, the case's
tasks, complete). Both use the same database: a fresh SQLite file by default, or a fresh schema of the PostgreSQL
server that DATABASE_URL names. HTTP clients (``--clients`` threads, each with its own keep-alive connection) and
the in-process loop take turns round by round, so that drifts of the machine weigh on both alike.

Run: python -m bench.api [--cases N] [--rounds R] [--clients C]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median

from bench._support import BENCH, ORG, _execute
from engine.bpmn.validation import SourceFile
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings, normalize_database_url

MODEL = BENCH / "one_task.bpmn"
ROOT = BENCH.parent


@contextmanager
def database(home: Path) -> Iterator[str]:
    """A fresh database: a schema of DATABASE_URL's PostgreSQL server, else an SQLite file in ``home``."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith("postgresql"):
        url = f"sqlite:///{home}/bench.sqlite3"
        upgrade_database(url)
        yield url
        return
    base = normalize_database_url(given)
    schema = f"bench_api_{os.getpid()}_{secrets.token_hex(3)}"
    _execute(base, f"CREATE SCHEMA {schema}")
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        upgrade_database(url)
        yield url
    finally:
        _execute(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(url: str, home: Path, port: int, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn serving the app on ``port`` until the block ends (no rate limit, no access log lines)."""
    env = {**os.environ, "DATABASE_URL": url, "PROCFLOW_HOME": str(home), "REDIS_URL": "",
           "PROCFLOW_SECRETS_DIR": str(home / "secrets"), "PROCFLOW_API_RATE_LIMIT": "0",
           "PROCFLOW_NODE_MODULES": str(ROOT / "node_modules")}
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", "4", "--worker-class", "gthread", "--keep-alive", "300", "--log-level", "warning",
            "web:create_app()"]
    log = (home / "gunicorn.log").open("wb")
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180  # a loaded machine imports slowly
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start: {(home / 'gunicorn.log').read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


class Client:
    """One keep-alive HTTP connection with the token; does lifecycles through the API."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: object = None) -> object:
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status >= 300:
            raise SystemExit(f"{method} {path}: {response.status} {data[:500]!r}")
        return json.loads(data) if data else None

    def one(self) -> None:
        created = self.call("POST", "/api/v1/processes/one_task/cases", {"data": {}})
        case = created["id"]  # type: ignore[index]
        tasks = self.call("GET", "/api/v1/tasks/")
        task = next(t["id"] for t in tasks if t["instance_id"] == case)  # type: ignore[union-attr]
        done = self.call("POST", f"/api/v1/tasks/{case}/{task}/complete", {"data": {"done": True}})
        assert done["status"] == "completed", done  # type: ignore[index]


def api_rate(clients: list[Client], n: int) -> float:
    """Lifecycles per second with every client working at once, ``n`` in all."""
    share = [n // len(clients) + (1 if i < n % len(clients) else 0) for i in range(len(clients))]
    errors: list[BaseException] = []

    def work(client: Client, count: int) -> None:
        client.conn.close()  # a fresh connection each round: the server may have dropped an idle one
        try:
            for _ in range(count):
                client.one()
        except BaseException as exc:  # noqa: BLE001 - reported after the round
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c, k)) for c, k in zip(clients, share, strict=True)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return n / (time.perf_counter() - started)


def inprocess_rate(services: Services, n: int) -> float:
    """The same lifecycle through the engine's calls."""
    started = time.perf_counter()
    for _ in range(n):
        case = services.runtime.start("one_task", data={}, user="bench")
        task = services.queries.tasks(instance_id=case)[0]
        services.runtime.complete_task(task.id, user="bench", data={"done": True})
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=600, help="lifecycles per measurement, in all rounds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", type=int, default=4, help="HTTP clients working at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    args = parser.parse_args()
    per_round = max(1, args.cases // args.rounds)
    with tempfile.TemporaryDirectory() as folder, database(Path(folder)) as url:
        home = Path(folder)
        services = build_services(Settings(database_url=url, home=home, secrets_dir=home / "secrets"))
        try:
            services.org.import_structure(ORG)
            services.deployment.deploy([SourceFile(MODEL.name, MODEL.read_bytes())])
            token = services.tokens.create("bench", frozenset({"all"}), "bench")
            kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
            print(f"database: {kind}; gunicorn: {args.workers} workers x 4 threads; {args.clients} HTTP clients")
            port = free_port()
            with gunicorn(url, home, port, args.workers):
                clients = [Client(port, token) for _ in range(args.clients)]
                api_rate(clients, 20)  # warm up: every worker loads the model and its connections
                inprocess_rate(services, 20)
                api_rates: list[float] = []
                local_rates: list[float] = []
                for number in range(1, args.rounds + 1):
                    api_rates.append(api_rate(clients, per_round))
                    local_rates.append(inprocess_rate(services, per_round))
                    print(f"round {number}: API {api_rates[-1]:6.1f}/s  in-process {local_rates[-1]:6.1f}/s")
        finally:
            services.close()
    ratios = [a / b for a, b in zip(api_rates, local_rates, strict=True)]
    api_per_s, local = median(api_rates), median(local_rates)
    print(f"through the API over HTTP: {api_per_s:8.1f} cases/s (3 calls each)")
    print(f"in-process:                {local:8.1f} cases/s")
    print(f"ratio API / in-process:    {median(ratios):8.3f}   (target >= 0.5; rounds {min(ratios):.3f}-"
          f"{max(ratios):.3f})")
    print(json.dumps({"database": kind.lower(), "cases": per_round * args.rounds, "rounds": args.rounds,
                      "clients": args.clients, "workers": args.workers, "api_per_s": round(api_per_s, 1),
                      "inprocess_per_s": round(local, 1), "ratio": round(median(ratios), 3),
                      "ratio_min": round(min(ratios), 3)}))


if __name__ == "__main__":
    main()

"""Memory of a running procflow: `procflow serve` (gunicorn, 2 workers) and one `procflow worker`, at rest and
after N API lifecycles (start a case, read it, complete its task: bench.scale's lifecycle).

Reports, for the whole tree of processes (gunicorn master and workers, the RQ worker), the sum of RSS (what
`ps` shows; shared pages counted once per process) and of PSS (shared pages divided among the processes that
share them: the honest total, from /proc/<pid>/smaps_rollup). Target for old machines: under 300 MB together.
Runs on the embedded default (an SQLite file, an embedded Redis) unless BENCH_DATABASE_URL is given.

Measured as installed: `make setup` installs with pip, which writes the bytecode of every package. An environment
without it (uv's default, PYTHONDONTWRITEBYTECODE) would compile every module at each start, which leaves ~13 MB
more in each process; the bytecode is written first (compileall, as pip does) unless --as-is.

Run: python -m bench.footprint [--lifecycles N] [--as-is]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.scale import PROCFLOW, ROOT, descendants, drive, env_for, prepare, redis_server, start_host, stop
from engine.settings import Settings, normalize_database_url

TARGET_MB = 300


def write_bytecode() -> None:
    """What pip does at install: the bytecode of the installed packages and of procflow's own."""
    for folder in (Path(sysconfig.get_paths()["purelib"]), *(ROOT / name for name in ("engine", "web", "cli"))):
        compileall.compile_dir(folder, quiet=2, workers=0)


def usage(pid: int) -> dict[str, float] | None:
    """RSS and PSS of one process in MB (None once it is gone)."""
    figures = {"rss_mb": 0.0, "pss_mb": 0.0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key = {"Rss:": "rss_mb", "Pss:": "pss_mb"}.get(line.split(maxsplit=1)[0] if line else "")
            if key:
                figures[key] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return figures


def processes(root: int, name: str, child: str) -> list[dict[str, Any]]:
    """Every process of the tree under ``root``: the root as ``name``, its descendants as ``child`` 1, 2 ..."""
    rows = []
    for n, pid in enumerate([root, *sorted(descendants([root]) - {root})]):
        figures = usage(pid)
        if figures is not None:
            rows.append({"process": name if n == 0 else f"{child} {n}", "pid": pid, **figures})
    return rows


def summed(rows: list[dict[str, Any]]) -> dict[str, float]:
    return {key: round(sum(row[key] for row in rows), 1) for key in ("rss_mb", "pss_mb")}


def memory(server: int, worker: int) -> dict[str, Any]:
    """Per process and summed, RSS and PSS of the serve tree (master, gunicorn workers) and the worker tree (the
    RQ worker and any child it forked: a work-horse, a scheduler)."""
    serve = processes(server, "serve master", "gunicorn worker")
    work = processes(worker, "rq worker", "rq worker child")
    return {"serve": summed(serve), "worker": summed(work), "total": summed(serve + work), "processes": serve + work}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--as-is", action="store_true", help="do not write the bytecode first")
    args = parser.parse_args()
    if not args.as_is:
        write_bytecode()
    with tempfile.TemporaryDirectory() as folder, redis_server() as redis_url:
        home = Path(folder)
        url = normalize_database_url(os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{home / 'bench.sqlite3'}")
        settings = Settings(database_url=url, redis_url=redis_url, home=home / "prep", secrets_dir=home / "secrets")
        token = prepare(settings)
        env = env_for(settings, redis_url, home / "host")
        server, host = start_host(env, 2)
        worker = subprocess.Popen([str(PROCFLOW), "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            drive([host], token, 5, 1)  # every gunicorn worker imported and answered once
            time.sleep(5)
            rest = memory(server.pid, worker.pid)
            run = drive([host], token, args.lifecycles, args.threads)
            time.sleep(2)
            after = memory(server.pid, worker.pid)
        finally:
            stop([server, worker])
    results = {"at_rest": rest, "after": after}
    for name, figures in results.items():
        print(f"{name.replace('_', ' ')}: serve (master + 2 workers) RSS {figures['serve']['rss_mb']} MB "
              f"(PSS {figures['serve']['pss_mb']}), worker RSS {figures['worker']['rss_mb']} MB "
              f"(PSS {figures['worker']['pss_mb']}); together RSS {figures['total']['rss_mb']} MB, "
              f"PSS {figures['total']['pss_mb']} MB")
        for row in figures["processes"]:
            print(f"  {row['process']:<18} pid {row['pid']:<8} RSS {row['rss_mb']:>6} MB  PSS {row['pss_mb']:>6} MB")
    load = [round(x, 2) for x in os.getloadavg()]
    print(f"{run['lifecycles']} lifecycles ({run['errors']} errors) at {run['per_second']}/s; target: together "
          f"under {TARGET_MB} MB; load average {load}")
    worst = results["after"]["total"]["rss_mb"]
    print(json.dumps({"benchmark": "footprint", "database": "postgresql" if url.startswith("postgresql") else "sqlite",
                      "lifecycles": run["lifecycles"], "errors": run["errors"], "target_mb": TARGET_MB,
                      "under_target": worst < TARGET_MB, "load_average": load, "bytecode_written": not args.as_is,
                      **results}))


if __name__ == "__main__":
    main()

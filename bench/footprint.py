"""Memory of a running procflow: `procflow serve` (gunicorn, 2 workers) and one `procflow worker`, at rest and
after N API lifecycles (start a case, read it, complete its task: bench.scale's lifecycle).

Reports, for the whole tree of processes (gunicorn master and workers, the RQ worker), the sum of RSS (what
`ps` shows; shared pages counted once per process) and of PSS (shared pages divided among the processes that
share them: the honest total, from /proc/<pid>/smaps_rollup). Target for old machines: under 300 MB together.
Runs on the embedded default (an SQLite file, an embedded Redis) unless BENCH_DATABASE_URL is given.

Run: python -m bench.footprint [--lifecycles N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.scale import PROCFLOW, ROOT, descendants, drive, env_for, prepare, redis_server, start_host, stop
from engine.settings import Settings, normalize_database_url

TARGET_MB = 300


def memory(pids: list[int]) -> dict[str, float]:
    """RSS and PSS in MB, summed over ``pids`` and their descendants."""
    rss = pss = 0
    for pid in descendants(pids):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return {"rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
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
            rest = {"serve": memory([server.pid]), "worker": memory([worker.pid])}
            run = drive([host], token, args.lifecycles, args.threads)
            time.sleep(2)
            after = {"serve": memory([server.pid]), "worker": memory([worker.pid])}
        finally:
            stop([server, worker])
    results: dict[str, Any] = {}
    for name, figures in (("at_rest", rest), ("after", after)):
        total = {k: round(figures["serve"][k] + figures["worker"][k], 1) for k in ("rss_mb", "pss_mb")}
        results[name] = {**figures, "total": total}
        print(f"{name.replace('_', ' ')}: serve (master + 2 workers) RSS {figures['serve']['rss_mb']} MB "
              f"(PSS {figures['serve']['pss_mb']}), worker RSS {figures['worker']['rss_mb']} MB "
              f"(PSS {figures['worker']['pss_mb']}); together RSS {total['rss_mb']} MB, PSS {total['pss_mb']} MB")
    print(f"{run['lifecycles']} lifecycles ({run['errors']} errors) at {run['per_second']}/s; target: together "
          f"under {TARGET_MB} MB")
    worst = results["after"]["total"]["rss_mb"]
    print(json.dumps({"benchmark": "footprint", "database": "postgresql" if url.startswith("postgresql") else "sqlite",
                      "lifecycles": run["lifecycles"], "errors": run["errors"], "target_mb": TARGET_MB,
                      "under_target": worst < TARGET_MB, **results}))


if __name__ == "__main__":
    main()

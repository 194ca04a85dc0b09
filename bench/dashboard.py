"""The managers' dashboard must not slow down as history grows: the agency leader's dashboard for the current year.

Large: 1,000,000 completed tasks (200,000 cases) over 3 years and 100,000 open tasks, 50 units, 500 people.
Small: the same organisation and the same 100,000 open tasks with 10,000 completed tasks. A third run, small
with 1,000 open tasks, is reported too (``p95_ms_small_1k_open``): it scales the open tasks down as well.
Each is seeded into its own PostgreSQL schema by COPY (bench/dashboard_seed.py); the time measured is the
server side of the page: ``AnalyticsService.dashboard`` (deadlines now, on-time record by unit and person,
procedure figures, the 12-week overdue trend), p95 over ``--runs`` calls after warming up.

Run: python -m bench.dashboard [--runs N] [--completed N] [--open N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from bench._support import postgres_services
from bench.dashboard_seed import Shape, seed
from engine.analytics import Period
from engine.clock import VirtualClock
from engine.services import Services

LEADER = "U00_p0"  # head of the top-level unit


def measure(services: Services, runs: int) -> dict[str, float]:
    """Time the leader's dashboard ``runs`` times (after 3 warm-up calls); p50 and p95 in milliseconds."""
    for _ in range(3):
        board = services.analytics.dashboard(LEADER)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        board = services.analytics.dashboard(LEADER)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, max(0, round(0.95 * len(timings)) - 1))]
    total = board.record.total.completed if board.record.total else 0
    print(f"    dashboard: p50 {statistics.median(timings):7.1f} ms, p95 {p95:7.1f} ms "
          f"({total:,} tasks completed this year, {board.deadlines.overdue:,} overdue now, "
          f"{sum(p.cases for p in board.procedures):,} cases completed this year)")
    return {"p50": statistics.median(timings), "p95": p95, **_parts(services)}


def _parts(services: Services) -> dict[str, float]:
    """Median time of each part of the dashboard (for the report; the dashboard runs them on one connection)."""
    analytics = services.analytics
    year = analytics.current_year()
    calls: dict[str, Any] = {
        "deadlines": lambda: analytics.deadlines_now(LEADER),
        "record": lambda: analytics.on_time_record(LEADER, year),
        "procedures": lambda: analytics.procedure_figures(LEADER, year),
        "trend": lambda: analytics.overdue_trend(LEADER, 12),
    }
    parts = {}
    for name, call in calls.items():
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        parts[f"{name}_ms"] = statistics.median(timings)
    print("    parts: " + ", ".join(f"{k[:-3]} {v:.1f} ms" for k, v in parts.items()))
    return parts


def run(shape: Shape, runs: int, now: datetime) -> dict[str, float] | None:
    """Seed one schema with ``shape`` and measure; None when PostgreSQL cannot be reached."""
    with postgres_services(VirtualClock(now)) as services:
        if services is None:
            return None
        started = time.perf_counter()
        seed(services, shape, now)
        print(f"  {shape.completed:,} completed, {shape.open:,} open, {shape.units} units "
              f"(seeded in {time.perf_counter() - started:.0f} s)")
        return measure(services, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--completed", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    print(f"now: {now.isoformat(timespec='seconds')}, period: {Period.year(now.year).as_dict()}")
    large = run(Shape(args.completed, args.open), args.runs, now)
    small = run(Shape(args.small, args.open), args.runs, now)
    scaled = run(Shape(args.small, max(args.open * args.small // args.completed, 1)), args.runs, now)
    if large is None or small is None or scaled is None:
        print(json.dumps({"p95_ms_large": None, "p95_ms_small": None, "ratio": None}))
        return
    print(json.dumps({
        "completed_large": args.completed, "completed_small": args.small, "open": args.open, "runs": args.runs,
        "p50_ms_large": round(large["p50"], 2), "p50_ms_small": round(small["p50"], 2),
        "parts_ms_large": {k: round(v, 2) for k, v in large.items() if k.endswith("_ms")},
        "parts_ms_small": {k: round(v, 2) for k, v in small.items() if k.endswith("_ms")},
        "p95_ms_small_1k_open": round(scaled["p95"], 2), "ratio_1k_open": round(large["p95"] / scaled["p95"], 3),
        "p95_ms_large": round(large["p95"], 2), "p95_ms_small": round(small["p95"], 2),
        "ratio": round(large["p95"] / small["p95"], 3),
    }))


if __name__ == "__main__":
    main()

"""The managers' dashboard must not slow down as history grows: the agency leader's dashboard for the current year.

Large: 1,000,000 completed tasks (200,000 cases) over 3 years and 100,000 open tasks, 50 units, 500 people.
Small: the same organisation and the same 100,000 open tasks with 10,000 completed tasks. A third run, small
with 1,000 open tasks, is reported too (``p95_ms_small_1k_open``): it scales the open tasks down as well.
Each is seeded into its own PostgreSQL schema by COPY (bench/dashboard_seed.py); the time measured is the
server side of the page: ``AnalyticsService.dashboard`` (deadlines now, on-time record by unit and person,
procedure figures, the 12-week overdue trend), p95 over ``--runs`` calls after warming up. The three datasets
take turns call by call, so that load from elsewhere on the machine weighs on each alike.

Run: python -m bench.dashboard [--runs N] [--completed N] [--open N] [--small N]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from bench._support import postgres_services
from bench.dashboard_seed import Shape, seed
from engine.clock import VirtualClock
from engine.services import Services

LEADER = "U00_p0"  # head of the top-level unit


def measure(datasets: dict[str, Services], runs: int) -> dict[str, list[float]]:
    """Time the leader's dashboard ``runs`` times on each dataset, taking turns, so that whatever else the machine
    is doing weighs on all of them alike; three warm-up calls each first."""
    for services in datasets.values():
        for _ in range(3):
            services.analytics.dashboard(LEADER)
    timings: dict[str, list[float]] = {name: [] for name in datasets}
    for _ in range(runs):
        for name, services in datasets.items():
            started = time.perf_counter()
            services.analytics.dashboard(LEADER)
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(0.95 * len(ordered)) - 1))]


def parts(services: Services) -> dict[str, float]:
    """Median time of each part of the dashboard, called on its own (for the report)."""
    analytics = services.analytics
    year = analytics.current_year()
    calls: dict[str, Any] = {
        "deadlines": lambda: analytics.deadlines_now(LEADER),
        "record": lambda: analytics.on_time_record(LEADER, year),
        "procedures": lambda: analytics.procedure_figures(LEADER, year),
        "trend": lambda: analytics.overdue_trend(LEADER, 12),
    }
    found = {}
    for name, call in calls.items():
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        found[f"{name}_ms"] = round(statistics.median(timings), 2)
    return found


def describe(name: str, services: Services, timings: list[float]) -> None:
    """Print one dataset's figures."""
    board = services.analytics.dashboard(LEADER)
    total = board.record.total.completed if board.record.total else 0
    print(f"  {name}: p50 {statistics.median(timings):6.1f} ms, p95 {p95(timings):6.1f} ms "
          f"({total:,} tasks and {sum(p.cases for p in board.procedures):,} cases completed this year, "
          f"{board.deadlines.overdue:,} tasks overdue now); parts: {parts(services)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--completed", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    args = parser.parse_args()
    now = datetime.now(UTC)
    shapes = {"large": Shape(args.completed, args.open), "small": Shape(args.small, args.open),
              "small_1k_open": Shape(args.small, max(args.open * args.small // args.completed, 1))}
    print(f"now: {now.isoformat(timespec='seconds')}; the dashboard covers {now.year}")
    with ExitStack() as stack:
        datasets: dict[str, Services] = {}
        for name, shape in shapes.items():
            services = stack.enter_context(postgres_services(VirtualClock(now)))
            if services is None:
                print(json.dumps({"p95_ms_large": None, "p95_ms_small": None, "ratio": None}))
                return
            started = time.perf_counter()
            seed(services, shape, now)
            print(f"  {name}: {shape.completed:,} completed, {shape.open:,} open, {shape.units} units "
                  f"(seeded in {time.perf_counter() - started:.0f} s)")
            datasets[name] = services
        timings = measure(datasets, args.runs)
        for name, services in datasets.items():
            describe(name, services, timings[name])
    large, small, scaled = (p95(timings[name]) for name in shapes)
    print(json.dumps({
        "completed_large": args.completed, "completed_small": args.small, "open": args.open, "runs": args.runs,
        "p50_ms_large": round(statistics.median(timings["large"]), 2),
        "p50_ms_small": round(statistics.median(timings["small"]), 2),
        "p95_ms_small_1k_open": round(scaled, 2), "ratio_1k_open": round(large / scaled, 3),
        "p95_ms_large": round(large, 2), "p95_ms_small": round(small, 2), "ratio": round(large / small, 3),
    }))


if __name__ == "__main__":
    main()

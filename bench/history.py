"""History must not slow instances down: a looping user task, measured at completion 10 and at completion 2,000.

Run: python -m bench.history [--completions N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sqlalchemy import select

from bench._support import BENCH, ORG, sqlite_services
from engine.bpmn.validation import SourceFile
from engine.persistence.models import Instance
from engine.services import Services

MODEL = BENCH / "review_loop.bpmn"
WINDOW = 5  # the median is taken over the 2 * WINDOW + 1 completions ending at each point


def run(services: Services, completions: int, points: tuple[int, ...]) -> dict[int, tuple[float, int]]:
    """Complete the loop's task ``completions`` times; return {point: (median seconds, state bytes)}."""
    services.org.import_structure(ORG)
    services.deployment.deploy([SourceFile(MODEL.name, MODEL.read_bytes())])
    instance_id = services.runtime.start("review_loop", user="bench")
    timings: dict[int, float] = {}
    sizes: dict[int, int] = {}
    for n in range(1, completions + 1):
        task = services.queries.tasks(instance_id=instance_id)[0]
        started = time.perf_counter()
        services.runtime.complete_task(task.id, user="bench", data={"approved": False})
        timings[n] = time.perf_counter() - started
        if n in points:
            sizes[n] = _state_size(services, instance_id)
    last = services.queries.tasks(instance_id=instance_id)[0]  # it still progresses: end the loop
    services.runtime.complete_task(last.id, user="bench", data={"approved": True})
    assert services.queries.instance(instance_id, with_history=False).status == "completed"
    return {p: (statistics.median(timings[k] for k in range(p - 2 * WINDOW, p + 1) if k in timings),
                sizes[p]) for p in points}


def _state_size(services: Services, instance_id: int) -> int:
    with services.db.read() as session:
        return len(session.execute(select(Instance.state).where(Instance.id == instance_id)).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--completions", type=int, default=2000)
    args = parser.parse_args()
    late = args.completions
    with sqlite_services() as services:
        figures = run(services, args.completions, (10, late))
    (t10, s10), (tlate, slate) = figures[10], figures[late]
    print(f"completion 10:    {t10 * 1000:7.3f} ms per completion, state {s10} bytes")
    print(f"completion {late}: {tlate * 1000:7.3f} ms per completion, state {slate} bytes")
    print(json.dumps({
        "completions": args.completions,
        "ms_at_10": round(t10 * 1000, 3), f"ms_at_{late}": round(tlate * 1000, 3),
        "bytes_at_10": s10, f"bytes_at_{late}": slate,
        "time_ratio": round(tlate / t10, 3), "size_ratio": round(slate / s10, 3),
    }))


if __name__ == "__main__":
    main()

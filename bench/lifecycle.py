"""Instances per second for a one-user-task lifecycle: engine on SQLite and PostgreSQL vs raw SpiffWorkflow.

Run: python -m bench.lifecycle [--instances N]
"""

from __future__ import annotations

import argparse
import json
import time
from statistics import median

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench._support import BENCH, ORG, postgres_services, sqlite_services
from engine.bpmn.validation import SourceFile
from engine.services import Services

MODEL = BENCH / "one_task.bpmn"


class RawSpiff:
    """Plain SpiffWorkflow in memory: parse once; per instance create, run, complete, serialize to JSON."""

    def __init__(self) -> None:
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(MODEL))
        self.spec, self.subs = parser.get_spec("one_task"), parser.get_subprocess_specs("one_task")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))

    def rate(self, n: int) -> float:
        started = time.perf_counter()
        for _ in range(n):
            workflow = BpmnWorkflow(self.spec, self.subs)
            workflow.do_engine_steps()
            self.serializer.serialize_json(workflow)
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data["done"] = True
            task.run()
            workflow.do_engine_steps()
            self.serializer.serialize_json(workflow)
            assert workflow.completed
        return n / (time.perf_counter() - started)


def prepare(services: Services) -> Services:
    """Import the organisation, deploy the model, and warm the spec cache and connection pool."""
    services.org.import_structure(ORG)
    services.deployment.deploy([SourceFile(MODEL.name, MODEL.read_bytes())])
    for _ in range(20):
        _one(services)
    return services


def engine_rate(services: Services, n: int) -> float:
    """Through the engine: start (persisted), find the task, complete it (persisted)."""
    started = time.perf_counter()
    for _ in range(n):
        _one(services)
    return n / (time.perf_counter() - started)


def _one(services: Services) -> None:
    instance_id = services.runtime.start("one_task", user="bench")
    task = services.queries.tasks(instance_id=instance_id)[0]
    services.runtime.complete_task(task.id, user="bench", data={"done": True})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instances", type=int, default=1800, help="lifecycles per measurement, in all rounds")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    per_round = max(1, args.instances // args.rounds)
    raw = RawSpiff()
    raw.rate(20)  # warm up
    raw_rates: list[float] = []
    sqlite_rates: list[float] = []
    postgres_rates: list[float] = []
    # Raw SpiffWorkflow and the engine take turns, round by round, so that other load on the machine and
    # drifts in its speed weigh on both alike; each figure is the median of its rounds, and the ratio the
    # median of the rounds' ratios.
    with sqlite_services() as lite, postgres_services() as pg:
        prepare(lite)
        if pg is not None:
            prepare(pg)
        for number in range(1, args.rounds + 1):
            raw_rates.append(raw.rate(per_round))
            sqlite_rates.append(engine_rate(lite, per_round))
            if pg is not None:
                postgres_rates.append(engine_rate(pg, per_round))
            line = f"round {number}: raw {raw_rates[-1]:7.1f}/s  SQLite {sqlite_rates[-1]:6.1f}/s"
            print(line + (f"  PostgreSQL {postgres_rates[-1]:6.1f}/s" if postgres_rates else ""))
    ratios_sqlite = [s / r for s, r in zip(sqlite_rates, raw_rates, strict=True)]
    ratios_postgres = [p / r for p, r in zip(postgres_rates, raw_rates, strict=True)]
    raw_per_s, sqlite = median(raw_rates), median(sqlite_rates)
    postgres = median(postgres_rates) if postgres_rates else None
    print(f"raw SpiffWorkflow (memory + JSON): {raw_per_s:9.1f} instances/s")
    print(f"engine on SQLite:                  {sqlite:9.1f} instances/s")
    if postgres is not None:
        print(f"engine on PostgreSQL:              {postgres:9.1f} instances/s")
    print(f"ratio engine(SQLite) / raw:        {median(ratios_sqlite):9.3f}   (target >= 0.25; rounds "
          f"{min(ratios_sqlite):.3f}-{max(ratios_sqlite):.3f})")
    print(json.dumps({
        "instances": per_round * args.rounds,
        "rounds": args.rounds,
        "engine_sqlite_per_s": round(sqlite, 1),
        "engine_postgres_per_s": round(postgres, 1) if postgres is not None else None,
        "raw_per_s": round(raw_per_s, 1),
        "ratio_sqlite": round(median(ratios_sqlite), 3),
        "ratio_sqlite_min": round(min(ratios_sqlite), 3),
        "ratio_postgres": round(median(ratios_postgres), 3) if ratios_postgres else None,
    }))


if __name__ == "__main__":
    main()

"""Instances per second for a one-user-task lifecycle: engine on SQLite and PostgreSQL vs raw SpiffWorkflow.

Run: python -m bench.lifecycle [--instances N]
"""

from __future__ import annotations

import argparse
import json
import time

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench._support import BENCH, ORG, postgres_services, sqlite_services
from engine.bpmn.validation import SourceFile
from engine.services import Services

MODEL = BENCH / "one_task.bpmn"


def raw_rate(n: int) -> float:
    """Plain SpiffWorkflow in memory: parse once; per instance create, run, complete, serialize to JSON."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(MODEL))
    spec, subs = parser.get_spec("one_task"), parser.get_subprocess_specs("one_task")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    started = time.perf_counter()
    for _ in range(n):
        workflow = BpmnWorkflow(spec, subs)
        workflow.do_engine_steps()
        serializer.serialize_json(workflow)
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data["done"] = True
        task.run()
        workflow.do_engine_steps()
        serializer.serialize_json(workflow)
        assert workflow.completed
    return n / (time.perf_counter() - started)


def engine_rate(services: Services, n: int) -> float:
    """Through the engine: start (persisted), then complete the user task (persisted)."""
    services.org.import_structure(ORG)
    services.deployment.deploy([SourceFile(MODEL.name, MODEL.read_bytes())])
    for _ in range(min(20, n)):  # warm the spec cache and connection pool
        _one(services)
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
    parser.add_argument("--instances", type=int, default=500)
    args = parser.parse_args()
    raw = raw_rate(args.instances)
    print(f"raw SpiffWorkflow (memory + JSON): {raw:9.1f} instances/s")
    with sqlite_services() as services:
        sqlite = engine_rate(services, args.instances)
    print(f"engine on SQLite:                  {sqlite:9.1f} instances/s")
    with postgres_services() as services:
        postgres = engine_rate(services, args.instances) if services else None
    if postgres is not None:
        print(f"engine on PostgreSQL:              {postgres:9.1f} instances/s")
    print(f"ratio engine(SQLite) / raw:        {sqlite / raw:9.3f}   (target >= 0.25)")
    print(json.dumps({
        "instances": args.instances,
        "engine_sqlite_per_s": round(sqlite, 1),
        "engine_postgres_per_s": round(postgres, 1) if postgres is not None else None,
        "raw_per_s": round(raw, 1),
        "ratio_sqlite": round(sqlite / raw, 3),
        "ratio_postgres": round(postgres / raw, 3) if postgres is not None else None,
    }))


if __name__ == "__main__":
    main()

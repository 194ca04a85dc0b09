"""Migrations run as RQ jobs on real `procflow worker` processes: batches of cases, each in its own transaction,
a failing case recorded without stopping its batch."""

from __future__ import annotations

from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES
from tests.engine.queue.conftest import wait_until


def test_a_migration_runs_in_batches_on_a_worker_and_lists_the_case_that_failed(live: Services, workers) -> None:
    live.org.import_file(FIXTURES / "org.yaml")
    live.deployment.deploy(collect_sources([FIXTURES / "migration" / "v1.bpmn"]))
    cases = [live.runtime.start("ho_so", data={"path": path}) for path in ("review", "sub", "review", "wait", "review")]
    live.deployment.deploy(collect_sources([FIXTURES / "migration" / "v2.bpmn"]))
    live.migrations.batch_size = 2  # three jobs
    plan = live.migrations.plan("ho_so", 1, 2)
    migration_id = live.migrations.start(plan, user="quantri")
    live.runtime.terminate(cases[2], user="quantri")  # ends before its batch runs: that case fails
    assert live.migrations.get(migration_id).status == "running"  # nothing moves without a worker

    workers()
    wait_until(lambda: live.migrations.get(migration_id).status == "done", timeout=60)
    run = live.migrations.get(migration_id)
    assert (run.total, run.migrated, run.failed) == (5, 4, 1)
    assert [c.instance_id for c in run.cases if c.status == "failed"] == [cases[2]]
    assert [live.queries.instance(i).version for i in cases] == [2, 2, 1, 2, 2]

"""Two people acting on the same instance at the same moment, through separate real connections."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from engine.deployment.service import collect_sources
from engine.errors import Conflict
from engine.services import Services, build_services
from tests.conftest import FIXTURES

ROUNDS = 5


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def second(services: Services, settings, clock) -> Services:
    """A second, independent set of services: its own engine and connections, like another process."""
    other = build_services(settings, clock=clock, verify_state=True)
    yield other
    other.close()


@pytest.fixture
def ready(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn", FIXTURES / "parallel.bpmn"]))
    return services


def test_completing_the_same_task_at_once_exactly_one_wins(ready: Services, second: Services) -> None:
    for _ in range(ROUNDS):
        instance_id = ready.runtime.start("approve")
        task = ready.queries.tasks(instance_id=instance_id)[0]
        results = race([
            lambda t=task.id: ready.runtime.complete_task(t, user="chanhvp", data={"approved": True}),
            lambda t=task.id: second.runtime.complete_task(t, user="bithu", data={"approved": False}),
        ])
        conflicts = [r for r in results if isinstance(r, Conflict)]
        winners = [r for r in results if not isinstance(r, Exception)]
        assert len(winners) == 1 and len(conflicts) == 1, results
        assert "already completed" in str(conflicts[0])
        history = ready.queries.history(instance_id)
        completions = [h for h in history if h.kind == "task_completed"]
        assert len(completions) == 1
        view = ready.queries.instance(instance_id)
        assert view.status == "completed"
        # the winner's data is the data the instance carries on with
        assert view.data["approved"] is completions[0].data["data"]["approved"]


def test_completing_two_branches_at_once_loses_no_update(ready: Services, second: Services) -> None:
    for _ in range(ROUNDS):
        instance_id = ready.runtime.start("parallel_review")
        tasks = {t.element_id: t for t in ready.queries.tasks(instance_id=instance_id)}
        results = race([
            lambda t=tasks["review_a"].id: ready.runtime.complete_task(t, user="chanhvp", data={"a": 1}),
            lambda t=tasks["review_b"].id: second.runtime.complete_task(t, user="bithu", data={"b": 2}),
        ])
        assert not [r for r in results if isinstance(r, Exception)], results
        view = ready.queries.instance(instance_id)
        assert view.status == "completed"
        assert (view.data["a"], view.data["b"]) == (1, 2)

"""Two people acting on the same instance at the same moment, through separate real connections."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from engine.deployment.service import collect_sources
from engine.errors import Conflict, Unavailable
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


CROWD = 50


@pytest.fixture
def small_pool(settings, clock) -> Services:
    """Services whose pool is far smaller than the crowd, and whose calendar is re-checked on every use."""
    small = build_services(dataclasses.replace(settings, db_pool_size=5, db_max_overflow=0, db_pool_timeout=2),
                           clock=clock, verify_state=True)
    small.calendar.refresh_after = 0.0
    yield small
    small.close()


def test_a_crowd_completing_one_task_on_a_small_pool_leaves_the_case_running(services: Services,
                                                                             small_pool: Services) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "two_deadlines.bpmn"]))
    instance_id = small_pool.runtime.start("two_deadlines")
    task = small_pool.queries.tasks(instance_id=instance_id)[0]
    # The small pool's calendar is cached, then changed through another connection: the winner's step must
    # re-read it, and must not ask the exhausted pool for a second connection to do so.
    small_pool.calendar.calendar()
    services.calendar.add_day(date(2026, 4, 30), "holiday", "Ngày Giải phóng miền Nam")

    results = race([lambda: small_pool.runtime.complete_task(task.id, user="chuyenvien", data={"n": 1})
                    for _ in range(CROWD)])

    winners = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Conflict | Unavailable)]
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, Conflict | Unavailable)]
    assert (len(winners), len(refused), others) == (1, CROWD - 1, []), others or results
    view = services.queries.instance(instance_id)
    assert (view.status, view.error_message) == ("running", None)
    assert [t.element_id for t in services.queries.tasks(instance_id=instance_id)] == ["handle"]
    completions = [h for h in services.queries.history(instance_id) if h.kind == "task_completed"]
    assert len(completions) == 1


def test_a_step_needs_one_connection_only(services: Services, settings, clock) -> None:
    """With a pool of one connection, any step that asked for a second one would wait and fail."""
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "two_deadlines.bpmn", FIXTURES / "timers.bpmn"]))
    single = build_services(dataclasses.replace(settings, db_pool_size=1, db_max_overflow=0, db_pool_timeout=1),
                            clock=clock, verify_state=True)
    try:
        single.calendar.refresh_after = 0.0
        instance_id = single.runtime.start("two_deadlines")
        services.calendar.add_day(date(2026, 4, 30), "holiday", "Ngày Giải phóng miền Nam")
        for element in ("receive", "handle"):
            task = single.queries.tasks(instance_id=instance_id)[0]
            assert (task.element_id, task.due_at is not None) == (element, True)
            single.runtime.complete_task(task.id, user="chuyenvien")
        assert single.queries.instance(instance_id).status == "completed"
        assert "deadline_error" not in {h.kind for h in single.queries.history(instance_id)}
    finally:
        single.close()

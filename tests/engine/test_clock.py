"""Timers run on the engine's clock, not on the wall clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES, T0


@pytest.fixture
def timed(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "timers.bpmn"]))
    return services


def open_elements(services: Services, instance_id: int) -> list[str]:
    return [t.element_id for t in services.queries.tasks(instance_id=instance_id)]


def test_virtual_clock_moves_only_forward() -> None:
    clock = VirtualClock(T0)
    assert clock.now() == T0
    assert clock.advance(timedelta(minutes=5)) == T0 + timedelta(minutes=5)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        clock.set(T0)


def test_boundary_timer_fires_on_the_engine_clock(timed: Services, clock: VirtualClock) -> None:
    # The virtual clock stands months before the wall clock: a timer reading datetime.now would fire at once.
    instance_id = timed.runtime.start("timed")
    assert timed.runtime.fire_timers(instance_id) is False
    clock.advance(timedelta(minutes=59))
    assert timed.runtime.fire_timers(instance_id) is False
    assert open_elements(timed, instance_id) == ["handle"]
    clock.advance(timedelta(minutes=2))
    assert timed.runtime.fire_timers(instance_id) is True
    assert open_elements(timed, instance_id) == ["escalated"]
    history = [(h.kind, h.element_id) for h in timed.queries.history(instance_id)]
    assert ("element_completed", "late") in history


def test_intermediate_timer_waits_a_virtual_day(timed: Services, clock: VirtualClock) -> None:
    instance_id = timed.runtime.start("timed")
    task = timed.queries.tasks(instance_id=instance_id)[0]
    timed.runtime.complete_task(task.id, user="chuyenvien")
    clock.advance(timedelta(hours=23))
    timed.runtime.fire_timers(instance_id)
    assert timed.queries.instance(instance_id).status == "running"
    clock.advance(timedelta(hours=2))
    assert timed.runtime.fire_timers(instance_id) is True
    assert timed.queries.instance(instance_id).status == "completed"


def test_suspended_instances_do_not_fire_timers(timed: Services, clock: VirtualClock) -> None:
    instance_id = timed.runtime.start("timed")
    timed.runtime.suspend(instance_id)
    clock.advance(timedelta(hours=2))
    assert timed.runtime.fire_timers(instance_id) is False
    timed.runtime.resume(instance_id)  # timers that fell due while suspended fire on resume
    assert open_elements(timed, instance_id) == ["escalated"]

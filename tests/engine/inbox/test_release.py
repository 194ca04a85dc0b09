"""Letting go of a task ("Bỏ nhận"): work given personally goes back to whoever gave it, claimed work to its
groups; the history says which (the shipped incoming-document procedure on the demo organisation)."""

from __future__ import annotations

from engine.services import Services
from tests.engine.runtime.test_assignment_routing import DIRECTION, directed, received, shipped, task

__all__ = ["shipped"]  # the fixture, used by name


def _assigned(services: Services) -> tuple[int, str]:
    case = directed(services, {**DIRECTION, "don_vi_phoi_hop": []})
    services.runtime.complete_task(task(services, case, "assign_specialist"), user="truongphong_th",
                                   data={"chuyen_vien_xu_ly": "chuyenvien1", "y_kien_phan_cong": ""})
    return case, task(services, case, "specialist_handling")


def _holder(services: Services, case: int, task_id: str) -> str | None:
    return next(t.assignee for t in services.queries.tasks(instance_id=case) if t.id == task_id)


def test_a_task_assigned_by_name_goes_back_to_whoever_assigned_it(shipped: Services) -> None:
    case, handling = _assigned(shipped)
    assert shipped.work.unclaim_target(handling, "chuyenvien1") == ("truongphong_th", ("chuyen_vien",))
    assert shipped.work.unclaim(handling, "chuyenvien1") == "truongphong_th"
    assert _holder(shipped, case, handling) == "truongphong_th"  # not the whole group of specialists
    [event] = [h for h in shipped.queries.history(case) if h.kind == "task_unclaimed"]
    assert (event.actor, event.data) == ("chuyenvien1", {"returned_to": "truongphong_th"})


def test_a_delegated_task_goes_back_to_the_delegator(shipped: Services) -> None:
    case, handling = _assigned(shipped)
    shipped.work.delegate(handling, "chuyenvien1", "chuyenvien2")
    assert shipped.work.unclaim(handling, "chuyenvien2") == "chuyenvien1"
    assert _holder(shipped, case, handling) == "chuyenvien1"


def test_a_claimed_task_goes_back_to_its_groups(shipped: Services) -> None:
    case = received(shipped)
    direction = task(shipped, case, "leader_direction")
    shipped.work.claim(direction, "chanhvp")
    assert shipped.work.unclaim(direction, "chanhvp") is None
    assert _holder(shipped, case, direction) is None
    [event] = [h for h in shipped.queries.history(case) if h.kind == "task_unclaimed"]
    assert event.data == {"offered_to": ["lanh_dao"]}

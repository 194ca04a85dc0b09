"""Claim, unclaim and delegate on the real database: who may, what the inbox and history show after."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.persistence.models import TaskCandidateGroup
from engine.services import Services
from tests.engine.inbox.inbox_support import deactivate, prepare, start_document, task_of
from tests.engine.runtime.test_concurrency import race


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def offers(services: Services, task_id: str) -> set[str]:
    with services.db.read() as session:
        return set(session.scalars(select(TaskCandidateGroup.group_code)
                                   .where(TaskCandidateGroup.task_id == task_id)))


def kinds(services: Services, instance_id: int) -> list[tuple[str, str | None]]:
    return [(h.kind, h.actor) for h in services.queries.history(instance_id)
            if h.kind.startswith("task_") and h.kind != "task_created"]


def test_a_candidate_claims_and_the_task_leaves_the_colleagues_inboxes(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    assert offers(org, task.id) == {"chuyen_vien"}
    org.work.claim(task.id, "chuyenvien")
    assert task_of(org, task.instance_id).assignee == "chuyenvien"
    assert offers(org, task.id) == set()  # an assigned task is offered to nobody
    assert [t.id for t in org.queries.tasks(user="chuyenvien")] == [task.id]
    assert org.queries.tasks(user="canbo") == []
    assert kinds(org, task.instance_id) == [("task_claimed", "chuyenvien")]
    org.work.claim(task.id, "chuyenvien")  # claiming one's own task again changes nothing
    assert kinds(org, task.instance_id) == [("task_claimed", "chuyenvien")]


def test_a_task_claimed_by_someone_else_is_a_conflict_naming_them_to_who_may_see_the_case(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    org.work.claim(task.id, "chuyenvien")
    with pytest.raises(Conflict, match="already claimed by chuyenvien"):
        org.work.claim(task.id, "vanthu")  # the starter
    with pytest.raises(NotFound, match="no open task") as refused:
        org.work.claim(task.id, "canbo")  # no longer offered to canbo: the case is not theirs to see
    assert "chuyenvien" not in str(refused.value.params)


def test_only_candidates_may_claim(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    with pytest.raises(PermissionDenied, match="chuyen_vien"):
        org.work.claim(task.id, "vanthu")
    with pytest.raises(NotFound, match="no user 'ghost'"):
        org.work.claim(task.id, "ghost")
    deactivate(org, "canbo")
    with pytest.raises(NotFound, match="no user 'canbo'"):
        org.work.claim(task.id, "canbo")
    with pytest.raises(NotFound, match="no open task"):
        org.work.claim("00000000-0000-0000-0000-000000000000", "chuyenvien")


def test_claiming_a_completed_task_says_who_completed_it_to_who_may_see_the_case(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    org.runtime.complete_task(task.id, user="canbo", data={})
    with pytest.raises(Conflict, match="already completed by canbo"):
        org.work.claim(task.id, "vanthu")
    with pytest.raises(NotFound, match="no open task"):
        org.work.claim(task.id, "chuyenvien")


def test_unclaim_offers_the_task_to_its_groups_again(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    org.work.claim(task.id, "chuyenvien")
    with pytest.raises(PermissionDenied, match="assigned to chuyenvien"):
        org.work.unclaim(task.id, "vanthu")
    with pytest.raises(NotFound):
        org.work.unclaim(task.id, "canbo")
    org.work.unclaim(task.id, "chuyenvien")
    assert task_of(org, task.instance_id).assignee is None
    assert offers(org, task.id) == {"chuyen_vien"}
    assert [t.id for t in org.queries.tasks(user="canbo")] == [task.id]
    with pytest.raises(InvalidState, match="not claimed"):
        org.work.unclaim(task.id, "chuyenvien")
    assert kinds(org, task.instance_id) == [("task_claimed", "chuyenvien"), ("task_unclaimed", "chuyenvien")]


def test_a_task_open_to_everyone_goes_back_to_everyone(org: Services) -> None:
    task = task_of(org, org.runtime.start("open_task", user="vanthu"))
    assert offers(org, task.id) == {"*"}
    assert [t.id for t in org.queries.tasks(user="khach")] == [task.id]
    org.work.claim(task.id, "khach")
    assert org.queries.tasks(user="bithu") == []
    org.work.unclaim(task.id, "khach")
    assert offers(org, task.id) == {"*"}
    assert [t.id for t in org.queries.tasks(user="bithu")] == [task.id]


def test_the_assignee_delegates_and_the_delegate_is_notified(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    org.work.claim(task.id, "chuyenvien")
    org.work.delegate(task.id, "chuyenvien", "truongphong")
    assert task_of(org, task.instance_id).assignee == "truongphong"
    delegated = [h for h in org.queries.history(task.instance_id) if h.kind == "task_delegated"]
    assert [(h.actor, h.data) for h in delegated] == [("chuyenvien", {"from": "chuyenvien", "to": "truongphong"})]
    notes = org.notifications.list_for("truongphong").rows
    assert [(n.kind, n.task_id) for n in notes] == [("delegated", task.id)]
    assert "Hoàng Văn Viên" in notes[0].message  # the delegator by full name
    org.runtime.complete_task(task.id, user="truongphong", data={})


def test_a_candidate_may_delegate_an_unassigned_task_to_anyone_active(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    org.work.delegate(task.id, "canbo", "khach")  # khach is no candidate: delegation is how work reaches them
    assert task_of(org, task.instance_id).assignee == "khach"
    assert offers(org, task.id) == set()
    assert [t.id for t in org.queries.tasks(user="khach")] == [task.id]


def test_who_may_not_delegate(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1"))
    with pytest.raises(PermissionDenied):
        org.work.delegate(task.id, "vanthu", "chuyenvien")  # not a candidate
    org.work.claim(task.id, "chuyenvien")
    with pytest.raises(PermissionDenied, match="assigned to chuyenvien"):
        org.work.delegate(task.id, "vanthu", "khach")  # only the assignee hands it on
    with pytest.raises(NotFound):
        org.work.delegate(task.id, "canbo", "khach")  # a former candidate no longer sees the case
    with pytest.raises(NotFound, match="no user 'ghost'"):
        org.work.delegate(task.id, "chuyenvien", "ghost")
    deactivate(org, "khach")
    with pytest.raises(NotFound, match="no user 'khach'"):
        org.work.delegate(task.id, "chuyenvien", "khach")
    with pytest.raises(InvalidInput):
        org.work.delegate(task.id, "chuyenvien", "chuyenvien")
    assert task_of(org, task.instance_id).assignee == "chuyenvien"
    assert org.notifications.unread_count("khach") == 0


def test_claims_at_the_same_moment_exactly_one_wins(org: Services, settings, clock) -> None:
    from engine.services import build_services

    second = build_services(settings, clock=clock)
    try:
        for n in range(3):
            task = task_of(org, start_document(org, f"VB-{n}"))
            results = race([lambda t=task.id: org.work.claim(t, "chuyenvien"),
                            lambda t=task.id: second.work.claim(t, "canbo")])
            assert sum(r is None for r in results) == 1, results
            # The loser, no longer offered the task, may not see the case: for them the task is gone.
            assert all(r is None or isinstance(r, NotFound) for r in results), results
            winner = "chuyenvien" if results[0] is None else "canbo"
            assert task_of(org, task.instance_id).assignee == winner
    finally:
        second.close()


def test_a_claim_and_a_completion_at_once_never_both_win(org: Services, settings, clock) -> None:
    from engine.services import build_services

    second = build_services(settings, clock=clock)
    try:
        task = task_of(org, start_document(org, "VB-1"))
        results = race([lambda: org.work.claim(task.id, "chuyenvien"),
                         lambda: second.runtime.complete_task(task.id, user="canbo", data={})])
        assert [type(r).__name__ for r in results] in (["NoneType", "PermissionDenied"], ["NotFound", "InstanceRecord"])
    finally:
        second.close()

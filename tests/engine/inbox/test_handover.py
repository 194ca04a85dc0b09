"""Deactivating a user who left: their open personal tasks go to their unit's head, who is told; the history
keeps their name; reactivating gives nothing back."""

from __future__ import annotations

from sqlalchemy import select

from engine.deployment.service import collect_sources
from engine.persistence.models import HistoryEvent, Notification
from engine.services import Services
from tests.conftest import FIXTURES


def _case_with_task_of(services: Services, user: str) -> tuple[int, str]:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn"]))
    case = services.runtime.start("approve", data={"title": "Công văn"}, user="chuyenvien")
    task = services.queries.tasks(instance_id=case)[0].id
    services.work.claim(task, user)
    return case, task


def test_open_tasks_go_to_the_head_who_is_told(services: Services) -> None:
    case, task = _case_with_task_of(services, "chanhvp")
    ended: list[str] = []
    services.departures.end_sessions = ended.append
    done = services.departures.deactivate("chanhvp", by="quantri")
    assert (done.handed_to, done.tasks, done.was_active, ended) == ("bithu", [task], True, ["chanhvp"])
    assert services.queries.tasks(instance_id=case)[0].assignee == "bithu"
    with services.db.read() as session:
        told = session.scalars(select(Notification).where(Notification.username == "bithu")).one()
        event = session.scalars(select(HistoryEvent).where(HistoryEvent.kind == "task_handed_over")).one()
        assert told.message_key == "handed_over" and told.params["user"] == "Trần Thị Chánh"  # by full name
        assert (event.actor, event.data) == ("quantri", {"from": "chanhvp", "to": "bithu", "reason": "deactivated"})
        claimed = session.scalars(select(HistoryEvent).where(HistoryEvent.kind == "task_claimed")).one()
        assert claimed.actor == "chanhvp"  # history keeps who did what
    assert services.accounts.account("chanhvp") is None
    assert services.people.person("chanhvp").deactivated_at is not None
    assert services.departures.reactivate("chanhvp") is True
    assert services.queries.tasks(instance_id=case)[0].assignee == "bithu"
    assert services.people.person("chanhvp").deactivated_at is None


def test_without_a_head_the_task_is_offered_to_its_groups_again(services: Services) -> None:
    case, task = _case_with_task_of(services, "bithu")  # the top unit's head: nobody above
    done = services.departures.deactivate("bithu", by=None)
    assert done.handed_to is None and done.tasks == [task]
    open_task = services.queries.tasks(instance_id=case)[0]
    assert open_task.assignee is None and open_task.candidate_groups == ["lanh_dao"]
    assert [t.id for t in services.queries.tasks(user="chanhvp")] == [task]

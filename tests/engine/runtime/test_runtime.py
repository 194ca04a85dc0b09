"""The engine core end to end on the real database: deploy, start, complete, errors, retry, lifecycle."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.deployment.service import collect_sources
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied
from engine.services import Services
from tests.conftest import FIXTURES


def deploy(services: Services, *names: str) -> None:
    services.deployment.deploy(collect_sources([FIXTURES / n for n in names]))


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def only_task(services: Services, instance_id: int):
    tasks = services.queries.tasks(instance_id=instance_id)
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_start_runs_until_a_user_task_and_fills_the_inbox(org: Services) -> None:
    deploy(org, "approve.bpmn")
    instance_id = org.runtime.start("approve", data={"title": "Công văn 12"}, business_key="CV-12",
                                    user="chuyenvien")
    task = only_task(org, instance_id)
    assert task.element_id == "review"
    assert task.name == "Lãnh đạo duyệt"
    assert task.candidate_groups == ["lanh_dao"]
    assert task.form_key == "approve"
    assert task.due_at == org.clock.now() + timedelta(days=2)
    view = org.queries.instance(instance_id)
    assert view.status == "running"
    assert view.business_key == "CV-12"
    assert view.data["title"] == "Công văn 12"


def test_completing_a_task_moves_the_instance_to_the_end_and_records_history(org: Services) -> None:
    deploy(org, "approve.bpmn")
    instance_id = org.runtime.start("approve", user="chuyenvien")
    task = only_task(org, instance_id)
    org.clock.advance(timedelta(hours=1))
    org.runtime.complete_task(task.id, user="chanhvp", data={"approved": True})
    view = org.queries.instance(instance_id)
    assert view.status == "completed"
    assert view.open_tasks == []
    assert view.data["result"] == "approved"
    kinds = [(h.kind, h.element_id) for h in view.history]
    assert kinds[0] == ("instance_started", None)
    assert ("task_completed", "review") in kinds
    assert ("element_completed", "mark") in kinds
    assert kinds[-1] == ("instance_completed", None)
    completed = next(h for h in view.history if h.kind == "task_completed")
    assert completed.actor == "chanhvp"
    assert completed.data["data"] == {"approved": True, "comment": ""}  # as cleaned by the task's form
    assert completed.at == org.clock.now()


def test_inbox_shows_a_user_only_tasks_of_their_groups(org: Services) -> None:
    deploy(org, "approve.bpmn")
    instance_id = org.runtime.start("approve")
    assert [t.instance_id for t in org.queries.tasks(user="bithu")] == [instance_id]
    assert org.queries.tasks(user="vanthu") == []


def test_a_user_outside_the_candidate_groups_may_not_complete(org: Services) -> None:
    deploy(org, "approve.bpmn")
    task = only_task(org, org.runtime.start("approve"))
    with pytest.raises(PermissionDenied, match="lanh_dao"):
        org.runtime.complete_task(task.id, user="vanthu", data={"approved": True})
    with pytest.raises(NotFound, match="no user 'ghost'"):
        org.runtime.complete_task(task.id, user="ghost", data={"approved": True})
    assert only_task(org, task.instance_id).id == task.id


def test_completing_twice_is_a_clear_conflict(org: Services) -> None:
    deploy(org, "approve.bpmn")
    task = only_task(org, org.runtime.start("approve"))
    org.runtime.complete_task(task.id, user="chanhvp", data={"approved": False})
    with pytest.raises(Conflict, match="already completed by chanhvp"):
        org.runtime.complete_task(task.id, user="bithu", data={"approved": True})


def test_bad_input_is_refused_with_field_messages(org: Services) -> None:
    deploy(org, "approve.bpmn")
    task = only_task(org, org.runtime.start("approve"))
    with pytest.raises(InvalidInput) as err:
        org.runtime.complete_task("not-a-uuid", user="chanhvp")
    assert "task_id" in err.value.fields
    with pytest.raises(InvalidInput, match="data"):
        org.runtime.complete_task(task.id, user="chanhvp", data={"when": object()})
    with pytest.raises(NotFound, match="no deployed process 'nope'"):
        org.runtime.start("nope")


def test_a_failing_script_puts_the_instance_in_error_and_retry_continues(org: Services) -> None:
    deploy(org, "failing_script.bpmn")
    instance_id = org.runtime.start("failing")
    enter = only_task(org, instance_id)
    org.runtime.complete_task(enter.id, user="chuyenvien", data={"divisor": 0})
    view = org.queries.instance(instance_id)
    assert view.status == "error"
    assert view.error_element == "divide"
    assert "ZeroDivisionError" in view.error_message
    assert view.data["divisor"] == 0  # the user's input was kept
    assert any(h.kind == "task_completed" for h in view.history)
    with pytest.raises(Conflict, match="already completed"):
        org.runtime.complete_task(enter.id, user="chuyenvien", data={"divisor": 2})
    with pytest.raises(InvalidState, match="only failed ones"):
        org.runtime.retry(org.runtime.start("failing"))
    instance = org.runtime.retry(instance_id, data={"divisor": 5}, user="chanhvp")
    assert instance.status.value == "running"
    check = only_task(org, instance_id)
    assert check.element_id == "check"
    assert org.queries.instance(instance_id).data["quotient"] == 2


def test_retry_after_fixing_the_model_moves_to_the_new_version(org: Services, tmp_path) -> None:
    deploy(org, "failing_script.bpmn")
    instance_id = org.runtime.start("failing")
    org.runtime.complete_task(only_task(org, instance_id).id, user="chuyenvien", data={"divisor": 0})
    fixed = tmp_path / "failing_script.bpmn"
    fixed.write_text((FIXTURES / "failing_script.bpmn").read_text().replace(
        "quotient = 10 / divisor", "quotient = 10 / divisor if divisor else None"))
    org.deployment.deploy(collect_sources([fixed]))
    org.runtime.retry(instance_id, upgrade=True)
    view = org.queries.instance(instance_id)
    assert (view.status, view.version, view.data["quotient"]) == ("running", 2, None)


def test_suspend_resume_terminate(org: Services) -> None:
    deploy(org, "approve.bpmn")
    instance_id = org.runtime.start("approve")
    task = only_task(org, instance_id)
    org.runtime.suspend(instance_id, user="bithu")
    with pytest.raises(InvalidState, match="suspended"):
        org.runtime.complete_task(task.id, user="chanhvp", data={"approved": True})
    with pytest.raises(InvalidState):
        org.runtime.suspend(instance_id)
    org.runtime.resume(instance_id, user="bithu")
    org.runtime.terminate(instance_id, user="bithu", reason="trùng hồ sơ")
    view = org.queries.instance(instance_id)
    assert view.status == "terminated"
    assert view.open_tasks == []
    assert [h.kind for h in view.history if h.kind in ("suspended", "resumed", "terminated")] == [
        "suspended", "resumed", "terminated"]
    with pytest.raises(InvalidState):
        org.runtime.terminate(instance_id)


def test_instances_survive_a_restart_exactly(org: Services, settings, clock) -> None:
    from engine.services import build_services

    deploy(org, "approve.bpmn")
    instance_id = org.runtime.start("approve", data={"n": 1})
    before = org.queries.instance(instance_id).as_dict()
    org.close()
    again = build_services(settings, clock=clock, verify_state=True)
    try:
        after = again.queries.instance(instance_id).as_dict()
        assert after == before
        again.runtime.complete_task(after["open_tasks"][0]["id"], user="bithu", data={"approved": True})
        assert again.queries.instance(instance_id).status == "completed"
    finally:
        again.close()


def test_a_loop_still_progresses_after_5000_completed_tasks_with_flat_state(org: Services) -> None:
    deploy(org, "loop.bpmn")
    instance_id = org.runtime.start("review_loop")
    sizes = {}
    for round_ in range(1, 1701):
        task = only_task(org, instance_id)
        org.runtime.complete_task(task.id, user="chuyenvien", data={"approved": round_ == 1700})
        if round_ in (10, 1699):
            with org.db.read() as session:
                from engine.persistence.models import Instance
                sizes[round_] = len(session.get(Instance, instance_id).state)
    view = org.queries.instance(instance_id, with_history=False)
    assert view.status == "completed"
    assert view.completed_tasks > 5000
    assert view.data["rounds"] == 1700
    assert sizes[1699] <= sizes[10] * 1.1, sizes


def test_cli_data_must_be_a_json_object() -> None:
    from cli.common import json_arg as _json_arg

    with pytest.raises(InvalidInput, match="not valid JSON"):
        _json_arg("{nope")
    with pytest.raises(InvalidInput, match="must be a JSON object"):
        _json_arg(json.dumps([1, 2]))

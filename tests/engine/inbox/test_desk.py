"""The task desk on the real database: opening a task by the inbox's rule, drafts, and completing from posted fields."""

from __future__ import annotations

import pytest

from engine.deployment.service import collect_sources
from engine.errors import InvalidInput, NotFound
from engine.inbox.desk import Submission, TaskClosed, TaskOfOthers
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def approval(services: Services) -> tuple[Services, int, str]:
    """A case of the approval procedure, its review task offered to the leaders' group (bithu, chanhvp)."""
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn"]))
    instance_id = services.runtime.start("approve", data={"title": "Công văn 12"}, user="chuyenvien")
    return services, instance_id, services.queries.tasks(instance_id=instance_id)[0].id


def test_a_task_opens_only_for_those_it_is_offered_to(approval: tuple[Services, int, str]) -> None:
    services, instance_id, task_id = approval
    assert services.desk.open_task("chanhvp", instance_id, task_id).id == task_id
    with pytest.raises(TaskOfOthers):
        services.desk.open_task("chuyenvien", instance_id, task_id)  # the starter sees the case, not the task
    with pytest.raises(NotFound, match="no instance") as hidden:
        services.desk.open_task("vanthu", instance_id, task_id)  # a case one may not see is as if missing
    assert not isinstance(hidden.value, TaskClosed)
    with pytest.raises(TaskClosed) as closed:
        services.desk.open_task("chanhvp", instance_id, "no-such-task")
    assert closed.value.done is None
    with pytest.raises(NotFound):  # no such case
        services.desk.open_task("chanhvp", instance_id + 1, task_id)


def test_completing_from_posted_fields(approval: tuple[Services, int, str]) -> None:
    services, instance_id, task_id = approval
    posted = Submission({"approved": ["on"], "comment": ["Đồng ý ban hành"], "csrf_token": ["x"]}, element_id="review")
    outcome = services.desk.complete("chanhvp", instance_id, task_id, posted)
    assert outcome.error is None and outcome.record is not None and outcome.task is not None
    assert outcome.data == {"approved": True, "comment": "Đồng ý ban hành"}
    case = services.queries.instance(instance_id, with_history=False)
    assert case.status == "completed" and case.data["comment"] == "Đồng ý ban hành"


def test_a_task_completed_first_by_someone_else_names_them(approval: tuple[Services, int, str]) -> None:
    services, instance_id, task_id = approval
    services.desk.complete("chanhvp", instance_id, task_id, Submission({"comment": ["một"]}))
    outcome = services.desk.complete("bithu", instance_id, task_id,
                                     Submission({"comment": ["hai"]}, element_id="review"))
    assert outcome.record is None and outcome.task is None
    assert isinstance(outcome.error, TaskClosed) and outcome.error.done is not None
    assert outcome.error.done.actor == "chanhvp"
    assert outcome.form is not None and outcome.data["comment"] == "hai"  # what was typed, to show again
    assert outcome.case_data["comment"] == "một"
    with pytest.raises(TaskClosed) as closed:
        services.desk.open_task("bithu", instance_id, task_id)
    assert closed.value.done is not None and closed.value.done.actor == "chanhvp"


def test_an_invalid_submission_changes_nothing_and_says_which_field(approval: tuple[Services, int, str]) -> None:
    services, instance_id, task_id = approval
    outcome = services.desk.complete("chanhvp", instance_id, task_id, Submission({"comment": ["x" * 501]}),
                                     locale="en")
    assert isinstance(outcome.error, InvalidInput) and "comment" in outcome.error.fields
    assert outcome.task is not None and outcome.task.id == task_id and outcome.record is None
    assert services.queries.instance(instance_id, with_history=False).status == "running"
    assert services.desk.open_task("chanhvp", instance_id, task_id).id == task_id


def test_someone_elses_task_is_refused_without_completing_it(approval: tuple[Services, int, str]) -> None:
    services, instance_id, task_id = approval
    outcome = services.desk.complete("chuyenvien", instance_id, task_id, Submission({"comment": ["tôi duyệt"]}))
    assert isinstance(outcome.error, TaskOfOthers) and outcome.task is None
    assert outcome.data == {}  # no form element named: nothing to read the fields against
    assert services.queries.instance(instance_id, with_history=False).status == "running"


def test_a_draft_is_kept_for_its_author_and_shown_on_the_page(approval: tuple[Services, int, str]) -> None:
    services, instance_id, task_id = approval
    draft = services.desk.save_draft("chanhvp", instance_id, task_id, {"comment": ["đang viết"]})
    assert draft.data == {"approved": False, "comment": "đang viết"}
    page = services.desk.page("chanhvp", instance_id, task_id)
    assert page.draft == draft and page.form is not None and page.case.data["title"] == "Công văn 12"
    assert services.desk.page("bithu", instance_id, task_id).draft is None
    with pytest.raises(TaskOfOthers):
        services.desk.save_draft("chuyenvien", instance_id, task_id, {"comment": ["x"]})

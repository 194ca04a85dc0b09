"""Forms deployed with their processes, versioned, and every submission validated by the task's form."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.deployment.service import collect_sources
from engine.errors import InvalidInput, InvalidModel
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def deploy(services: Services, *paths: Path):
    return services.deployment.deploy(collect_sources(paths))


def task_of(services: Services, instance_id: int):
    return services.queries.tasks(instance_id=instance_id)[0]


def test_a_submission_is_validated_by_the_tasks_form(org: Services) -> None:
    deploy(org, FIXTURES / "approve.bpmn")  # its form comes from the forms folder
    task = task_of(org, org.runtime.start("approve"))
    with pytest.raises(InvalidInput) as refused:
        org.runtime.complete_task(task.id, user="bithu", data={"approved": True, "extra": "x", "comment": "a" * 501})
    assert set(refused.value.fields) == {"extra", "comment"}
    with pytest.raises(InvalidInput) as english:
        org.runtime.complete_task(task.id, user="bithu", data={"approved": True, "comment": 5}, locale="en")
    assert "comment" in english.value.fields
    assert task_of(org, task.instance_id).id == task.id  # nothing changed
    org.runtime.complete_task(task.id, user="bithu", data={"approved": True, "comment": "  Đồng ý  "})
    view = org.queries.instance(task.instance_id)
    assert (view.status, view.data["comment"]) == ("completed", "Đồng ý")


def test_running_cases_keep_the_form_version_they_started_with(org: Services, tmp_path: Path) -> None:
    deploy(org, FIXTURES / "approve.bpmn")
    old = task_of(org, org.runtime.start("approve"))
    stricter = tmp_path / "approve.form"
    stricter.write_text((FIXTURES / "forms_used" / "approve.form").read_text().replace(
        '"validate": {"maxLength": 500}', '"validate": {"maxLength": 500, "required": true}'))
    results = deploy(org, FIXTURES / "approve.bpmn", stricter)
    assert [(r.process_id, r.version, r.created) for r in results] == [("approve", 2, True)]
    new = task_of(org, org.runtime.start("approve"))
    org.runtime.complete_task(old.id, user="bithu", data={"approved": True})  # v1's form: comment optional
    with pytest.raises(InvalidInput) as refused:
        org.runtime.complete_task(new.id, user="bithu", data={"approved": True})
    assert list(refused.value.fields) == ["comment"]


def test_a_task_naming_a_form_found_nowhere_is_refused_at_deploy(org: Services, tmp_path: Path) -> None:
    missing = tmp_path / "missing_form.bpmn"
    missing.write_text((FIXTURES / "approve.bpmn").read_text().replace(
        'camunda:formKey="approve"', 'camunda:formKey="camunda-forms:deployment:no_such_form.form"')
        .replace('id="approve"', 'id="missing_form"'))
    with pytest.raises(InvalidModel) as refused:
        deploy(org, missing)
    (problem,) = refused.value.problems
    assert (problem.code, problem.element_id, problem.line) == ("E060", "review", 7)
    assert "no_such_form" in problem.message


def test_a_malformed_form_is_refused_with_its_location(org: Services, tmp_path: Path) -> None:
    broken = tmp_path / "approve.form"
    broken.write_text('{"id": "approve", "type": "default", "components": [{"type": "rocket", "key": "x"}]}')
    with pytest.raises(InvalidModel) as refused:
        deploy(org, FIXTURES / "approve.bpmn", broken)
    assert any("rocket" in p.message for p in refused.value.problems)

"""Camunda 7/8 extensions as procflow's task metadata: who may do a task, deadlines, forms, service task handlers."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.camunda import expression
from engine.bpmn.validation import SourceFile, validate_sources
from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES

C8 = FIXTURES / "camunda" / "c8_review.bpmn"


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def validate(text: str) -> list[str]:
    return [f"{p.code} {p.element_id}: {p.message}" for p in validate_sources([SourceFile("m.bpmn", text.encode())])]


def test_a_camunda_8_task_is_offered_only_to_its_candidate_groups_and_its_service_task_runs_a_handler(
        org: Services) -> None:
    org.deployment.deploy(collect_sources([C8]))
    instance_id = org.runtime.start("c8_review", user="chuyenvien")
    [task] = org.queries.tasks(instance_id=instance_id)
    assert task.candidate_groups == ["lanh_dao"]
    assert org.queries.tasks(user="chuyenvien") == []  # not offered to anyone
    assert [t.id for t in org.queries.tasks(user="bithu")] == [task.id]
    org.runtime.complete_task(task.id, user="bithu", data={})
    [follow_up] = org.queries.tasks(instance_id=instance_id)
    assert follow_up.assignee == "chuyenvien"  # =initiator
    assert org.queries.instance(instance_id).data["done"] is True  # procflow.mark_done ran


@pytest.mark.parametrize(("value", "ours"), [
    ("lanh_dao, van_thu", "lanh_dao, van_thu"), ("=assignee", "${assignee}"), ("${initiator}", "${initiator}"),
    ('=["lanh_dao", "van_thu"]', "lanh_dao,van_thu"), ("=if a then b else c", None), ("${user.getBoss()}", None),
    ("#{x}", None),
])
def test_expressions_are_translated_only_where_exact(value: str, ours: str | None) -> None:
    assert expression(value) == ours


def test_who_may_do_a_task_is_never_guessed() -> None:
    model = C8.read_text()
    assert validate(model.replace('candidateGroups="lanh_dao"', 'candidateGroups="=if urgent then x else y"')) == [
        "E080 review: zeebe:assignmentDefinition candidateGroups '=if urgent then x else y' cannot be honoured: "
        "procflow understands names, ${variable} and =variable (a FEEL list of names too); the task would be "
        "offered to the wrong people"]
    assert validate(model.replace('candidateGroups="lanh_dao"', 'candidateGroups="lanh_dao" teamLead="x"'))[0] \
        .startswith("E081 review: zeebe:assignmentDefinition teamLead is not understood")


def test_an_unknown_handler_is_refused_and_ignored_extensions_are_warnings() -> None:
    model = C8.read_text()
    assert validate(model.replace("procflow.mark_done", "send-email")) == [
        "E083 archive: zeebe:taskDefinition type 'send-email' names no handler registered in procflow "
        "(registered: procflow.mark_done, procflow.noop)"]
    ignored = model.replace('<zeebe:taskSchedule dueDate="2030-01-02T09:00:00+07:00" />',
                            '<zeebe:taskSchedule dueDate="2030-01-02T09:00:00+07:00" followUpDate="2030-01-01" />')
    assert validate(ignored) == ["W160 review: zeebe:taskSchedule followUpDate (use procflow:reminder) is ignored"]


def test_camunda_7_attributes_map_onto_procflow_metadata(tmp_path: Path) -> None:
    from lxml import etree

    from engine.bpmn.metadata import task_metadata
    node = etree.fromstring('<bpmn:userTask xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
                            'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="t" camunda:assignee="${initiator}" '
                            'camunda:candidateGroups="lanh_dao" camunda:formRef="don_xin" camunda:dueDate="P2D"/>')
    meta = task_metadata(node, None)
    assert (meta["assignee"], meta["candidate_groups"], meta["form"], meta["due"]) == (
        "${initiator}", ["lanh_dao"], "don_xin", "P2D")

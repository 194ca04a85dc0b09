"""Deploying models: versions by content, running instances stay on their version, references across files."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.deployment.service import collect_sources
from engine.errors import InvalidInput, NotFound
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def deploy(services: Services, *paths: Path):
    return services.deployment.deploy(collect_sources(paths))


def renamed_copy(tmp_path: Path, name: str) -> Path:
    changed = tmp_path / "approve.bpmn"
    changed.write_text((FIXTURES / "approve.bpmn").read_text().replace('name="Lãnh đạo duyệt"', f'name="{name}"'))
    return changed


def test_unchanged_file_is_a_no_op_and_a_change_makes_a_new_version(org: Services, tmp_path: Path) -> None:
    first = deploy(org, FIXTURES / "approve.bpmn")
    assert [(d.process_id, d.version, d.created) for d in first] == [("approve", 1, True)]
    again = deploy(org, FIXTURES / "approve.bpmn")
    assert [(d.version, d.created) for d in again] == [(1, False)]
    changed = deploy(org, renamed_copy(tmp_path, "Duyệt lại"))
    assert [(d.version, d.created) for d in changed] == [(2, True)]


def test_running_instances_keep_their_version_and_new_ones_take_the_latest(org: Services, tmp_path: Path) -> None:
    deploy(org, FIXTURES / "approve.bpmn")
    old = org.runtime.start("approve")
    deploy(org, renamed_copy(tmp_path, "Duyệt bản mới"))
    new = org.runtime.start("approve")
    assert org.queries.instance(old).version == 1
    assert org.queries.instance(new).version == 2
    old_task = org.queries.tasks(instance_id=old)[0]
    new_task = org.queries.tasks(instance_id=new)[0]
    assert (old_task.name, new_task.name) == ("Lãnh đạo duyệt", "Duyệt bản mới")
    org.runtime.complete_task(old_task.id, user="bithu", data={"approved": True})
    assert org.queries.instance(old).status == "completed"


def test_models_from_camunda_modeler_and_bpmn_io_load(org: Services) -> None:
    results = deploy(org, FIXTURES / "approve.bpmn", FIXTURES / "loop.bpmn")
    assert {d.process_id for d in results} == {"approve", "review_loop"}


def test_decisions_and_called_processes_deployed_earlier_are_found(org: Services) -> None:
    deploy(org, FIXTURES / "urgency.dmn")
    deploy(org, FIXTURES / "approve.bpmn")
    deploy(org, FIXTURES / "decide.bpmn")
    instance_id = org.runtime.start("decide", data={"urgency": "khan"})
    task = org.queries.tasks(instance_id=instance_id)[0]
    assert task.element_id == "review"  # inside the called process
    assert task.candidate_groups == ["lanh_dao"]
    org.runtime.complete_task(task.id, user="bithu", data={"approved": True})
    view = org.queries.instance(instance_id)
    assert view.status == "completed"
    assert view.data["hours"] == 8


def test_a_folder_deploys_every_model_below_it(org: Services, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("approve.bpmn", "urgency.dmn"):
        (tmp_path / "sub" / name).write_bytes((FIXTURES / name).read_bytes())
    (tmp_path / "notes.txt").write_text("not a model")
    assert [d.process_id for d in deploy(org, tmp_path)] == ["approve"]


def test_missing_paths_and_empty_deployments_are_refused(org: Services, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file or folder"):
        collect_sources([tmp_path / "nope.bpmn"])
    with pytest.raises(InvalidInput, match="nothing to deploy"):
        org.deployment.deploy([])


def test_camunda_decision_ref_is_understood(org: Services, tmp_path: Path) -> None:
    camunda = tmp_path / "decide_camunda.bpmn"
    camunda.write_text((FIXTURES / "decide.bpmn").read_text()
                       .replace('xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
                                'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')
                       .replace('<bpmn:businessRuleTask id="lookup" name="Look up hours">',
                                '<bpmn:businessRuleTask id="lookup" name="Look up hours" '
                                'camunda:decisionRef="handling_hours">')
                       .replace("<bpmn:extensionElements><spiffworkflow:calledDecisionId>handling_hours"
                                "</spiffworkflow:calledDecisionId></bpmn:extensionElements>", ""))
    deploy(org, FIXTURES / "urgency.dmn", FIXTURES / "approve.bpmn", camunda)
    instance_id = org.runtime.start("decide", data={"urgency": "hoa_toc"})
    org.runtime.complete_task(org.queries.tasks(instance_id=instance_id)[0].id, user="bithu", data={"approved": True})
    assert org.queries.instance(instance_id).data["hours"] == 2


def test_a_process_marked_not_executable_is_kept_as_a_diagram_with_a_note_not_run(org: Services) -> None:
    results = deploy(org, FIXTURES / "valid" / "bpmnio_not_executable.bpmn")
    assert [(r.process_id, r.version, r.created, r.note) for r in results] == [
        ("Process_0a1b2c3", 0, False, 'not executable (isExecutable="false"): stored as a diagram, not run')]
    with pytest.raises(NotFound):
        org.runtime.start("Process_0a1b2c3")


def test_the_same_model_written_by_another_tool_is_not_a_new_version(org: Services, tmp_path: Path) -> None:
    """The modeler saves a model with its own indentation, attribute order and exporter name: saved again
    unchanged, it deploys as the version it is; a moved shape (the diagram is part of the model) is a change."""
    from lxml import etree

    deploy(org, FIXTURES / "approve.bpmn")
    root = etree.fromstring((FIXTURES / "approve.bpmn").read_bytes(), etree.XMLParser(remove_blank_text=True))
    root.set("exporter", "bpmn-js (https://demo.bpmn.io)")
    root.set("exporterVersion", "18.1.1")
    rewritten = tmp_path / "approve.bpmn"
    rewritten.write_bytes(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))
    assert rewritten.read_bytes() != (FIXTURES / "approve.bpmn").read_bytes()
    assert [(d.version, d.created) for d in deploy(org, rewritten)] == [(1, False)]
    bounds = root.find(".//{http://www.omg.org/spec/DD/20100524/DC}Bounds")
    bounds.set("x", str(float(bounds.get("x")) + 40))
    rewritten.write_bytes(etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8"))
    assert [(d.version, d.created) for d in deploy(org, rewritten)] == [(2, True)]

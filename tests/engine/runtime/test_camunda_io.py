"""Variable mappings of Camunda models applied end to end: C7 camunda:in/out on a call activity (JUEL) and C8
zeebe:ioMapping on a user task and a call activity (FEEL), deployed, started and driven through the Runtime."""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.validation import validate_sources
from engine.bpmn.validation.model import SourceFile
from engine.deployment.service import collect_sources
from engine.persistence import repository
from engine.services import Services
from tests.conftest import FIXTURES

IO = FIXTURES / "camunda_io"


@pytest.fixture
def agency(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([IO]))
    return services


def complete(services: Services, instance_id: int, element_id: str, user: str, **data: object) -> None:
    task = next(t for t in services.queries.tasks(instance_id=instance_id) if t.element_id == element_id)
    services.runtime.complete_task(task.id, user=user, data=dict(data))


def open_task_data(services: Services, instance_id: int, element_id: str) -> dict[str, Any]:
    """The data an open task sees (its process or a called one), from the restored workflow."""
    with services.db.connect() as conn:
        record = repository.lock_instance(conn, instance_id)
        assert record is not None
        spec = services.runtime.specs.get(conn, record.process_version_id)
    workflow = services.runtime.restore(record, spec)
    (task,) = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == element_id]
    return dict(task.data)


def test_camunda7_in_and_out_pass_only_the_mapped_variables(agency: Services) -> None:
    case = agency.runtime.start("c7_request", data={"amount": 250, "urgent": True, "secret": "x"})
    seen = open_task_data(agency, case, "check")
    assert seen == {"so_tien": 250, "large": True}  # only the camunda:in variables, the JUEL one evaluated
    complete(agency, case, "check", "chuyenvien", verdict="ok", scratch="only in the called process")
    data = agency.queries.instance(case).data
    assert data["ket_qua"] == "ok" and data["large_and_ok"] is True  # camunda:out, source and sourceExpression
    assert data["amount"] == 250 and data["secret"] == "x"  # the caller's data is kept
    assert "scratch" not in data and "so_tien" not in data


def test_camunda7_an_output_expression_over_a_missing_variable_stops_the_case_at_the_call(agency: Services) -> None:
    case = agency.runtime.start("c7_request", data={"amount": 5, "urgent": False})
    complete(agency, case, "check", "chuyenvien", other="no verdict")  # ${verdict == 'ok' ...} cannot be read
    instance = agency.queries.instance(case)
    assert (instance.status, instance.error_element) == ("error", "call_check")


def test_camunda8_io_mapping_on_a_user_task_and_a_call_activity(agency: Services) -> None:
    case = agency.runtime.start("c8_request", data={"amount": 40, "title": "công văn"})
    seen = open_task_data(agency, case, "review")
    assert (seen["doubled"], seen["title"], seen["level"]) == (80, "CÔNG VĂN", "khan")  # FEEL inputs, a literal
    complete(agency, case, "review", "bithu", decision="ok", remark="local to the task")
    data = agency.queries.instance(case).data
    assert data["approved"] is True and data["summary"] == {"doubled_plus_one": 81}  # outputs, a nested target
    assert data["title"] == "công văn"  # the input shadowed it while the task was open
    assert not {"doubled", "level", "decision", "remark"} & set(data)  # locals and results stay local

    assert open_task_data(agency, case, "check")["so_tien"] == 40
    complete(agency, case, "check", "chuyenvien", verdict="da_kiem_tra", extra=1)
    data = agency.queries.instance(case).data
    assert data["ket_qua"] == "da_kiem_tra"
    assert "extra" not in data and "verdict" not in data  # propagateAllChildVariables="false"
    assert data["amount"] == 40


def test_applied_mappings_are_no_longer_lint_warnings_and_a_bad_source_is_located() -> None:
    ignored = [str(p) for p in validate_sources(collect_sources([IO])) if p.code == "W160"]
    assert ignored and all("historyTimeToLive" in text for text in ignored), ignored  # only what is not applied
    bad = (IO / "c8_request.bpmn").read_text().replace('source="=amount * 2"', 'source="=amount * * 2"')
    problems = [p for p in validate_sources([SourceFile("bad.bpmn", bad.encode())]) if p.severity == "error"]
    assert problems and "amount * * 2" in str(problems[0])

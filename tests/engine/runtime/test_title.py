"""Every case has a title: ``procflow:title`` evaluated over the case data after each step and stored on the case."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.deployment.service import collect_sources
from engine.errors import InvalidModel
from engine.services import Services
from tests.conftest import FIXTURES

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:procflow="https://procflow.dev/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="titled" name="Có tên" isExecutable="true" {attribute}>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="draft" name="Soạn" procflow:candidateGroups="chuyen_vien">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="sign" name="Ký" procflow:candidateGroups="lanh_dao">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft" />
    <bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="sign" />
    <bpmn:sequenceFlow id="f3" sourceRef="sign" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy(services: Services, folder: Path, attribute: str) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    (folder / "titled.bpmn").write_text(MODEL.format(attribute=attribute), encoding="utf-8")
    services.deployment.deploy(collect_sources([folder / "titled.bpmn"]))


def title_of(services: Services, case: int) -> str | None:
    return services.queries.instance(case, with_history=False).summary


def test_the_title_follows_the_data_step_by_step(services: Services, tmp_path: Path) -> None:
    deploy(services, tmp_path, """procflow:title='f"{loai}: {trich_yeu}"'""")
    case = services.runtime.start("titled", data={"loai": "Công văn"}, user="vanthu")
    assert title_of(services, case) is None  # trich_yeu not there yet: no title rather than an error
    task = services.queries.tasks(instance_id=case)[0]
    services.runtime.complete_task(task.id, user="chuyenvien", data={"trich_yeu": "Về việc báo cáo tháng 12"})
    assert title_of(services, case) == "Công văn: Về việc báo cáo tháng 12"
    task = services.queries.tasks(instance_id=case)[0]
    services.runtime.complete_task(task.id, user="chanhvp", data={"loai": "Báo cáo"})  # changed in a later step
    assert title_of(services, case) == "Báo cáo: Về việc báo cáo tháng 12"


def test_summary_is_still_read_as_the_title(services: Services, tmp_path: Path) -> None:
    deploy(services, tmp_path, 'procflow:summary="trich_yeu"')
    case = services.runtime.start("titled", data={"trich_yeu": "Kế hoạch năm 2027"}, user="vanthu")
    assert title_of(services, case) == "Kế hoạch năm 2027"


def test_a_title_using_what_the_sandbox_forbids_is_refused_at_deploy(services: Services, tmp_path: Path) -> None:
    with pytest.raises(InvalidModel) as refused:
        deploy(services, tmp_path, "procflow:title=\"__import__('os').getcwd()\"")
    assert "E033" in str(refused.value.problems) and "title" in str(refused.value.problems)

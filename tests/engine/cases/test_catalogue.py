"""The catalogue and the case service answer what the web used to work out itself: diagrams and who may start."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cases.catalogue import NotAStarter
from engine.deployment.service import collect_sources
from engine.errors import NotFound, PermissionDenied
from engine.services import Services
from tests.conftest import FIXTURES


@pytest.fixture
def deployed(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn"]))
    return services


def test_a_procedures_diagram_is_its_newest_versions_file(deployed: Services) -> None:
    xml = deployed.catalogue.process_diagram("approve")
    assert xml.lstrip().startswith("<?xml") and 'id="review"' in xml
    with pytest.raises(NotFound):
        deployed.catalogue.process_diagram("no_such_process")


def test_a_cases_diagram_only_for_those_who_may_see_the_case(deployed: Services) -> None:
    instance_id = deployed.runtime.start("approve", data={"title": "x"}, user="chuyenvien")
    found = deployed.cases.diagram(instance_id, "chuyenvien")
    assert found.current == ["review"] and 'id="review"' in found.xml
    with pytest.raises(NotFound, match="no instance"):  # as if it did not exist
        deployed.cases.diagram(instance_id, "vanthu")
    with pytest.raises(NotFound):
        deployed.cases.diagram(instance_id + 1000, "chuyenvien")


def test_who_may_start_a_procedure(deployed: Services, tmp_path: Path) -> None:
    assert deployed.catalogue.startable_process("approve", "vanthu").process_id == "approve"  # no starter groups
    narrowed = tmp_path / "approve.bpmn"
    text = (FIXTURES / "approve.bpmn").read_text()
    starters = 'isExecutable="true" camunda:candidateStarterGroups="lanh_dao"'
    narrowed.write_text(text.replace('isExecutable="true"', starters, 1))
    deployed.deployment.deploy(collect_sources([narrowed]))
    assert deployed.catalogue.startable_process("approve", "chanhvp").version == 2
    with pytest.raises(NotAStarter) as refused:
        deployed.catalogue.startable_process("approve", "vanthu")
    assert refused.value.groups == ["lanh_dao"] and isinstance(refused.value, PermissionDenied)
    with pytest.raises(NotFound):
        deployed.catalogue.startable_process("no_such_process", "vanthu")

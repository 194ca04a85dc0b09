"""The BPMN 2.0 specification's constraints at deploy: each on a small model that breaks it and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.validation import SourceFile, validate_sources

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures"
SPEC_INVALID = FIXTURES / "spec_invalid"

# file, procflow's code, the constraint the message names, line, element
CASES = [
    ("start_incoming", "E070", "EXT.096", 4, "start"),
    ("end_outgoing", "E070", "EXT.104", 6, "end"),
    ("boundary_incoming", "E070", "EXT.112", 6, "late"),
    ("event_subprocess_with_flow", "E070", "EXT.057", 6, "on_signal"),
    ("flow_crosses_level", "E011", "EXT.028", 15, "cross"),
    ("top_level_error_start", "E071", "EXT.098", 4, "start"),
    ("subprocess_timer_start", "E071", "EXT.100", 6, "s_start"),
    ("cancel_boundary_on_task", "E071", "EXT.111", 6, "cancelled"),
    ("cancel_end_outside_transaction", "E071", "EXT.106", 6, "end"),
    ("timer_throw_event", "E071", "BPMN 10.5.4", 5, "wait"),
    ("gateway_pass_through", "E072", "EXT.135", 5, "gw"),
    ("event_gateway_to_task", "E072", "EXT.138", 7, "work"),
    ("default_flow_conditional", "E072", "EXT.026", 12, "f4"),
    ("message_flow_same_pool", "E073", "EXT.031", 5, "m1"),
    ("participant_names_a_message", "E074", "REF_TYPE", 5, "citizen"),
    ("subprocess_io_specification", "E075", "EXT.079", 6, "sub"),
    ("duplicate_id_in_extension", "E003", "EXT.002", 5, "start"),
]


def test_every_fixture_has_a_case() -> None:
    assert {p.stem for p in SPEC_INVALID.glob("*.bpmn")} == {case[0] for case in CASES}


@pytest.mark.parametrize(("name", "code", "constraint", "line", "element_id"), CASES, ids=[c[0] for c in CASES])
def test_each_constraint_is_refused_and_named_alone(name: str, code: str, constraint: str, line: int,
                                                    element_id: str) -> None:
    file = f"spec_invalid/{name}.bpmn"
    problems = validate_sources([SourceFile(file, (SPEC_INVALID / f"{name}.bpmn").read_bytes())])
    assert [(p.code, p.file, p.line, p.element_id, p.severity) for p in problems] == [
        (code, file, line, element_id, "error")], "\n".join(map(str, problems))
    assert problems[0].message.startswith(f"{constraint}: ")


def test_a_condition_after_a_parallel_gateway_is_only_a_warning() -> None:
    # The betsy suite's ParallelGateway_Conditions expects such conditions ignored, not refused.
    model = (FIXTURES / "spec_invalid" / "gateway_pass_through.bpmn").read_text()
    fork = model.replace('<bpmn:sequenceFlow id="f2" sourceRef="work"', '<bpmn:sequenceFlow id="f9" sourceRef="gw" '
                         'targetRef="end"><bpmn:conditionExpression>True</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
                         '    <bpmn:sequenceFlow id="f2" sourceRef="work"')
    problems = validate_sources([SourceFile("fork.bpmn", fork.encode())])
    assert [(p.code, p.severity, p.element_id) for p in problems] == [("W171", "warning", "f9")]


def test_descriptive_processes_are_checked_against_the_specification_not_for_execution_details() -> None:
    model = (SPEC_INVALID / "start_incoming.bpmn").read_text().replace('isExecutable="true"', 'isExecutable="false"')
    assert [p.code for p in validate_sources([SourceFile("d.bpmn", model.encode())])] == ["E070"]
    gateway = (FIXTURES / "deploy_inputs" / "descriptive.bpmn").read_bytes()
    assert validate_sources([SourceFile("d.bpmn", gateway)]) == []  # no conditions: E020 is for processes that run

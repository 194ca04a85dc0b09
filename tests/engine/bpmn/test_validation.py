"""Deploy-time model validation: each check on a small broken model, located by file, line and element."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.bpmn.validation import SourceFile, timer_problem, validate_sources
from engine.errors import ModelProblem

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures"
INVALID = FIXTURES / "invalid"
VALID = FIXTURES / "valid"


def source(path: Path, name: str | None = None) -> SourceFile:
    """A model file as deploy reads it, named as the user gave it."""
    return SourceFile(name or str(path.relative_to(FIXTURES)), path.read_bytes())


def only_problem(path: Path, **known: set[str]) -> ModelProblem:
    """Validate one file and return its single problem."""
    problems = validate_sources([source(path)], **known)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# file, code, line, element id: every check, on a model with exactly that one problem
CASES = [
    ("not_well_formed.bpmn", "E001", 7, None),
    ("schema_error.bpmn", "E002", 5, "work"),
    ("schema_error.dmn", "E002", 4, "dt_base"),
    ("duplicate_id.bpmn", "E003", 9, "work"),
    ("not_a_model.bpmn", "E004", 2, None),
    ("missing_flow_reference.bpmn", "E010", 8, "work"),
    ("flow_target_missing.bpmn", "E011", 8, "f2"),
    ("default_not_outgoing.bpmn", "E012", 5, "Gateway_1"),
    ("wrong_flow_reference.bpmn", "E013", 6, "work"),
    ("boundary_not_attached.bpmn", "E014", 6, "late"),
    ("unknown_message.bpmn", "E015", 7, "wait_reply"),
    ("gateway_without_condition.bpmn", "E020", 5, "Gateway_1"),
    ("bad_timer_literal.bpmn", "E030", 8, "Event_wait"),
    ("bad_condition.bpmn", "E031", 12, "f_yes"),
    ("bad_script.bpmn", "E031", 8, "compute"),
    ("bad_feel.dmn", "E032", 7, "r1i"),
    ("unknown_process.bpmn", "E040", 5, "call_review"),
    ("unknown_decision.bpmn", "E041", 7, "lookup"),
    ("spiff_refuses.bpmn", "E050", 5, "Activity_fork"),
]


@pytest.mark.parametrize(("name", "code", "line", "element_id"), CASES, ids=[c[0] for c in CASES])
def test_each_check_locates_its_problem(name: str, code: str, line: int, element_id: str | None) -> None:
    problem = only_problem(INVALID / name)
    assert (problem.code, problem.file, problem.line, problem.element_id, problem.severity) == (
        code, f"invalid/{name}", line, element_id, "error")


def test_message_names_file_line_element_and_reason() -> None:
    problem = only_problem(INVALID / "gateway_without_condition.bpmn")
    assert str(problem) == ("invalid/gateway_without_condition.bpmn:5: Gateway_1: outgoing flow Flow_3 "
                            "has no condition and is not the gateway's default")


def test_xml_syntax_error_says_what_the_parser_saw() -> None:
    problem = only_problem(INVALID / "not_well_formed.bpmn")
    assert "Opening and ending tag mismatch: task line 5 and process" in problem.message


def test_duplicate_id_is_reported_once_not_also_as_a_schema_error() -> None:
    problem = only_problem(INVALID / "duplicate_id.bpmn")
    assert problem.message == "EXT.002: id work is used twice: also by <task> on line 5"


def test_file_kind_must_match_its_name() -> None:
    problems = validate_sources([source(VALID / "camunda_leave.bpmn", "leave.dmn"),
                                 source(FIXTURES / "urgency.dmn", "urgency.bpmn")])
    assert [(p.code, p.file, p.line) for p in problems] == [
        ("E004", "leave.dmn", 2),
        ("E004", "urgency.bpmn", 2),
    ]


def test_process_defined_in_two_files() -> None:
    problems = validate_sources([source(VALID / "camunda_leave.bpmn", "a.bpmn"),
                                 source(VALID / "camunda_leave.bpmn", "b.bpmn")])
    errors = [p for p in problems if p.severity == "error"]  # W160: Camunda extensions procflow ignores
    assert [(p.code, p.file, p.line, p.element_id) for p in errors] == [
        ("E005", "b.bpmn", 3, "leave_request"),
    ]
    assert errors[0].message == "process leave_request is also defined in a.bpmn"


def test_iso_timers_as_bpmn_writes_them_and_files_with_several_decisions_are_valid() -> None:
    assert validate_sources([source(VALID / "unquoted_timer.bpmn"), source(VALID / "two_decisions.dmn")]) == []


def test_script_error_gives_the_line_inside_the_script() -> None:
    problem = only_problem(INVALID / "bad_script.bpmn")
    assert problem.message == "script is not valid Python: expected ':' on line 2 of the script"


def test_a_broken_juel_condition_says_where() -> None:
    problem = only_problem(INVALID / "bad_condition.bpmn")
    assert problem.message == ("condition '${amount > 100 &&}' is not valid JUEL: expected a value, found the end "
                               "(at column 18)")


def test_juel_in_a_file_that_declares_python_is_explained() -> None:
    text = (INVALID / "bad_condition.bpmn").read_text().replace(
        "<bpmn:definitions ", '<bpmn:definitions xmlns:procflow="https://procflow.dev/bpmn" '
                              'procflow:expressionLanguage="python" ')
    problems = validate_sources([SourceFile("python.bpmn", text.encode())])
    assert [p.code for p in problems] == ["E031"]
    assert "this looks like JUEL, but the file declares Python" in problems[0].message


def test_a_broken_feel_condition_says_where() -> None:
    text = (INVALID / "bad_condition.bpmn").read_text().replace("${amount &gt; 100 &amp;&amp;}", "=amount &gt;")
    problems = validate_sources([SourceFile("feel.bpmn", text.encode())])
    assert [(p.code, p.line, p.element_id) for p in problems] == [("E031", 12, "f_yes")]
    assert problems[0].message == ("condition '=amount >' is not valid FEEL: expected a value, found the end "
                                   "(at column 10)")


def test_a_dmn_problem_names_the_entry() -> None:
    problem = only_problem(INVALID / "bad_feel.dmn")
    assert problem.message == "FEEL '[1..': expected a value, found the end (at column 5)"


@pytest.mark.parametrize(("kind", "text"), [
    ("timeDuration", "PT2S"),
    ("timeDuration", "working:P2D"),
    ("timeCycle", "R3/PT1H"),
    ("timeDate", "2026-05-01T09:00:00+07:00"),
    ("timeDuration", '=duration("PT1H")'),
    ("timeDuration", "${deadline}"),
    ("timeDuration", '"PT2S"'),
    ("timeDuration", "'P2D'"),
    ("timeDuration", '"working:P2D"'),
    ("timeDuration", '"working:PT4H"'),
    ("timeDuration", '"working:P1DT2H"'),
    ("timeDuration", "deadline"),  # computed at run time
    ("timeDate", '"2026-05-01T09:00:00+07:00"'),
    ("timeCycle", '"R3/PT1H"'),
    ("timeCycle", '"R/2026-01-05T08:00:00+07:00/P7D"'),
])
def test_timer_expressions_spiff_and_the_calendar_accept(kind: str, text: str) -> None:
    assert timer_problem(kind, text) is None


@pytest.mark.parametrize(("kind", "text", "reason"), [
    ("timeDuration", "P2X", "timeDuration P2X is not a valid ISO 8601 duration"),
    ("timeDate", "2026-13-01T09:00:00+07:00", "not a valid ISO 8601 date"),
    ("timeDuration", "=duration(", "is not a valid expression: expected a value"),
    ("timeDuration", '"P2X"', "not a valid ISO 8601 duration"),
    ("timeDuration", '"working:P1W"', "invalid working duration 'working:P1W': years, months and weeks"),
    ("timeDuration", '"working:PT30S"', "seconds are not allowed"),
    ("timeDate", '"P2D"', "not a valid ISO 8601 date"),
    ("timeCycle", '"PT1H"', "not a valid ISO 8601 repeating interval"),
    ("timeDuration", "5", "must give a string, not int"),
    ("timeDuration", "  ", "is empty"),
    ("timeDuration", "f(x", "not a Python expression"),
    ("timeDuration", '\n  "PT1H"\n', "start it on the line of the opening tag"),
])
def test_timer_expressions_refused(kind: str, text: str, reason: str) -> None:
    assert reason in (timer_problem(kind, text) or "")


def test_calls_may_name_deployed_processes_and_decisions() -> None:
    assert validate_sources([source(INVALID / "unknown_process.bpmn")], known_processes={"review_v2"}) == []
    assert validate_sources([source(INVALID / "unknown_decision.bpmn")], known_decisions={"fee_table"}) == []


def test_calls_may_name_processes_and_decisions_in_the_same_batch() -> None:
    files = [source(FIXTURES / name) for name in ("decide.bpmn", "approve.bpmn", "urgency.dmn")]
    assert validate_sources(files) == []


def test_camunda_decision_reference_is_checked() -> None:
    text = (VALID / "camunda_leave.bpmn").read_text().replace(
        '<bpmn:manualTask id="Activity_remind" name="Remind head of unit">',
        '<bpmn:businessRuleTask id="Activity_remind" camunda:decisionRef="reminder_rules">').replace(
        "</bpmn:manualTask>", "</bpmn:businessRuleTask>")
    problems = validate_sources([SourceFile("leave.bpmn", text.encode())])
    assert [(p.code, p.line, p.element_id) for p in problems if p.severity == "error"] == [
        ("E041", 23, "Activity_remind")]


@pytest.mark.parametrize("name", ["camunda_leave.bpmn", "bpmnio_admission.bpmn"])
def test_models_saved_by_the_modelers_are_valid(name: str) -> None:
    # Camunda Modeler's historyTimeToLive and listeners are read past, which lint says (W160).
    assert {p.code for p in validate_sources([source(VALID / name)])} <= {"W160"}


def test_every_problem_in_a_file_is_reported_in_line_order() -> None:
    text = (VALID / "camunda_leave.bpmn").read_text()
    text = text.replace(' default="Flow_rejected"', "")  # E020 on the gateway
    text = text.replace('"working:P2D"', "P2X")  # E030 on the boundary timer
    text = text.replace(">Flow_0y5z6a7</bpmn:outgoing>", ">Flow_gone</bpmn:outgoing>")  # E010 on the script
    problems = validate_sources([SourceFile("leave.bpmn", text.encode())])
    assert [(p.code, p.line, p.element_id) for p in problems if p.severity == "error"] == [
        ("E030", 20, "Event_reminder"),
        ("E020", 30, "Gateway_approved"),
        ("E010", 37, "Activity_count"),
    ]


def test_problems_of_all_files_are_reported_sorted_by_file() -> None:
    names = ["unknown_process.bpmn", "bad_script.bpmn", "missing_flow_reference.bpmn", "spiff_refuses.bpmn"]
    problems = validate_sources([source(INVALID / name) for name in names])
    # SpiffWorkflow's own parse runs only on otherwise clean files: spiff_refuses.bpmn is not reached
    assert [(p.file, p.code) for p in problems] == [
        ("invalid/bad_script.bpmn", "E031"),
        ("invalid/missing_flow_reference.bpmn", "E010"),
        ("invalid/unknown_process.bpmn", "E040"),
    ]


def test_a_process_bpmn_io_marks_not_executable_is_still_deployable() -> None:
    # bpmn.io writes isExecutable="false" into every new diagram; procflow runs any process with a start event.
    assert validate_sources([source(VALID / "bpmnio_not_executable.bpmn")]) == []

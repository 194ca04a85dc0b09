"""``procflow lint``: each warning on a small model that breaks it, none on a clean model, and the command's output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from engine.bpmn.validation import SourceFile, validate_sources
from engine.designer.lint.runner import lint_sources
from engine.errors import ModelProblem
from engine.services import Services
from engine.settings import Settings

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures"
LINT = FIXTURES / "lint"
FORMS = LINT / "forms"
ORG = FIXTURES / "org.yaml"
GROUPS = frozenset({"lanh_dao", "Lãnh đạo", "van_thu", "Văn thư", "chuyen_vien", "Chuyên viên"})


def source(path: Path) -> SourceFile:
    """A model file named relative to the fixtures, as a user would give it."""
    return SourceFile(str(path.relative_to(FIXTURES)), path.read_bytes())


def lint(*paths: Path, **options: Any) -> list[ModelProblem]:
    """Lint fixture files with the test organisation's groups and forms unless told otherwise."""
    options.setdefault("groups", GROUPS)
    options.setdefault("forms_dir", FORMS)
    return lint_sources([source(path) for path in paths], **options)


def found(problems: list[ModelProblem], code: str) -> list[tuple[str | None, int | None]]:
    """Element and line of each problem with ``code``."""
    return [(p.element_id, p.line) for p in problems if p.code == code]


def messages(problems: list[ModelProblem], code: str) -> list[str]:
    return [p.message for p in problems if p.code == code]


# -- the rules ------------------------------------------------------------------------------------------


def test_a_clean_model_has_no_problem() -> None:
    assert lint(LINT / "clean.bpmn") == []


# file, code, (element, line) of every problem with that code: each rule on a model that breaks it
CASES = [
    ("no_form.bpmn", "W101", [("read_only", 5)]),
    ("nobody.bpmn", "W102", [("orphan_task", 5), ("unassigned_manual", 14)]),
    ("unknown_group.bpmn", "W103", [("lane_ghost", 9), ("approve", 31)]),
    ("missing_form.bpmn", "W104", [("start", 4), ("missing", 5), ("broken", 8)]),
    ("unreachable.bpmn", "W110", [("sub_orphan", 16), ("orphan", 35), ("orphan_sub", 36)]),
    ("dead_end.bpmn", "W111", [("stuck", 11), ("loop_a", 12)]),
    ("no_diagram.bpmn", "W120", [("Definitions_none", 2)]),
    ("partial_diagram.bpmn", "W120", [("lane_head", 10), ("review", 24), ("f3", 42)]),
    ("unread_field.bpmn", "W130", [("start", 4), ("start", 4)]),
    ("unprovided.bpmn", "W131", [("compute", 7), ("review", 11), ("pause", 21), ("f_yes", 39)]),
    ("bad_deadline.bpmn", "W140", [("t_unquoted", 5), ("t_camunda", 6), ("t_weeks", 7), ("t_bad_date", 8),
                                   ("t_number", 9), ("t_branch", 11), ("t_reminder", 13), ("t_property", 17)]),
    ("undelivered.bpmn", "W150", [("notify", 8), ("announce", 9)]),
]


@pytest.mark.parametrize(("name", "code", "expected"), CASES, ids=[f"{c[1]}-{c[0]}" for c in CASES])
def test_each_rule_finds_what_breaks_it_and_nothing_else(name: str, code: str,
                                                         expected: list[tuple[str, int]]) -> None:
    problems = lint(LINT / name)
    assert found(problems, code) == expected
    assert {p.severity for p in problems} == {"warning"}
    assert all(p.file == f"lint/{name}" and p.column for p in problems)


def test_missing_lanes_and_groups_are_not_reported_for_tasks_with_users_or_assignees() -> None:
    problems = lint(LINT / "nobody.bpmn")
    assert messages(problems, "W102")[0] == ("nobody is offered this task: it has no lane, candidate group, "
                                             "candidate user or assignee")
    assert not {"to_user", "to_assignee"} & {p.element_id for p in problems if p.code == "W102"}


def test_lanes_matter_only_where_they_assign_tasks_and_expressions_are_not_groups() -> None:
    assert messages(lint(LINT / "unknown_group.bpmn"), "W103") == [
        "lane 'Phòng Kế toán' names no group of the organisation (by code or name), so its tasks reach nobody",
        "candidate group 'Ban Giám đốc' is no group of the organisation (by code or name)",
    ]


def test_without_the_organisation_lanes_are_not_checked() -> None:
    assert found(lint(LINT / "unknown_group.bpmn", groups=None), "W103") == []


def test_forms_are_found_by_camunda_reference_and_by_id_and_a_broken_file_says_why() -> None:
    problems = lint(LINT / "missing_form.bpmn")
    assert messages(problems, "W104")[0] == (
        f"form camunda-forms:deployment:no_such_start.form has no file no_such_start.form below {FORMS} "
        "(nor a form with id no_such_start)")
    assert messages(problems, "W104")[2].startswith(f"form file {FORMS / 'broken.form'} is not JSON: ")
    assert found(lint(LINT / "missing_form.bpmn", forms_dir=None), "W104") == []


def test_boundary_events_event_subprocesses_links_and_subprocess_contents_are_reached() -> None:
    problems = lint(LINT / "unreachable.bpmn")
    assert messages(problems, "W110")[0] == ("manualTask cannot be reached: no path of sequence flows leads here "
                                             "from a start event")
    # the contents of an unreachable sub-process are not reported again
    assert "orphan_sub_start" not in {p.element_id for p in problems}


def test_dead_ends_report_where_the_path_stops_not_every_element_before() -> None:
    assert messages(lint(LINT / "dead_end.bpmn"), "W111") == [
        "dead end: manualTask has no outgoing sequence flow and is not an end event",
        "dead end: no end event can be reached from this manualTask: the flows after it loop without an exit",
    ]


def test_diagram_messages() -> None:
    assert messages(lint(LINT / "partial_diagram.bpmn"), "W120") == [
        "lane has no shape in the diagram", "userTask has no shape in the diagram",
        "sequenceFlow has no edge in the diagram"]


def test_a_field_counts_as_read_in_conditions_deadlines_other_forms_and_form_expressions() -> None:
    # amount: a condition and a template; reason: another form; deadline_days: the deadline; urgent: FEEL
    assert messages(lint(LINT / "unread_field.bpmn"), "W130") == [
        f"field {name} of form request ({FORMS / 'request.form'}) is never read: no condition, script, deadline, "
        "decision or other form uses it" for name in ("phone", "contact")]


def test_variables_come_from_forms_scripts_start_variables_and_messages() -> None:
    names = [re.match(r"reads variable (\w+),", m).group(1)  # type: ignore[union-attr]
             for m in messages(lint(LINT / "unprovided.bpmn"), "W131")]
    # summary is only shown (read-only) by the review form, never filled in
    assert names == ["fee", "handler", "wait_days", "summary"]


def test_variables_are_not_checked_while_a_form_is_unknown() -> None:
    assert found(lint(LINT / "unprovided.bpmn", forms_dir=None), "W131") == []


def test_called_processes_share_the_callers_data() -> None:
    assert messages(lint(LINT / "callee.bpmn"), "W131") == [
        "reads variable summary, which nothing provides: no form field, script, start variable "
        "(procflow:startVariables), message or decision sets it"]
    both = lint(LINT / "callee.bpmn", LINT / "caller.bpmn")
    assert found(both, "W131") == found(both, "W130") == []


def test_decisions_provide_their_outputs_and_unknown_decisions_stop_the_variable_check() -> None:
    assert found(lint(LINT / "decision.bpmn", FIXTURES / "urgency.dmn"), "W131") == []
    alone = lint(LINT / "decision.bpmn")
    assert [p.code for p in alone if p.severity == "error"] == ["E041"]
    assert found(alone, "W131") == []


def test_a_message_or_signal_counts_as_delivered_when_any_linted_file_catches_it() -> None:
    routing = FIXTURES / "routing"
    (alone,) = [p for p in lint(routing / "request.bpmn") if p.code == "W150"]
    assert (alone.element_id, alone.line) == ("send_request", 7)
    assert alone.message == ("the message 'yeu_cau_bao_cao' is thrown here but no process among these files waits "
                             "for it: unless a deployed process catches it, it will be recorded as undelivered")
    # the report procedure catches the request and throws the reply, which the request waits for
    assert not found(lint(routing / "request.bpmn", routing / "report.bpmn"), "W150")
    assert not found(lint(routing / "signal.bpmn"), "W150")  # thrown and caught in the same file


def test_deadline_messages_name_the_attribute_and_point_at_it() -> None:
    problems = [p for p in lint(LINT / "bad_deadline.bpmn") if p.code == "W140"]
    by_task = {p.element_id: p for p in problems}
    assert by_task["t_unquoted"].message == ('procflow:due P2D is not quoted; deadlines are Python expressions, '
                                             'so write "P2D"')
    assert by_task["t_camunda"].message == ("camunda:dueDate is not a Python expression: invalid syntax "
                                            "(a Camunda expression; procflow expects Python)")
    assert "years, months and weeks have no fixed length" in by_task["t_weeks"].message
    assert by_task["t_branch"].message.startswith("procflow:due 'P2X' is neither an ISO 8601 duration or date")
    assert by_task["t_reminder"].message.startswith("procflow:reminder '2 days' is neither")
    assert by_task["t_property"].message.startswith("property reassignAfter 'soon' is neither")
    # the attribute on the second line of a start tag, and the property element holding the value
    assert (by_task["t_branch"].line, by_task["t_branch"].column) == (11, 9)
    assert (by_task["t_property"].line, by_task["t_property"].column) == (17, 56)
    assert "t_ok" not in by_task


def test_an_element_is_located_at_its_start_tag_even_over_several_lines() -> None:
    review = next(p for p in lint(LINT / "unprovided.bpmn") if p.element_id == "review")
    assert (review.line, review.column) == (11, 5)


def test_lint_reports_every_error_deploy_refuses() -> None:
    invalid = sorted((FIXTURES / "invalid").iterdir())
    deploy = validate_sources([source(path) for path in invalid])
    errors = [p for p in lint(*invalid) if p.severity == "error"]
    assert sorted((p.file, p.code, p.element_id) for p in errors) == sorted(
        (p.file, p.code, p.element_id) for p in deploy)
    assert all(p.line and p.column for p in errors)


# -- the command ----------------------------------------------------------------------------------------
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<code>[EW]\d{3}) ")


def run(home: Path, *args: str, **env: str | None) -> Result:
    """Run ``procflow lint`` with no database unless ``env`` names one."""
    environment = {"DATABASE_URL": None, "PROCFLOW_HOME": str(home), "PROCFLOW_FORMS": str(FORMS), **env}
    return CliRunner().invoke(main, ["lint", *args], env=environment)


def test_text_output_is_one_sorted_line_per_problem_and_a_summary(tmp_path: Path) -> None:
    result = run(tmp_path, str(LINT / "nobody.bpmn"), str(LINT / "no_form.bpmn"), "--org", str(ORG))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "Found 0 errors and 8 warnings in 2 files."
    assert f"{LINT / 'nobody.bpmn'}:5:5: W102 orphan_task: nobody is offered this task: it has no lane, " \
           "candidate group, candidate user or assignee" in lines
    keys = [(m["file"], int(m["line"]), int(m["column"]), m["code"]) for m in map(LINE.match, lines[:-1]) if m]
    assert len(keys) == len(lines) - 1 and keys == sorted(keys)
    assert result.stderr == ""


def test_errors_exit_1(tmp_path: Path) -> None:
    path = FIXTURES / "invalid" / "bad_condition.bpmn"
    result = run(tmp_path, str(path), "--org", str(ORG))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{path}:2:1: W120 Definitions_1: the file has no diagram")
    assert lines[1].startswith(f"{path}:12:7: E031 f_yes: condition '${{amount > 100 &&}}' is not valid JUEL: ")
    assert lines[-1] == "Found 1 error and 1 warning in 1 file."


def test_a_clean_model_passes(tmp_path: Path) -> None:
    result = run(tmp_path, str(LINT / "clean.bpmn"), "--org", str(ORG))
    assert (result.exit_code, result.stdout) == (0, "All checks passed (1 file).\n")


def test_json_output(tmp_path: Path) -> None:
    result = run(tmp_path, str(FIXTURES / "invalid" / "bad_condition.bpmn"), str(LINT / "no_form.bpmn"),
                 "--format", "json", "--org", str(ORG))
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert problems[1] == {"file": str(FIXTURES / "invalid" / "bad_condition.bpmn"), "line": 12, "column": 7,
                           "code": "E031", "severity": "error", "element_id": "f_yes",
                           "message": problems[1]["message"]}
    assert {p["code"] for p in problems if p["severity"] == "warning"} == {"W101", "W120", "W130"}
    warnings_only = run(tmp_path, str(LINT / "no_form.bpmn"), "--format", "json", "--org", str(ORG))
    assert warnings_only.exit_code == 0 and json.loads(warnings_only.stdout)


def test_defaults_come_from_the_settings_and_no_database_is_created(tmp_path: Path) -> None:
    processes = tmp_path / "processes"
    processes.mkdir()
    shutil.copy(LINT / "clean.bpmn", processes)
    result = run(tmp_path / "home", PROCFLOW_PROCESSES=str(processes))
    assert (result.exit_code, result.stdout) == (0, "All checks passed (1 file).\n")
    assert result.stderr == "note: W103 not checked: no --org file and no groups in the database\n"
    assert not (tmp_path / "home").exists()
    no_forms = run(tmp_path / "home", str(LINT / "missing_form.bpmn"), PROCFLOW_FORMS=str(tmp_path / "none"))
    assert "W104" not in no_forms.stdout


def test_user_mistakes_are_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for args, expected in [
        ((str(LINT / "clean.bpmn"), "--forms", str(tmp_path / "nope")), f"error: --forms {tmp_path / 'nope'}: "
                                                                           "no such folder"),
        ((str(tmp_path / "empty"),), "error: nothing to lint: give .bpmn or .dmn files or folders"),
        ((str(LINT / "clean.bpmn"), "--org", str(tmp_path / "org.yaml")), f"error: {tmp_path / 'org.yaml'}: "
                                                                            "no such file"),
    ]:
        result = run(tmp_path, *args)
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected + "\n")


def test_the_database_gives_the_groups_and_the_deployed_processes(services: Services, settings: Settings,
                                                                  tmp_path: Path) -> None:
    services.org.import_file(ORG)
    services.deployment.deploy([source(LINT / "callee.bpmn")])
    result = run(tmp_path, str(LINT / "unknown_group.bpmn"), str(LINT / "caller.bpmn"),
                 DATABASE_URL=settings.database_url)
    assert result.exit_code == 0, result.output  # caller calls the deployed callee: no E040
    assert [line.split(": ")[1] for line in result.stdout.splitlines() if " W103 " in line] == [
        "W103 lane_ghost", "W103 approve"]
    assert result.stderr == ""

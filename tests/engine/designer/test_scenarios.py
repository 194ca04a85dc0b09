"""Scenario files run by ``procflow test``: passing, each kind of difference, malformed files, coverage, the CLI."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from engine.designer.scenarios.coverage import ProcessModel, Visit, reached_and_taken
from engine.designer.scenarios.runner import RunReport, ScenarioResult, run_scenarios
from engine.errors import InvalidInput
from engine.settings import Settings
from tests.conftest import FIXTURES, ROOT

SCENARIOS = FIXTURES / "scenarios"
DOCUMENT = SCENARIOS / "document.bpmn"
# The runner makes its own embedded databases; of the settings it only reads the time zone.
SETTINGS = Settings(database_url="sqlite:///not-used.sqlite3")


def write(folder: Path, text: str, name: str = "case.scenarios.yaml") -> Path:
    """Write a scenario file whose models are the fixture processes."""
    path = folder / name
    path.write_text(textwrap.dedent(text).replace("DOCUMENT", str(DOCUMENT)), encoding="utf-8")
    return path


def by_name(report: RunReport) -> dict[str, ScenarioResult]:
    return {r.name: r for r in report.results}


@pytest.fixture(scope="module")
def fixture_report() -> RunReport:
    """The fixture scenarios, run once for the tests that only read the report."""
    return run_scenarios([SCENARIOS], settings=SETTINGS)


# -- passing scenarios and coverage ------------------------------------------------------------------------------


def test_the_fixture_scenarios_pass(fixture_report: RunReport) -> None:
    assert [(r.name, r.failure) for r in fixture_report.results if not r.passed] == []
    assert (fixture_report.passed, fixture_report.failed) == (5, 0)
    # Each run reports its time; speed itself is measured by the benchmarks, not asserted here (a busy machine).
    assert all(r.seconds >= 0 for r in fixture_report.results)


def test_the_trace_is_every_completed_element_in_order(fixture_report: RunReport) -> None:
    results = by_name(fixture_report)
    assert results["Handled in time and archived"].trace == ["start", "handle", "accepted", "archive", "end_archived"]
    # Two chained timers fired in one advance, then the message moved the instance on.
    assert results["Both timers fire in one advance, then the confirmation arrives"].trace == [
        "start", "wait_hour", "wait_more", "confirmed", "end"]
    # A called process's elements are part of the caller's trace.
    assert results["An urgent document is signed"].trace == [
        "issue_start", "lookup_hours", "sign_start", "sign", "sign_end", "call_sign", "issue_end"]


def test_coverage_names_the_branch_no_scenario_took(fixture_report: RunReport) -> None:
    coverage = {c.process_id: c for c in fixture_report.coverage}
    assert set(coverage) == {"handle_document", "wait_and_confirm", "issue_document", "sign_document"}
    document = coverage["handle_document"]
    assert (document.elements, document.flows) == (6, 5)
    assert document.unreached_elements == ["end_rejected"]
    assert document.untaken_flows == [("f_rejected", "accepted", "end_rejected")]
    assert all(coverage[p].complete for p in ("wait_and_confirm", "issue_document", "sign_document"))


def test_json_gives_the_same_as_data(fixture_report: RunReport) -> None:
    data = json.loads(json.dumps(fixture_report.as_dict()))
    assert (data["passed"], data["failed"]) == (5, 0)
    first = next(s for s in data["scenarios"] if s["name"] == "Handled in time and archived")
    assert first["passed"] is True and first["failure"] is None
    assert first["trace"] == ["start", "handle", "accepted", "archive", "end_archived"]
    document = next(c for c in data["coverage"] if c["process"] == "handle_document")
    assert document["file"] == "tests/fixtures/scenarios/document.bpmn"
    assert document["untaken_flows"] == [{"id": "f_rejected", "source": "accepted", "target": "end_rejected"}]


def test_an_uncovered_branch_is_covered_by_a_scenario_that_rejects(tmp_path: Path) -> None:
    path = write(tmp_path, """
        process: handle_document
        models: [DOCUMENT]
        org: ORG
        start_at: 2026-04-29T09:00:00+07:00
        scenarios:
          - name: Rejected
            steps:
              - complete: {task: handle, as: chuyenvien, data: {accepted: false}}
              - expect: {state: completed, path: [start, handle, accepted, end_rejected]}
        """.replace("ORG", str(FIXTURES / "org.yaml")))
    report = run_scenarios([path], settings=SETTINGS)
    assert report.failed == 0
    [document] = report.coverage
    assert document.unreached_elements == ["archive", "end_archived"]
    assert [f for f, _, _ in document.untaken_flows] == ["f_accepted", "f_archived"]


# -- failures and their differences --------------------------------------------------------------------------------

FAILING = """
    process: handle_document
    models: [DOCUMENT]
    org: ../org.yaml
    start_at: 2026-04-29T09:00:00+07:00
    scenarios:
      - name: tasks
        steps:
          - expect:
              tasks:
                - {task: handle, candidates: [van_thu], due: 2026-05-04T09:00:00+07:00}
                - {task: sign}
      - name: state and data
        steps:
          - complete: {task: handle, as: chuyenvien, data: {accepted: true}}
          - expect: {state: running, data: {result: stored, so_den: 1}}
      - name: notifications and history
        start: {user: vanthu}
        steps:
          - advance: {working_days: 2}
          - expect:
              notifications: [{to: truongphong, kind: escalation}, {to: bithu, kind: escalation}]
              history: [escalated, reminder_sent]
      - name: path
        steps:
          - complete: {task: handle, as: chuyenvien, data: {accepted: false}}
          - expect: {path: [start, handle, accepted, archive, end_archived]}
      - name: refused
        steps:
          - complete: {task: handle, as: vanthu}
      - name: accepted although a refusal was expected
        steps:
          - complete: {task: handle, as: chuyenvien}
            expect_error: not a member
      - name: refused for another reason
        steps:
          - complete: {task: handle, as: vanthu}
            expect_error: is assigned to
      - name: no such open task
        steps:
          - complete: {task: archive, as: chuyenvien}
      - name: backwards
        steps:
          - advance: {to: 2026-04-28T09:00:00+07:00}
    """

EXPECTED_DIFFERENCES = {
    "tasks": (1, "expect", [
        "open tasks differ:\n"
        "  task handle: candidates expected [van_thu], actual [chuyen_vien]\n"
        "  task handle: due expected 2026-05-04T09:00:00+07:00, actual 2026-05-05T09:00:00+07:00\n"
        "  missing:    {task: sign}"]),
    "state and data": (2, "expect", [
        "state: expected running, actual completed",
        "data.result: expected stored, actual archived",
        "data.so_den: expected 1, but the instance has no so_den"]),
    "notifications and history": (2, "expect", [
        "notifications differ:\n  missing:    {to: bithu, kind: escalation}\n"
        "  unexpected: {to: chuyenvien, kind: reminder}\n  unexpected: {to: truongphong, kind: reminder}",
        "history: no reminder_sent after escalated (item 2 of the expected kinds)\n"
        "  actual: [instance_started, element_completed, task_created, reminder_sent, escalated]"]),
    "path": (2, "expect", [
        "path differs at element 4: expected archive, actual end_rejected\n"
        "  expected: [start, handle, accepted, archive, end_archived]\n"
        "  actual:   [start, handle, accepted, end_rejected]"]),
    "refused": (1, "complete handle as vanthu", [
        "refused: task {id} is for chuyen_vien; vanthu is not a member"]),
    "accepted although a refusal was expected": (1, "complete handle as chuyenvien", [
        'expected a refusal containing "not a member", but the step was accepted']),
    "refused for another reason": (1, "complete handle as vanthu", [
        "refused with another error:\n  expected: is assigned to\n"
        "  actual:   task {id} is for chuyen_vien; vanthu is not a member"]),
    "no such open task": (1, "complete archive as chuyenvien", [
        "refused: no open task archive (open tasks: handle)"]),
    "backwards": (1, "advance to: 2026-04-28T09:00:00+07:00", [
        "refused: the clock does not run backwards: it is 2026-04-29T09:00:00+07:00 already"]),
}


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    folder = tmp_path_factory.mktemp("failing") / "cases"
    folder.mkdir()
    (folder.parent / "org.yaml").write_bytes((FIXTURES / "org.yaml").read_bytes())
    return run_scenarios([write(folder, FAILING)], settings=SETTINGS)


@pytest.mark.parametrize("name", list(EXPECTED_DIFFERENCES))
def test_each_kind_of_failure_says_what_differs(failing_report: RunReport, name: str) -> None:
    result = by_name(failing_report)[name]
    assert result.failure is not None
    step, action, expected = EXPECTED_DIFFERENCES[name]
    task_id = _first_task_id(result.failure.differences)
    assert (result.failure.step, result.failure.action) == (step, action)
    assert result.failure.differences == [text.replace("{id}", task_id) for text in expected]


def _first_task_id(differences: list[str]) -> str:
    words = " ".join(differences).split()
    return next((w for w, before in zip(words[1:], words, strict=False) if before == "task" and len(w) == 36), "")


def test_a_failed_scenario_still_reports_its_trace(failing_report: RunReport) -> None:
    assert by_name(failing_report)["path"].trace == ["start", "handle", "accepted", "end_rejected"]
    assert (failing_report.passed, failing_report.failed) == (0, len(EXPECTED_DIFFERENCES))


def test_a_model_that_does_not_deploy_fails_every_scenario_of_its_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.bpmn"
    broken.write_text(DOCUMENT.read_text(encoding="utf-8").replace('default="f_rejected"', ""), encoding="utf-8")
    path = write(tmp_path, """
        process: handle_document
        scenarios: [{name: one}, {name: two}]
        """, "broken.scenarios.yaml")
    report = run_scenarios([path], settings=SETTINGS)
    assert report.failed == 2
    failure = report.results[0].failure
    assert failure is not None and failure.action == "setup"
    assert failure.differences[0].startswith("refused: ") and "accepted" in failure.differences[0]


# -- malformed files ------------------------------------------------------------------------------------------------

MALFORMED = [
    ("scenarios: [{name: a}]", "process: Missing data for required field."),
    ("process: p\nscenarios: []", "scenarios: Shorter than minimum length 1."),
    ("process: p\nscenarios: [{name: a}, {name: a}]", "scenarios: scenario names must be unique in a file: a"),
    ("process: p\nstart_at: 2026-04-29T09:00:00\nscenarios: [{name: a}]", "start_at: has no UTC offset"),
    ("process: p\nscenarios:\n  - name: Nhận\n    steps:\n      - complete: {task: t}\n",
     "scenario 1 'Nhận', step 1, complete.as: Missing data for required field."),
    ("process: p\nscenarios:\n  - name: a\n    steps:\n      - {expect: {state: done}}\n"
     "      - {complete: {task: t, as: u, user: u}}\n",
     "scenario 1 'a', step 1, expect.state: Must be one of: running, suspended, error, completed, terminated.; "
     "scenario 1 'a', step 2, complete.user: Unknown field."),
    ("process: p\nscenarios:\n  - {name: a}\n  - name: b\n"
     "    steps: [{advance: {days: 1}, expect: {state: running}}]\n",
     "scenario 2 'b', step 1: give exactly one of complete, advance, deliver, expect"),
    ("process: p\nscenarios:\n  - name: a\n    steps: [{advance: {days: 1, working_days: 1}}]\n",
     "scenario 1 'a', step 1, advance: give working_days/working_hours, or days/hours/minutes, or to: <moment>"),
    ("process: p\nscenarios:\n  - name: a\n    steps: [{expect: {state: running}, expect_error: x}]\n",
     "scenario 1 'a', step 1, expect_error: only complete and deliver steps can expect an error"),
    ("process: p\nscenarios:\n  - name: a\n    steps: [{expect: {tasks: [{task: t, due: tomorrow}]}}]\n",
     "scenario 1 'a', step 1, expect.tasks[1].due: not an ISO 8601 moment such as 2026-04-29T09:00:00+07:00"),
    ("process: p\nscenarios:\n  - name: a\n    steps: [{expect: {}}]\n",
     "scenario 1 'a', step 1, expect: expect at least one of tasks, state, data, notifications, history, path"),
    ("process: p\nmodels: [missing.bpmn]\nscenarios: [{name: a}]", "models: no such file"),
    ("process: p\nscenarios:\n  - name: a\n   steps: []\n", "case.scenarios.yaml:4: not valid YAML"),
    ("- process: p", "expected a mapping with process and scenarios"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_a_malformed_file_is_an_error_naming_the_file_scenario_step_and_field(tmp_path: Path, text: str,
                                                                                message: str) -> None:
    (tmp_path / "case.bpmn").write_bytes(DOCUMENT.read_bytes())
    path = write(tmp_path, text)
    with pytest.raises(InvalidInput) as caught:
        run_scenarios([path], settings=SETTINGS)
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_a_path_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file or folder"):
        run_scenarios([tmp_path / "nowhere"], settings=SETTINGS)


# -- the coverage rule ---------------------------------------------------------------------------------------------


def _visits(*events: str) -> list[Visit]:
    return [Visit("reached" if e.startswith(">") else "completed", e.lstrip(">")) for e in events]


def test_a_join_takes_every_flow_whose_source_completed_since_its_last_visit() -> None:
    model = ProcessModel("p", Path("p.bpmn"), {"split": "parallelGateway", "a": "task", "b": "task",
                                               "join": "parallelGateway"},
                         {"fa": ("split", "a"), "fb": ("split", "b"), "fa2": ("a", "join"), "fb2": ("b", "join")})
    visits = _visits(">split", "split", ">a", "a", ">b", "b", ">join", "join")
    assert reached_and_taken(model, visits) == ({"split", "a", "b", "join"}, {"fa", "fb", "fa2", "fb2"})


def test_elsewhere_the_most_recently_completed_source_is_credited() -> None:
    model = ProcessModel("p", Path("p.bpmn"), {"g": "exclusiveGateway", "b": "task", "a": "task"},
                         {"g_a": ("g", "a"), "g_b": ("g", "b"), "b_a": ("b", "a")})
    assert reached_and_taken(model, _visits(">g", "g", ">b", "b", ">a", "a"))[1] == {"g_b", "b_a"}


def test_a_loop_credits_the_back_edge_on_the_second_visit() -> None:
    model = ProcessModel("p", Path("p.bpmn"), {"s": "startEvent", "m": "exclusiveGateway", "x": "task"},
                         {"s_m": ("s", "m"), "m_x": ("m", "x"), "x_m": ("x", "m")})
    visits = _visits(">s", "s", ">m", "m", ">x", "x", ">m", "m", ">x", "x")
    assert reached_and_taken(model, visits)[1] == {"s_m", "m_x", "x_m"}


# -- the command line ----------------------------------------------------------------------------------------------


def invoke(*args: str, settings: Settings = SETTINGS) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(main, ["test", *args], obj={"settings": settings})
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_the_command_prints_each_scenario_the_coverage_and_the_closing_line() -> None:
    code, lines, _ = invoke(str(SCENARIOS))
    assert code == 0
    assert "PASS tests/fixtures/scenarios/document.scenarios.yaml: Handled in time and archived" in lines
    assert "  handle_document (tests/fixtures/scenarios/document.bpmn): 5/6 elements, 4/5 sequence flows reached" \
        in lines
    assert "    sequence flows not taken: f_rejected (accepted -> end_rejected)" in lines
    assert lines[-1] == "5 passed, 0 failed"


def test_the_command_exits_1_when_a_scenario_fails(tmp_path: Path) -> None:
    (tmp_path / "org.yaml").write_bytes((FIXTURES / "org.yaml").read_bytes())
    folder = tmp_path / "cases"
    folder.mkdir()
    write(folder, FAILING)
    code, lines, _ = invoke(str(folder), "-k", "STATE")
    assert code == 1
    assert lines[:4] == [f"FAIL {folder / 'case.scenarios.yaml'}: state and data", "  step 2 (expect):",
                         "    state: expected running, actual completed",
                         "    data.result: expected stored, actual archived"]
    assert lines[-1] == "0 passed, 1 failed"


def test_the_command_runs_the_processes_folder_by_default_and_filters_with_k() -> None:
    settings = Settings(database_url="sqlite:///not-used.sqlite3", processes_dir=SCENARIOS)
    code, lines, _ = invoke("-k", "overdue", settings=settings)
    assert code == 0
    assert lines[0] == "PASS tests/fixtures/scenarios/document.scenarios.yaml: Overdue, reminded and escalated"
    assert lines[-1] == "1 passed, 0 failed"


def test_the_command_gives_json(tmp_path: Path) -> None:
    code, lines, _ = invoke(str(SCENARIOS / "waiting.bpmn"), "--format", "json")
    data = json.loads("\n".join(lines))
    assert code == 0
    assert [s["trace"] for s in data["scenarios"]] == [["start", "wait_hour", "wait_more", "confirmed", "end"]]
    assert [(c["process"], c["unreached_elements"], c["untaken_flows"]) for c in data["coverage"]] == [
        ("wait_and_confirm", [], [])]


def test_the_command_reports_a_malformed_file_as_one_error_line(tmp_path: Path) -> None:
    path = write(tmp_path, "process: p\nscenarios:\n  - name: a\n    steps: [{complete: {task: t}}]\n")
    code, lines, stderr = invoke(str(path))
    assert (code, lines) == (1, [])
    assert stderr == f"error: {path}: scenario 1 'a', step 1, complete.as: Missing data for required field.\n"


# -- the procedures shipped in processes/ --------------------------------------------------------------------------


def test_every_procedure_in_processes_ships_scenarios_that_take_all_its_sequence_flows() -> None:
    processes = ROOT / "processes"
    if not any(processes.glob("**/*.bpmn")):
        pytest.skip("no procedure in processes/ yet")
    report = run_scenarios([processes], settings=SETTINGS)
    assert [(r.name, r.failure) for r in report.results if not r.passed] == []
    assert [(c.process_id, c.untaken_flows) for c in report.coverage if c.untaken_flows] == []


def test_a_scenario_can_expect_the_start_to_be_refused(settings) -> None:
    from engine.designer.scenarios.runner import run_scenarios

    report = run_scenarios([FIXTURES / "scenario_refusals"], settings=settings)
    assert [(r.name, r.passed) for r in report.results] == [
        ("Văn bản mật bị từ chối", True), ("Văn bản thường được cấp số đến", True)]

"""``procflow lint`` W141: a ``procflow:escalateTo`` that is malformed or names a unit or group nobody knows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from cli.main import main
from engine.bpmn.validation import SourceFile
from engine.designer.lint.runner import lint_sources
from engine.errors import ModelProblem
from engine.services import Services
from engine.settings import Settings
from tests.conftest import FIXTURES

BAD = FIXTURES / "lint" / "bad_escalation.bpmn"
ORG = FIXTURES / "org.yaml"
GROUPS = frozenset({"lanh_dao", "Lãnh đạo", "van_thu", "Văn thư", "chuyen_vien", "Chuyên viên"})
UNITS = frozenset({"TU", "VP", "PTH"})
MALFORMED = [("e_role", 8), ("e_no_unit", 9), ("e_camunda", 11), ("e_property", 17)]
UNKNOWN = [("e_unknown_unit", 12), ("e_unknown_group", 13)]


def lint(path: Path, **options: Any) -> list[ModelProblem]:
    source = SourceFile(str(path.relative_to(FIXTURES)), path.read_bytes())
    return lint_sources([source], **{"groups": GROUPS, "units": UNITS, **options})


def w141(problems: list[ModelProblem]) -> dict[str, ModelProblem]:
    return {p.element_id or "": p for p in problems if p.code == "W141"}


def test_malformed_values_and_unknown_units_and_groups_are_warned_about_at_the_value() -> None:
    found = w141(lint(BAD))
    assert sorted((e, p.line) for e, p in found.items()) == sorted(MALFORMED + UNKNOWN)
    assert all(p.severity == "warning" and p.file == "lint/bad_escalation.bpmn" for p in found.values())
    assert found["e_role"].message == (
        "procflow:escalateTo 'role:chanh_van_phong' is not a username, ${variable}, head:<unit>, head:${variable}, "
        "group:<group> or group:${variable}")
    assert found["e_camunda"].message.endswith("(a Camunda expression; procflow reads ${name})")
    assert found["e_unknown_unit"].message == (
        "procflow:escalateTo 'head:BAN_TC' names no unit of the organisation: the escalation would go to the head "
        "of the assignee's unit instead")
    assert found["e_unknown_group"].message.startswith(
        "procflow:escalateTo 'group:ban_chi_dao' names no group (by code or name) of the organisation")
    assert found["e_property"].message.startswith("property escalateTo 'head:${}' is not a username")
    # the attribute on the second line of a start tag, and the property element holding the value
    assert (found["e_camunda"].line, found["e_camunda"].column) == (11, 9)
    assert (found["e_property"].line, found["e_property"].column) == (17, 53)


def test_without_the_organisation_only_malformed_values_are_reported() -> None:
    assert sorted((e, p.line) for e, p in w141(lint(BAD, groups=None, units=None)).items()) == sorted(MALFORMED)


def test_the_runtime_fixture_is_clean_and_its_variables_count_as_read() -> None:
    model = FIXTURES / "escalate_to.bpmn"
    assert w141(lint(model)) == {}
    assert [p for p in lint(model) if p.code == "W131"] == []


def test_a_variable_only_escalate_to_reads_must_be_provided() -> None:
    text = (FIXTURES / "escalate_to.bpmn").read_text(encoding="utf-8")
    stripped = text.replace(' procflow:startVariables="don_vi, nguoi_theo_doi"', "")
    problems = lint_sources([SourceFile("stripped.bpmn", stripped.encode())], groups=GROUPS)
    assert sorted(p.element_id or "" for p in problems if p.code == "W131") == ["to_person_in_data",
                                                                                   "to_unit_in_data"]


def run(home: Path, *args: str, **env: str | None) -> Result:
    environment = {"DATABASE_URL": None, "PROCFLOW_HOME": str(home), **env}
    return CliRunner().invoke(main, ["lint", *args], env=environment)


def test_the_command_prints_file_line_and_column_with_units_from_the_org_file(tmp_path: Path) -> None:
    result = run(tmp_path, str(BAD), "--org", str(ORG))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if " W141 " in line]
    assert [line.split(": ")[0] for line in lines] == [
        f"{BAD}:8:90", f"{BAD}:9:93", f"{BAD}:11:9", f"{BAD}:12:98", f"{BAD}:13:99", f"{BAD}:17:53"]
    assert lines[3].endswith("W141 e_unknown_unit: procflow:escalateTo 'head:BAN_TC' names no unit of the "
                             "organisation: the escalation would go to the head of the assignee's unit instead")


def test_the_command_takes_units_and_groups_from_the_database(services: Services, settings: Settings,
                                                              tmp_path: Path) -> None:
    services.org.import_file(ORG)
    result = run(tmp_path, str(BAD), DATABASE_URL=settings.database_url)
    assert result.exit_code == 0, result.output
    assert [line.split(": ")[1] for line in result.stdout.splitlines() if " W141 " in line] == [
        "W141 e_role", "W141 e_no_unit", "W141 e_camunda", "W141 e_unknown_unit", "W141 e_unknown_group",
        "W141 e_property"]
    without = run(tmp_path, str(BAD))
    assert [line.split(": ")[1] for line in without.stdout.splitlines() if " W141 " in line] == [
        "W141 e_role", "W141 e_no_unit", "W141 e_camunda", "W141 e_property"]

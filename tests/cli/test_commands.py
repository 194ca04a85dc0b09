"""The ``procflow`` command line end to end on the real database: every command, and user mistakes as one line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, inspect

from cli.main import main
from engine.persistence.models import Unit
from engine.services import Services
from engine.settings import Settings
from tests.conftest import FIXTURES

PROCFLOW = Path(sys.executable).parent / "procflow"


@dataclass
class Cli:
    """Runs ``procflow`` in-process with its own services, built from the environment like a shell would."""

    env: dict[str, str | None]
    runner: CliRunner = field(default_factory=CliRunner)

    def invoke(self, *args: str) -> Result:
        """Run one command and return click's result."""
        return self.runner.invoke(main, list(args), env=self.env)

    def ok(self, *args: str) -> str:
        """Run a command that must succeed; return what it printed on stdout."""
        result = self.invoke(*args)
        assert result.exit_code == 0, (result.output, result.exc_info)
        return result.stdout

    def error(self, *args: str) -> str:
        """Run a command that must fail as a user mistake; return its one ``error:`` line."""
        result = self.invoke(*args)
        # A crash would leave the original exception here instead of friendly_errors' sys.exit(1).
        assert isinstance(result.exception, SystemExit), (result.output, result.exc_info)
        assert result.exit_code == 1, result.output
        assert result.stdout == ""
        assert "Traceback" not in result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return lines[0]


@pytest.fixture
def cli(services: Services, settings: Settings, tmp_path: Path) -> Cli:
    """The CLI on the test database (``services`` empties the tables afterwards)."""
    return Cli({"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(tmp_path),
                "PROCFLOW_FORMS": str(settings.forms_dir), "PROCFLOW_LANG": None, "LANG": "C.UTF-8"})


@pytest.fixture
def org_cli(cli: Cli) -> Cli:
    """The CLI with the test organisation imported."""
    cli.ok("org", "import", str(FIXTURES / "org.yaml"))
    return cli


@pytest.fixture
def approve_cli(org_cli: Cli) -> Cli:
    """The CLI with the organisation and the approval process deployed."""
    org_cli.ok("deploy", str(FIXTURES / "approve.bpmn"))
    return org_cli


def start(cli: Cli, process_id: str = "approve", *args: str) -> int:
    return int(cli.ok("start", process_id, *args).strip())


def open_task_id(cli: Cli, instance_id: int) -> str:
    found = json.loads(cli.ok("tasks", "--instance", str(instance_id), "--format", "json"))
    assert len(found) == 1, found
    return found[0]["id"]


def renamed_copy(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    changed = folder / "approve.bpmn"
    changed.write_text((FIXTURES / "approve.bpmn").read_text().replace('name="Lãnh đạo duyệt"', f'name="{name}"'))
    return changed


# -- db -----------------------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_of_a_new_database(tmp_path: Path) -> None:
    fresh = Cli({"DATABASE_URL": None, "PROCFLOW_HOME": str(tmp_path)})
    database = tmp_path / "procflow.sqlite3"
    assert fresh.ok("db", "upgrade") == f"database at head: sqlite:///{database}\n"
    engine = create_engine(f"sqlite:///{database}")
    try:
        assert {"alembic_version", "instances", "inbox_tasks", "users"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert fresh.ok("db", "upgrade") == f"database at head: sqlite:///{database}\n"


def test_db_upgrade_of_the_current_database_is_a_no_op(cli: Cli) -> None:
    assert cli.ok("db", "upgrade").startswith("database at head: ")
    assert cli.ok("instances") == "no instances\n"


def test_db_upgrade_to_an_unknown_revision_is_one_error_line(cli: Cli) -> None:
    assert cli.error("db", "upgrade", "nope") == (
        "error: cannot upgrade to nope: Can't locate revision identified by 'nope'")


def test_commands_before_db_upgrade_say_to_run_it(tmp_path: Path, settings: Settings, is_postgres: bool) -> None:
    expected = "error: the database has no procflow tables yet; run `procflow db upgrade` first"
    assert Cli({"DATABASE_URL": None, "PROCFLOW_HOME": str(tmp_path)}).error("tasks") == expected
    if is_postgres:  # a search path without procflow's tables
        elsewhere = re.sub(r"search_path%3D\w+", "search_path%3Dprocflow_no_such_schema", settings.database_url)
        assert Cli({"DATABASE_URL": elsewhere, "PROCFLOW_HOME": str(tmp_path)}).error("show", "1") == expected


# -- org ----------------------------------------------------------------------------------------


def test_org_import_of_the_yaml_file_creates_units_groups_and_users(cli: Cli, services: Services) -> None:
    assert cli.ok("org", "import", str(FIXTURES / "org.yaml")) == "imported 3 units, 3 groups, 5 users\n"
    with services.db.read() as session:
        assert services.org.groups_of(session, "chanhvp") == {"lanh_dao"}
        assert services.org.head_of_unit_of(session, "chuyenvien") == "truongphong"
    # Importing again updates in place.
    assert cli.ok("org", "import", str(FIXTURES / "org.yaml")) == "imported 3 units, 3 groups, 5 users\n"


def test_org_import_of_a_csv_file_with_one_user_per_row(cli: Cli, services: Services, tmp_path: Path) -> None:
    org_csv = tmp_path / "org.csv"
    org_csv.write_text(
        "username,full_name,email,unit,unit_name,parent_unit,title,groups,head\n"
        "chuyenvien,Hoàng Văn Viên,vien@example.org,PTH,Phòng Tổng hợp,VP,Chuyên viên,chuyen_vien,\n"
        "truongphong,Lê Văn Trưởng,,PTH,Phòng Tổng hợp,VP,Trưởng phòng,chuyen_vien;lanh_dao,yes\n"
        "chanhvp,Trần Thị Chánh,,VP,Văn phòng Tỉnh ủy,,Chánh Văn phòng,lanh_dao,có\n",
        encoding="utf-8")
    assert cli.ok("org", "import", str(org_csv)) == "imported 2 units, 2 groups, 3 users\n"
    with services.db.read() as session:
        pth = session.get_one(Unit, "PTH")
        assert (pth.name, pth.parent_code, pth.head_username) == ("Phòng Tổng hợp", "VP", "truongphong")
        assert session.get_one(Unit, "VP").head_username == "chanhvp"
        assert services.org.groups_of(session, "truongphong") == {"chuyen_vien", "lanh_dao"}
        assert services.org.head_of_unit_of(session, "truongphong") == "chanhvp"
        assert services.org.require_user(session, "chuyenvien").email == "vien@example.org"


def test_org_import_of_a_missing_file_is_one_error_line(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    assert cli.error("org", "import", str(missing)) == f"error: {missing}: no such file"


def test_org_import_names_the_field_of_an_unknown_unit_and_imports_nothing(cli: Cli, services: Services,
                                                                          tmp_path: Path) -> None:
    bad = tmp_path / "org.yaml"
    bad.write_text("units:\n  - {code: VP, name: Văn phòng}\n"
                   "users:\n  - {username: an, full_name: Nguyễn An, unit: PXX}\n", encoding="utf-8")
    assert cli.error("org", "import", str(bad)) == (
        f"error: {bad}: invalid organisation file (users.0.unit: unknown unit 'PXX')")
    with services.db.read() as session:
        assert session.get(Unit, "VP") is None


# -- deploy -------------------------------------------------------------------------------------


def test_deploy_makes_a_version_then_is_unchanged_then_makes_a_new_version(org_cli: Cli, tmp_path: Path) -> None:
    assert org_cli.ok("deploy", str(FIXTURES / "approve.bpmn")) == "approve v1 (new version) Phê duyệt\n"
    assert org_cli.ok("deploy", str(FIXTURES / "approve.bpmn")) == "approve v1 (unchanged) Phê duyệt\n"
    changed = renamed_copy(tmp_path / "changed", "Duyệt lại")
    assert org_cli.ok("deploy", "--user", "bithu", str(changed)) == "approve v2 (new version) Phê duyệt\n"


def test_deploy_without_a_path_takes_the_processes_folder(org_cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "processes"
    renamed_copy(folder, "Lãnh đạo duyệt")
    (folder / "failing_script.bpmn").write_bytes((FIXTURES / "failing_script.bpmn").read_bytes())
    org_cli.env["PROCFLOW_PROCESSES"] = str(folder)
    assert org_cli.ok("deploy").splitlines() == [
        "approve v1 (new version) Phê duyệt", "failing v1 (new version) Failing script"]
    assert org_cli.ok("deploy", str(folder)).splitlines() == [
        "approve v1 (unchanged) Phê duyệt", "failing v1 (unchanged) Failing script"]


def test_deploying_a_missing_path_is_one_error_line(org_cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.bpmn"
    assert org_cli.error("deploy", str(missing)) == f"error: {missing}: no such file or folder"


# -- start, tasks, complete, show ---------------------------------------------------------------


def test_start_prints_the_new_instance_id(approve_cli: Cli, services: Services) -> None:
    instance_id = start(approve_cli, "approve", "--data", '{"title": "Công văn 12"}', "--key", "CV-12",
                        "--user", "chuyenvien")
    view = services.queries.instance(instance_id)
    assert (view.process_id, view.status, view.business_key, view.started_by) == (
        "approve", "running", "CV-12", "chuyenvien")
    assert view.data["title"] == "Công văn 12"


def test_tasks_lists_open_tasks_for_a_user_an_instance_and_as_json(approve_cli: Cli) -> None:
    first = start(approve_cli)
    second = start(approve_cli)
    lines = approve_cli.ok("tasks").splitlines()
    assert [line.split()[1] for line in lines] == [f"#{first}", f"#{second}"]
    assert re.fullmatch(rf"[0-9a-f-]{{36}}  #{first}  approve  Lãnh đạo duyệt  \[lanh_dao\]  due \d{{4}}-.+", lines[0])
    assert len(approve_cli.ok("tasks", "--user", "bithu").splitlines()) == 2
    assert approve_cli.ok("tasks", "--user", "vanthu") == "no open tasks\n"
    found = json.loads(approve_cli.ok("tasks", "--instance", str(second), "--format", "json"))
    assert [(t["instance_id"], t["element_id"], t["candidate_groups"], t["form_key"]) for t in found] == [
        (second, "review", ["lanh_dao"], "approve")]
    assert lines[1].startswith(found[0]["id"])


def test_complete_moves_the_instance_to_the_end(approve_cli: Cli, services: Services) -> None:
    instance_id = start(approve_cli)
    task_id = open_task_id(approve_cli, instance_id)
    assert approve_cli.ok("complete", task_id, "--user", "chanhvp", "--data", '{"approved": true}') == (
        f"completed; instance {instance_id} is completed\n")
    view = services.queries.instance(instance_id)
    assert (view.status, view.data["result"]) == ("completed", "approved")
    completed = next(h for h in view.history if h.kind == "task_completed")
    assert (completed.actor, completed.data["data"]) == ("chanhvp", {"approved": True, "comment": ""})
    assert approve_cli.ok("tasks", "--instance", str(instance_id)) == "no open tasks\n"


def test_show_prints_status_open_tasks_data_and_history(approve_cli: Cli) -> None:
    instance_id = start(approve_cli, "approve", "--data", '{"title": "Tờ trình"}', "--key", "TT-1",
                        "--user", "chuyenvien")
    task_id = open_task_id(approve_cli, instance_id)
    text = approve_cli.ok("show", str(instance_id)).splitlines()
    assert text[0] == f"instance {instance_id}: approve v1  running"
    assert text[1] == "business key: TT-1"
    assert text[2].startswith("started ") and text[2].endswith(" by chuyenvien")
    assert text[3] == f"open task {task_id}  Lãnh đạo duyệt  [lanh_dao]"
    assert text[4] == 'data: {"title": "Tờ trình", "initiator": "chuyenvien"}'
    assert "instance_started" in text[5]
    view = json.loads(approve_cli.ok("show", str(instance_id), "--format", "json"))
    assert (view["id"], view["status"], view["business_key"]) == (instance_id, "running", "TT-1")
    assert [t["id"] for t in view["open_tasks"]] == [task_id]
    assert view["data"] == {"title": "Tờ trình", "initiator": "chuyenvien"}
    assert view["history"][0]["kind"] == "instance_started"


def test_instances_lists_newest_first_and_filters_by_status(approve_cli: Cli) -> None:
    done = start(approve_cli, "approve", "--key", "CV-1")
    approve_cli.ok("complete", open_task_id(approve_cli, done), "--user", "bithu", "--data", '{"approved": false}')
    running = start(approve_cli, "approve", "--key", "CV-2")
    lines = approve_cli.ok("instances").splitlines()
    assert [line.split() for line in lines] == [
        [f"#{running}", "approve", "v1", "running", "CV-2"], [f"#{done}", "approve", "v1", "completed", "CV-1"]]
    assert approve_cli.ok("instances", "--status", "completed").split()[0] == f"#{done}"
    found = json.loads(approve_cli.ok("instances", "--status", "running", "--format", "json"))
    assert [(i["id"], i["status"], i["business_key"]) for i in found] == [(running, "running", "CV-2")]
    assert approve_cli.ok("instances", "--status", "suspended") == "no instances\n"


def test_instances_refuses_an_unknown_status_as_a_usage_error(cli: Cli) -> None:
    result = cli.invoke("instances", "--status", "bogus")
    assert (result.exit_code, type(result.exception)) == (2, SystemExit)
    assert "Invalid value for '--status': 'bogus' is not one of" in result.stderr
    assert "Traceback" not in result.output


# -- lifecycle ----------------------------------------------------------------------------------


def test_suspend_resume_and_terminate(approve_cli: Cli, services: Services) -> None:
    instance_id = start(approve_cli)
    task_id = open_task_id(approve_cli, instance_id)
    assert approve_cli.ok("suspend", str(instance_id), "--user", "bithu") == f"instance {instance_id}: suspend done\n"
    assert services.queries.instance(instance_id).status == "suspended"
    assert approve_cli.error("complete", task_id, "--user", "chanhvp", "--data", '{"approved": true}') == (
        f"error: instance {instance_id} is suspended")
    assert approve_cli.ok("resume", str(instance_id)) == f"instance {instance_id}: resume done\n"
    assert approve_cli.error("resume", str(instance_id)) == (
        f"error: instance {instance_id} is running, not suspended")
    assert approve_cli.ok("terminate", str(instance_id)) == f"instance {instance_id}: terminate done\n"
    view = services.queries.instance(instance_id)
    assert (view.status, view.open_tasks) == ("terminated", [])
    assert [(h.kind, h.actor) for h in view.history if h.kind in ("suspended", "resumed", "terminated")] == [
        ("suspended", "bithu"), ("resumed", None), ("terminated", None)]
    assert approve_cli.error("terminate", str(instance_id)) == (
        f"error: instance {instance_id} has already ended (terminated)")


def test_retry_with_corrected_data_continues_a_failed_instance(org_cli: Cli, services: Services) -> None:
    org_cli.ok("deploy", str(FIXTURES / "failing_script.bpmn"))
    instance_id = start(org_cli, "failing")
    result = org_cli.invoke("complete", open_task_id(org_cli, instance_id), "--user", "chuyenvien",
                            "--data", '{"divisor": 0}')
    # The task was completed (exit 0); the step after it failed, which is said on stderr.
    assert result.exit_code == 0, result.output
    assert result.stdout == f"completed; instance {instance_id} is error\n"
    assert result.stderr.startswith("error at divide: ") and "ZeroDivisionError" in result.stderr
    assert org_cli.ok("instances", "--status", "error").split()[0] == f"#{instance_id}"
    assert org_cli.ok("retry", str(instance_id), "--user", "chanhvp", "--data", '{"divisor": 5}') == (
        f"instance {instance_id} is running\n")
    view = services.queries.instance(instance_id)
    assert (view.status, view.data["quotient"], [t.element_id for t in view.open_tasks]) == ("running", 2, ["check"])
    assert org_cli.error("retry", str(instance_id)) == (
        f"error: instance {instance_id} is running; only failed ones are retried")


# -- user mistakes ------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "message"), [
    ("{nope", "error: --data is not valid JSON: Expecting property name enclosed in double quotes at column 2"),
    ("[1, 2]", """error: --data must be a JSON object like '{"key": "value"}'"""),
    ('"text"', """error: --data must be a JSON object like '{"key": "value"}'"""),
])
def test_data_that_is_not_a_json_object_is_one_error_line(approve_cli: Cli, services: Services, data: str,
                                                          message: str) -> None:
    assert approve_cli.error("start", "approve", "--data", data) == message
    instance_id = start(approve_cli)
    task_id = open_task_id(approve_cli, instance_id)
    assert approve_cli.error("complete", task_id, "--user", "chanhvp", "--data", data) == message
    assert approve_cli.error("retry", str(instance_id), "--data", data) == message
    assert [i.id for i in services.queries.instances()] == [instance_id]


def test_starting_an_unknown_process_is_one_error_line(org_cli: Cli) -> None:
    assert org_cli.error("start", "nope") == "error: no deployed process 'nope' (deploy it with `procflow deploy`)"


def test_completing_an_unknown_task_is_one_error_line(approve_cli: Cli) -> None:
    unknown = str(uuid.uuid4())
    assert approve_cli.error("complete", unknown, "--user", "chanhvp") == f"error: no open task {unknown}"
    assert approve_cli.error("complete", "not-a-task", "--user", "chanhvp") == "error: task_id: Not a valid UUID."


def test_completing_a_task_twice_names_who_completed_it(approve_cli: Cli) -> None:
    task_id = open_task_id(approve_cli, start(approve_cli))
    approve_cli.ok("complete", task_id, "--user", "chanhvp", "--data", '{"approved": true}')
    line = approve_cli.error("complete", task_id, "--user", "bithu", "--data", '{"approved": false}')
    assert line.startswith(f"error: task {task_id} was already completed by chanhvp at ")


def test_the_command_line_speaks_vietnamese_when_asked_and_keeps_its_hints(approve_cli: Cli) -> None:
    task_id = open_task_id(approve_cli, start(approve_cli))
    approve_cli.env["LANG"] = "vi_VN.UTF-8"
    assert approve_cli.error("complete", task_id, "--user", "vanthu") == (
        f"error: Việc {task_id} dành cho lanh_dao; vanthu không phải thành viên")
    approve_cli.env.update({"LANG": "C.UTF-8", "PROCFLOW_LANG": "vi"})
    assert approve_cli.error("complete", task_id, "--user", "ghost") == (
        "error: Không có người dùng “ghost” (import the organisation with `procflow org import`)")
    approve_cli.env["PROCFLOW_LANG"] = "en"
    assert approve_cli.error("start", "nope") == "error: no deployed process 'nope' (deploy it with `procflow deploy`)"


def test_a_user_without_permission_may_not_complete(approve_cli: Cli) -> None:
    instance_id = start(approve_cli)
    task_id = open_task_id(approve_cli, instance_id)
    assert approve_cli.error("complete", task_id, "--user", "vanthu") == (
        f"error: task {task_id} is for lanh_dao; vanthu is not a member")
    assert approve_cli.error("complete", task_id, "--user", "ghost") == (
        "error: no user 'ghost' (import the organisation with `procflow org import`)")
    assert open_task_id(approve_cli, instance_id) == task_id


@pytest.mark.parametrize("command", [("show",), ("show", "--format", "json"), ("suspend",), ("resume",),
                                     ("terminate",), ("retry",)])
def test_an_unknown_instance_is_one_error_line(cli: Cli, command: tuple[str, ...]) -> None:
    assert cli.error(command[0], "424242", *command[1:]) == "error: no instance 424242"


def test_the_installed_console_script_reports_a_mistake_in_one_line(services: Services, settings: Settings,
                                                                     tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(tmp_path)}
    done = subprocess.run([str(PROCFLOW), "show", "424242"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr == "error: no instance 424242\n"
    assert "Traceback" not in done.stderr


def test_a_bad_setting_is_one_error_line_naming_the_variable(cli: Cli) -> None:
    cli.env["SMTP_PORT"] = "abc"
    for command in (("tasks",), ("worker", "--burst"), ("db", "upgrade")):
        assert cli.error(*command) == "error: SMTP_PORT must be a whole number between 1 and 65535, got 'abc'"

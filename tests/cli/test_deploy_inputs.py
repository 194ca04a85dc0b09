"""``procflow deploy`` and ``procflow lint`` on inputs that used to be skipped in silence or crash deploy."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from engine.services import Services
from engine.settings import Settings
from tests.conftest import FIXTURES

INPUTS = FIXTURES / "deploy_inputs"


@pytest.fixture
def run(services: Services, settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run ``procflow`` on the test database; return (exit code, stdout, stderr)."""
    env = {"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(tmp_path),
           "PROCFLOW_FORMS": str(settings.forms_dir), "PROCFLOW_LANG": None, "LANG": "C.UTF-8"}

    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
        return result.exit_code, result.stdout, result.stderr

    return invoke


@pytest.mark.parametrize(("name", "process_id", "title"), [
    ("latin1.bpmn", "latin1", "Café à la carte"),
    ("windows1258.bpmn", "windows1258", "Văn bản đến"),
    ("adhoc_data.bpmn", "adhoc_data", "adhoc_data"),
])
def test_files_in_other_encodings_and_data_objects_in_ad_hoc_sub_processes_deploy(run, name: str, process_id: str,  # type: ignore[no-untyped-def]
                                                                                  title: str) -> None:
    assert run("deploy", str(INPUTS / name)) == (0, f"{process_id} v1 (new version) {title}\n", "")


@pytest.mark.parametrize(("name", "line", "code", "words"), [
    ("collaboration_only.bpmn", 2, "E007", "nothing to deploy: the file has only a collaboration of black-box pools"),
    ("no_start.bpmn", 3, "E008", "the process has no start event"),
    ("data_store.bpmn", 9, "E009", "procflow has no data stores"),
])
def test_a_file_that_gives_nothing_to_run_is_refused_with_a_located_message(run, name: str, line: int,  # type: ignore[no-untyped-def]
                                                                             code: str, words: str) -> None:
    code_, out, err = run("deploy", str(INPUTS / name))
    assert (code_, out) == (1, "")
    assert f"{INPUTS / name}:{line}:" in err and words in err
    code_, out, _ = run("lint", str(INPUTS / name))
    assert code_ == 1 and f"{code} " in out and words in out


def test_a_descriptive_process_is_stored_as_a_diagram_with_a_one_line_note(run) -> None:  # type: ignore[no-untyped-def]
    # Its gateway has no conditions: an execution detail a diagram need not give.
    assert run("deploy", str(INPUTS / "descriptive.bpmn")) == (
        0, f"note: {INPUTS / 'descriptive.bpmn'}: descriptive: not executable (isExecutable=\"false\"): stored as "
           f"a diagram, not run\n", "")
    code, out, _ = run("start", "descriptive")
    assert code == 1

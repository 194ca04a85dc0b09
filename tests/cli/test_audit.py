"""``procflow audit``: verify exits 0 with a summary on intact chains and 1 naming the tampered row; anchor now."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, update

from cli.main import main
from engine.persistence.models import HistoryEvent
from engine.services import Services
from tests.engine.audit.audit_support import busy_cases, forge_row, history_ids, rewrite_case, tamper


def run(services: Services, *args: str) -> Result:
    env = {"DATABASE_URL": services.settings.database_url, "PROCFLOW_HOME": str(services.settings.home),
           "REDIS_URL": ""}
    return CliRunner().invoke(main, ["audit", *args], env=env)


def test_anchor_then_verify_intact_then_tampered(services: Services) -> None:
    a, _ = busy_cases(services)
    anchored = run(services, "anchor")
    assert anchored.exit_code == 0 and anchored.stdout.startswith("anchor #1: 4 chain head(s)")
    assert run(services, "anchor").stdout == "nothing changed since the last anchor\n"
    intact = run(services, "verify", "--format", "json")
    assert intact.exit_code == 0
    summary = json.loads(intact.stdout)
    assert (summary["intact"], summary["cases"], summary["anchors"], summary["problems"]) == (True, 2, 1, [])
    edited = history_ids(services, a)[0]
    tamper(services, update(HistoryEvent).where(HistoryEvent.id == edited).values(kind="comment_added"))
    broken = run(services, "verify")
    assert broken.exit_code == 1
    assert broken.stderr.splitlines()[-1].startswith(
        f"TAMPERED: 1 problem(s), first: case {a}, history row {edited}: was edited")


@pytest.mark.parametrize("attack", ["edit", "delete", "insert", "rewrite"])
def test_verify_names_each_kind_of_tampering(services: Services, attack: str) -> None:
    a, b = busy_cases(services)
    assert run(services, "anchor").exit_code == 0
    ids = history_ids(services, a)
    if attack == "edit":
        tamper(services, update(HistoryEvent).where(HistoryEvent.id == ids[1]).values(actor="ke_gian"))
        named = f"case {a}, history row {ids[1]}: was edited"
    elif attack == "delete":
        tamper(services, delete(HistoryEvent).where(HistoryEvent.id == ids[1]))
        named = f"case {a}, history row {ids[2]}: the row(s) at position 2, before this one, were deleted"
    elif attack == "insert":
        forged = forge_row(services, a, seq=2, after_seq=1)
        named = f"case {a}, history row {forged}: was inserted"
    else:
        rewrite_case(services, a, actor="nguoi_khac")
        named = f"case {a}, history row {ids[-1]}: the chain up to this row (position {len(ids)}) does not match " \
                "anchor #1"
    result = run(services, "verify")
    assert result.exit_code == 1
    assert named in result.stderr.splitlines()[-1], result.stderr

"""``procflow search find`` and ``procflow search reindex`` on the real database."""

from __future__ import annotations

import json

from sqlalchemy import delete

from engine.persistence.case_models import CaseSearchRow
from engine.services import Services
from tests.cli.test_commands import Cli, start
from tests.cli.test_commands import approve_cli as approve_cli  # noqa: F401  (fixtures)
from tests.cli.test_commands import cli as cli  # noqa: F401
from tests.cli.test_commands import org_cli as org_cli  # noqa: F401


def test_find_as_a_user_and_reindex(approve_cli: Cli, services: Services) -> None:  # noqa: F811
    case = start(approve_cli, "approve", "--data", '{"title": "Kế hoạch Hội nghị tổng kết"}', "--user", "chuyenvien")
    out = approve_cli.ok("search", "find", "hoi", "nghi", "--user", "chuyenvien")
    assert f"#{case}" in out and "[Hội] [nghị]" in out and out.endswith("1 case(s) found\n")
    assert approve_cli.ok("search", "find", "hoi", "nghi", "--user", "vanthu") == "no case found\n"  # may not see it
    found = json.loads(approve_cli.ok("search", "find", "tong", "ket", "--user", "chanhvp", "--format", "json"))
    assert [h["id"] for h in found["hits"]] == [case]
    assert "started_to" in approve_cli.error("search", "find", "x", "--user", "chuyenvien", "--from", "2026-05-02",
                                             "--to", "2026-05-01")
    with services.db.transaction() as conn:
        conn.execute(delete(CaseSearchRow))
    assert approve_cli.ok("search", "find", "hoi", "nghi", "--user", "chuyenvien") == "no case found\n"
    assert approve_cli.ok("search", "reindex") == "1 case(s) indexed\n"
    assert f"#{case}" in approve_cli.ok("search", "find", "hoi", "nghi", "--user", "chuyenvien")

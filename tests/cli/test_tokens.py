"""``procflow tokens``: create prints the secret once, list never shows it, revoke stops it."""

from __future__ import annotations

from engine.services import Services
from tests.cli.test_commands import Cli, cli, org_cli  # noqa: F401 (fixtures)


def test_create_list_revoke(org_cli: Cli, services: Services) -> None:  # noqa: F811
    secret = org_cli.ok("tokens", "create", "tich_hop", "--scope", "cases,tasks", "--user", "chuyenvien").strip()
    assert secret.startswith("pf_")
    assert services.tokens.check(secret) is not None
    listed = org_cli.ok("tokens", "list")
    assert "tich_hop\tchuyenvien\tcases,tasks" in listed and secret not in listed and "active" in listed
    assert "revoked" in org_cli.ok("tokens", "revoke", "tich_hop")
    assert services.tokens.check(secret) is None
    assert "revoked" in org_cli.ok("tokens", "list")


def test_mistakes_are_one_line_errors(org_cli: Cli) -> None:  # noqa: F811
    assert "scope" in org_cli.error("tokens", "create", "x", "--scope", "everything", "--user", "chuyenvien")
    assert "nobody" in org_cli.error("tokens", "create", "x", "--scope", "all", "--user", "nobody")
    assert "missing" in org_cli.error("tokens", "revoke", "missing")

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


def test_an_exchange_token_is_bound_to_the_agencies_it_speaks_for(org_cli: Cli, services: Services) -> None:  # noqa: F811
    secret = org_cli.ok("tokens", "create", "lien_thong_vptu", "--scope", "exchange", "--user", "chuyenvien",
                        "--agency", "000.00.31.H37", "--agency", "000.00.33.H37").strip()
    bearer = services.tokens.check(secret)
    assert bearer is not None and bearer.agencies == {"000.00.31.H37", "000.00.33.H37"}
    assert "lien_thong_vptu\tchuyenvien\texchange\t000.00.31.H37,000.00.33.H37\t" in org_cli.ok("tokens", "list")
    # an adapter forwarding for many agencies says so explicitly
    org_cli.ok("tokens", "bind", "lien_thong_vptu", "--agency", "*")
    assert services.tokens.check(secret).agencies == {"*"}  # type: ignore[union-attr]
    # without --agency the token is created unbound, and the operator is told to bind it
    created = org_cli.invoke("tokens", "create", "lgsp", "--scope", "exchange", "--user", "chuyenvien")
    assert created.exit_code == 0 and "procflow tokens bind lgsp --agency CODE" in created.stderr
    assert "lgsp\tchuyenvien\texchange\t-\t" in org_cli.ok("tokens", "list")


def test_agency_mistakes_are_one_line_errors(org_cli: Cli) -> None:  # noqa: F811
    assert "identifier code" in org_cli.error("tokens", "create", "x", "--scope", "exchange", "--user", "chuyenvien",
                                              "--agency", "VPTU")
    assert "stands alone" in org_cli.error("tokens", "create", "x", "--scope", "exchange", "--user", "chuyenvien",
                                           "--agency", "*", "--agency", "000.00.31.H37")
    assert "scope exchange only" in org_cli.error("tokens", "create", "x", "--scope", "cases", "--user",
                                                  "chuyenvien", "--agency", "000.00.31.H37")
    assert "no token" in org_cli.error("tokens", "bind", "missing", "--agency", "000.00.31.H37")

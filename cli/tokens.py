"""``procflow tokens``: API tokens (docs/api.md) — create one (its secret is printed once), list, revoke."""

from __future__ import annotations

import click

from cli.common import friendly_errors, services_of
from engine.org.tokens import SCOPES, parse_agencies, parse_scopes


@click.group()
def tokens() -> None:
    """API tokens for programs using the REST API (/api/v1)."""


@tokens.command("create")
@click.argument("name")
@click.option("--scope", "scope", required=True, help=f"Comma-separated scopes: {', '.join(SCOPES)}.")
@click.option("--user", "username", default=None,
              help="The user the token acts for (default: the user named NAME, e.g. an integration's own user).")
@click.option("--agency", "agency", multiple=True,
              help="Scope exchange: an agency code whose packages the token may deliver (repeat for several; '*' "
                   "for an adapter forwarding for many agencies).")
@click.pass_context
@friendly_errors
def create(ctx: click.Context, name: str, scope: str, username: str | None, agency: tuple[str, ...]) -> None:
    """Create token NAME and print its secret (only now: procflow keeps only its hash)."""
    username = username or name
    scopes = parse_scopes(scope)
    secret = services_of(ctx).tokens.create(name, scopes, username, parse_agencies(agency))
    click.echo(secret)
    click.echo(f"token '{name}' acts for {username}; keep it secret, it is not shown again", err=True)
    if "exchange" in scopes and not agency:
        click.echo(f"token '{name}' may not deliver packages until it is bound to agencies: "
                   f"procflow tokens bind {name} --agency CODE", err=True)


@tokens.command("bind")
@click.argument("name")
@click.option("--agency", "agency", multiple=True, required=True,
              help="An agency code whose packages the token may deliver (repeat for several; '*': any agency).")
@click.pass_context
@friendly_errors
def bind(ctx: click.Context, name: str, agency: tuple[str, ...]) -> None:
    """Bind the exchange token NAME to the agencies it may speak for (replacing those it had)."""
    agencies = parse_agencies(agency)
    services_of(ctx).tokens.bind(name, agencies)
    click.echo(f"token '{name}' delivers packages of {', '.join(sorted(agencies))}")


@tokens.command("list")
@click.pass_context
@friendly_errors
def list_tokens(ctx: click.Context) -> None:
    """Every token: name, user, scopes, the agencies it may speak for (exchange), when created and last used, and
    whether it is revoked."""
    for t in services_of(ctx).tokens.list():
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "-"
        state = f"revoked {t.revoked_at.isoformat(timespec='seconds')}" if t.revoked_at else "active"
        bound = ",".join(sorted(t.agencies)) or "-"
        click.echo(f"{t.name}\t{t.username}\t{','.join(sorted(t.scopes))}\t{bound}\t"
                   f"{t.created_at.isoformat(timespec='seconds')}\t{used}\t{state}")


@tokens.command("revoke")
@click.argument("name")
@click.pass_context
@friendly_errors
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke token NAME: it stops working at once."""
    services_of(ctx).tokens.revoke(name)
    click.echo(f"token '{name}' revoked")

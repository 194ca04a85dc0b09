"""``procflow tokens``: API tokens (docs/api.md) — create one (its secret is printed once), list, revoke."""

from __future__ import annotations

import click

from cli.common import friendly_errors, services_of
from engine.org.tokens import SCOPES, parse_scopes


@click.group()
def tokens() -> None:
    """API tokens for programs using the REST API (/api/v1)."""


@tokens.command("create")
@click.argument("name")
@click.option("--scope", "scope", required=True, help=f"Comma-separated scopes: {', '.join(SCOPES)}.")
@click.option("--user", "username", default=None,
              help="The user the token acts for (default: the user named NAME, e.g. an integration's own user).")
@click.pass_context
@friendly_errors
def create(ctx: click.Context, name: str, scope: str, username: str | None) -> None:
    """Create token NAME and print its secret (only now: procflow keeps only its hash)."""
    username = username or name
    secret = services_of(ctx).tokens.create(name, parse_scopes(scope), username)
    click.echo(secret)
    click.echo(f"token '{name}' acts for {username}; keep it secret, it is not shown again", err=True)


@tokens.command("list")
@click.pass_context
@friendly_errors
def list_tokens(ctx: click.Context) -> None:
    """Every token: name, user, scopes, when created and last used, and whether it is revoked."""
    for t in services_of(ctx).tokens.list():
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "-"
        state = f"revoked {t.revoked_at.isoformat(timespec='seconds')}" if t.revoked_at else "active"
        click.echo(f"{t.name}\t{t.username}\t{','.join(sorted(t.scopes))}\t"
                   f"{t.created_at.isoformat(timespec='seconds')}\t{used}\t{state}")


@tokens.command("revoke")
@click.argument("name")
@click.pass_context
@friendly_errors
def revoke(ctx: click.Context, name: str) -> None:
    """Revoke token NAME: it stops working at once."""
    services_of(ctx).tokens.revoke(name)
    click.echo(f"token '{name}' revoked")

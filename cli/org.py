"""``procflow user``: sign-in passwords, deactivating who left; ``procflow org export``; and the demo
organisation's passwords for ``procflow run``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import friendly_errors, services_of
from engine.org.service import read_org_file
from engine.services import Services

# Given by `procflow run` to the demo organisation's users who have no password yet (and printed there).
DEMO_PASSWORD = "procflow-demo"


@click.group()
def user() -> None:
    """Users: sign-in passwords, deactivating and reactivating."""


@user.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.pass_context
@friendly_errors
def set_password(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set USERNAME's password (asked twice, not shown) and lift any sign-in lock."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    services_of(ctx).accounts.set_password(username, password)
    click.echo(f"password set for {username}")


def demo_accounts(services: Services, org_file: Path) -> list[str]:
    """Give the demo users who have no password the demo password; return the demo user names that exist."""
    names = [str(u.get("username")) for u in read_org_file(org_file).get("users", []) if u.get("username")]
    services.accounts.set_missing_passwords(names, DEMO_PASSWORD)
    return [n for n in names if services.accounts.account(n) is not None]


@user.command("deactivate")
@click.argument("username")
@click.option("--by", default=None, help="Who deactivates (recorded in the history of handed-over tasks).")
@click.pass_context
@friendly_errors
def deactivate(ctx: click.Context, username: str, by: str | None) -> None:
    """USERNAME has left: they can no longer sign in, and their open tasks go to the head of their unit."""
    done = services_of(ctx).departures.deactivate(username, by=by)
    if not done.was_active:
        click.echo(f"{username} was already inactive")
    if done.tasks:
        to = done.handed_to or "their groups (their unit has no head)"
        click.echo(f"{len(done.tasks)} open task(s) handed to {to}")
    click.echo(f"{username} is deactivated")


@user.command("activate")
@click.argument("username")
@click.pass_context
@friendly_errors
def activate(ctx: click.Context, username: str) -> None:
    """Let USERNAME sign in again (tasks handed over when they left stay where they are)."""
    changed = services_of(ctx).departures.reactivate(username)
    click.echo(f"{username} is active" if changed else f"{username} was already active")


@click.command("export")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option("--format", "fmt", type=click.Choice(["yaml", "csv"]), default=None,
              help="Default: from PATH's extension, else YAML.")
@click.pass_context
@friendly_errors
def org_export(ctx: click.Context, path: Path | None, fmt: str | None) -> None:
    """Write units, groups and users as `procflow org import` reads them, to PATH or standard output."""
    people = services_of(ctx).people
    fmt = fmt or ("csv" if path is not None and path.suffix.lower() == ".csv" else "yaml")
    content = people.export_csv() if fmt == "csv" else people.export_yaml()
    if path is None:
        click.echo(content, nl=False)
    else:
        path.write_text(content, encoding="utf-8")
        click.echo(f"organisation written to {path}")

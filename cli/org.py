"""``procflow user``: sign-in passwords; and the demo organisation's passwords for ``procflow run``."""

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
    """Users: sign-in passwords."""


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

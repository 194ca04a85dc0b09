"""``procflow archive``: retention of finished cases (docs/operations.md, "Retention")."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import echo_json, friendly_errors, services_of
from engine.retention import load_key, verify_archive
from engine.settings import Settings


@click.group()
def archive() -> None:
    """Move finished cases past their time to live into signed archive files; check an archive file."""


@archive.command("run")
@click.option("--dry-run", is_flag=True, help="only list the cases that are due")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
@friendly_errors
def run_command(ctx: click.Context, dry_run: bool, fmt: str) -> None:
    """Archive every finished case older than its procedure's historyTimeToLive (or PROCFLOW_HISTORY_TTL_DAYS)."""
    report = services_of(ctx).retention.run(dry_run=dry_run)
    if fmt == "json":
        echo_json({"dry_run": dry_run, "archive": str(report.archive) if report.archive else None,
                   "cases": report.cases, "skipped": report.skipped})
        return
    if dry_run:
        click.echo(f"{len(report.cases)} case(s) due: {', '.join(map(str, report.cases)) or '-'}")
    elif report.archive is None:
        click.echo("nothing is due")
    else:
        click.echo(f"{len(report.cases)} case(s) archived to {report.archive}: {', '.join(map(str, report.cases))}")


@archive.command("verify")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@friendly_errors
def verify_command(file: Path) -> None:
    """Check FILE on its own: its signature (PROCFLOW_ARCHIVE_KEY), every member's SHA-256 and each case's chains."""
    settings = Settings.from_env()
    check = verify_archive(file, load_key(settings.secrets_dir, settings.archive_key))
    for problem in check.problems:
        click.echo(problem, err=True)
    if check.intact:
        click.echo(f"intact: {check.cases} case(s), {check.files} file(s), signature good")
    else:
        click.echo(f"DAMAGED: {len(check.problems)} problem(s)", err=True)
        sys.exit(1)

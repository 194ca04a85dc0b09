"""``procflow files``: where attachments and document files are kept (docs/operations.md, "File storage")."""

from __future__ import annotations

import sys

import click

from cli.common import echo_json, friendly_errors
from engine.persistence.db import Database
from engine.settings import Settings
from engine.storage import storage_for
from engine.storage.migrate import migrate


@click.group()
def files() -> None:
    """The file storage: a folder under PROCFLOW_HOME (local) or the database."""


@files.command("migrate")
@click.option("--to", "to", type=click.Choice(["database", "local"]), required=True,
              help="the store to copy every file into")
@click.option("--remove-source", is_flag=True, help="delete each file from the other store once its copy checks out")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@friendly_errors
def migrate_command(to: str, remove_source: bool, fmt: str) -> None:
    """Copy every file from the other store into TO, checking SHA-256 both ways; run it again to resume.

    Then set PROCFLOW_FILE_STORAGE=TO and restart procflow."""
    settings = Settings.from_env()
    db = Database(settings.database_url)
    try:
        source = storage_for("local" if to == "database" else "database", home=settings.home, db=db)
        target = storage_for(to, home=settings.home, db=db)
        report = migrate(source, target, db, remove_source=remove_source)
    finally:
        db.dispose()
    if fmt == "json":
        echo_json({"to": to, "copied": len(report.copied), "already": len(report.already),
                   "corrupt": report.corrupt, "missing": report.missing, "removed": report.removed})
    else:
        for key in report.corrupt:
            click.echo(f"error: {key}: the content does not match its SHA-256; not copied", err=True)
        for key in report.missing:
            click.echo(f"error: {key}: named by an attachment or document file but kept in neither store", err=True)
        click.echo(f"{len(report.copied)} copied to {to}, {len(report.already)} already there, "
                   f"{len(report.corrupt)} corrupt, {len(report.missing)} missing, {report.removed} removed from "
                   f"the {source.kind} store")
        if report.ok and settings.file_storage != to:
            click.echo(f"now set PROCFLOW_FILE_STORAGE={to} and restart procflow")
    if not report.ok:
        sys.exit(1)

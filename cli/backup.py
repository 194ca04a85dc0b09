"""``procflow backup DIR`` and ``procflow restore DIR`` (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import friendly_errors
from engine.clock import SystemClock
from engine.ops.backup import backup, restore
from engine.settings import Settings


@click.command("backup")
@click.argument("target", type=click.Path(path_type=Path))
@friendly_errors
def backup_command(target: Path) -> None:
    """Back up the database, the attachments and the signing configuration into the new folder TARGET."""
    manifest = backup(Settings.from_env(), target, now=SystemClock().now())
    click.echo(f"backup of the {manifest.database} database (revision {manifest.revision}) in {target}: "
               f"{sum(manifest.rows.values())} rows, {len(manifest.files)} files, sums in {target / 'manifest.json'}")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path, exists=True, file_okay=False))
@friendly_errors
def restore_command(source: Path) -> None:
    """Restore the backup in SOURCE into the configured database, which must be empty."""
    settings = Settings.from_env()
    manifest = restore(settings, source)
    click.echo(f"restored the backup of {manifest.created_at}: {sum(manifest.rows.values())} rows, "
               f"attachments under {settings.home / 'attachments'}")
    if manifest.signing.get("copied"):
        click.echo(f"signing files (seal, trust roots, CRLs) are in {settings.home / 'restored-signing'}: point the "
                   "PROCFLOW_* settings at them; the agency's private key was not in the backup")

"""``procflow files migrate --to database|local``: copy every kept content from one store to the other.

Each content is read back from the source and its SHA-256 compared with its key before it is written, and read
back again from the target after; one content is one transaction, so an interrupted run is simply started
again (what the target already holds is skipped: idempotent and resumable). The source keeps its copies unless
asked to remove them (after the target's copy checked out).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, union

from engine.persistence.base import table_of
from engine.persistence.case_models import Attachment
from engine.persistence.db import Database
from engine.persistence.document_models import DocumentFile
from engine.storage import FileStorage

_READ = 64 * 1024


@dataclass
class MigrationReport:
    """What a migration did, key by key."""

    copied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)  # the source's content does not match its key
    missing: list[str] = field(default_factory=list)  # named by a row, kept in neither store
    removed: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing was corrupt or missing."""
        return not self.corrupt and not self.missing


def referenced_keys(db: Database) -> set[str]:
    """Every key an attachment or a document file names."""
    attachments, files = table_of(Attachment), table_of(DocumentFile)
    with db.connect() as conn:
        return {row[0] for row in conn.execute(union(select(attachments.c.stored_path),
                                                     select(files.c.stored_path)))}


def migrate(source: FileStorage, target: FileStorage, db: Database, *, remove_source: bool = False,
            progress: Callable[[str, str], None] | None = None) -> MigrationReport:
    """Copy every content of ``source`` into ``target`` (checked by SHA-256 on both sides)."""
    report = MigrationReport()
    for key in source.keys():
        outcome = _one(source, target, key)
        getattr(report, outcome).append(key)
        if progress:
            progress(key, outcome)
        if remove_source and outcome in ("copied", "already") and target.sha256(key) == key.split("/")[1]:
            source.delete(key)
            report.removed += 1
    for key in sorted(referenced_keys(db)):
        if not target.exists(key) and not source.exists(key):
            report.missing.append(key)
    return report


def _one(source: FileStorage, target: FileStorage, key: str) -> str:
    expected = key.split("/")[1]
    if target.exists(key):
        return "already"
    stream = source.open(key)
    if stream is None:
        return "missing"
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.spool_dir(), delete=False) as out, stream:
        while chunk := stream.read(_READ):
            digest.update(chunk)
            out.write(chunk)
    spooled = Path(out.name)
    try:
        if digest.hexdigest() != expected:
            return "corrupt"
        target.put_file(spooled, expected)
    finally:
        spooled.unlink(missing_ok=True)
    if target.sha256(key) != expected:
        target.delete(key)
        return "corrupt"
    return "copied"

"""Where document files live: the case attachments' file storage (engine/storage: key ``<2 hex>/<sha256>`` in a
folder or the database), written and read inside the caller's transaction, so a step that signs a document saves
its file rows (and, in the database, its content) with the step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from engine.errors import InvalidInput, NotFound
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.case_models import Attachment
from engine.storage import FileStorage, is_key

PDF = "application/pdf"
_attachments = table_of(Attachment)


@dataclass(frozen=True)
class StoredFile:
    """A file's facts as kept with a document (never trusted from the user, except the name)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    stored_path: str

    def file_value(self) -> dict[str, Any]:
        """The value a form's file field takes for this file (engine/forms/files.py)."""
        return {"name": self.filename, "size": self.size, "content_type": self.content_type, "sha256": self.sha256}


class ContentStore:
    """Document contents by SHA-256 in the file storage shared with the case attachments."""

    def __init__(self, storage: FileStorage) -> None:
        self.storage = storage

    def put(self, content: bytes, filename: str, content_type: str, conn: Connection | None = None) -> StoredFile:
        """Keep ``content`` (once per distinct content) and describe it; ``conn``: the step's transaction."""
        stored = self.storage.put_bytes(content, conn)
        return StoredFile(filename, content_type, len(content), stored.split("/")[1], stored)

    def read(self, stored_path: str, conn: Connection | None = None) -> bytes:
        """The content kept at ``stored_path``.

        Raises:
            NotFound: the content is missing (or the path is not one the store makes).
        """
        content = self.storage.read(stored_path, conn) if is_key(stored_path) else None
        if content is None:
            raise NotFound(N_("the content of a document file is missing"))
        return content

    def case_file(self, conn: Connection, instance_id: int, value: Any) -> StoredFile:
        """The case attachment a form's file value (``{"name", "sha256", ...}``) names, with its stored path.

        Raises:
            InvalidInput: the value names no file attached to the case.
        """
        digest = value.get("sha256") if isinstance(value, dict) else None
        row = conn.execute(select(_attachments).where(_attachments.c.instance_id == instance_id,
                                                      _attachments.c.sha256 == str(digest))
                           .order_by(_attachments.c.id.desc()).limit(1)).first() if digest else None
        if row is None:
            raise InvalidInput(N_("the file '{name}' is not attached to the case"),
                               name=value.get("name", "?") if isinstance(value, dict) else value)
        return StoredFile(row.filename, row.content_type, row.size, row.sha256, row.stored_path)

    def attach(self, conn: Connection, instance_id: int, stored: StoredFile, *, user: str | None,
               task_id: str | None, now: datetime) -> None:
        """Record ``stored`` as an attachment of the case too (so it shows and downloads on the case's page)."""
        conn.execute(insert(_attachments).values(
            instance_id=instance_id, task_id=task_id, username=user or "procflow", filename=stored.filename,
            content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
            stored_path=stored.stored_path, created_at=now))

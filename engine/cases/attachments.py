"""Attachments of cases: documents stored safely on disk, downloadable only by those who may see the case.

Content is stored once per distinct content under the key ``<first two hex digits>/<sha256>`` in the file
storage (engine/storage: a folder, ``<home>/attachments``, or the database): the user's file name never becomes a
path. An upload is streamed to a temporary file while its SHA-256 and
size are computed, and refused as soon as it passes the size limit; then its extension and its content
must both be on the allow-list (engine/cases/file_types.py). The row in ``attachments`` keeps the original name
(for display and download), the detected content type, size, digest and where the content is.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Protocol

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from engine.audit.access import ATTACHMENT_DOWNLOADED, AccessLog
from engine.cases.file_types import HEAD_BYTES, clean_filename, detect, type_by_name
from engine.cases.visibility import CaseAccess, require_task_of_case
from engine.clock import Clock
from engine.errors import InvalidInput, NotFound
from engine.forms.files import DEFAULT_MAX_FILE_SIZE
from engine.i18n import N_
from engine.persistence import repository
from engine.persistence.base import table_of
from engine.persistence.case_models import Attachment
from engine.persistence.db import Database
from engine.storage import FileStorage, is_key

CHUNK = 64 * 1024
_attachments = table_of(Attachment)
_COLUMNS = (_attachments.c.id, _attachments.c.instance_id, _attachments.c.task_id, _attachments.c.username,
            _attachments.c.filename, _attachments.c.content_type, _attachments.c.size, _attachments.c.sha256,
            _attachments.c.created_at)
_INSERT = insert(_attachments).returning(_attachments.c.id)
_LIST = select(*_COLUMNS).where(_attachments.c.instance_id == bindparam("instance_id")).order_by(_attachments.c.id)
_ONE = select(*_COLUMNS, _attachments.c.stored_path).where(_attachments.c.id == bindparam("attachment_id"))


class Readable(Protocol):
    """Anything an upload can be read from in chunks (a file, a Werkzeug FileStorage stream)."""

    def read(self, size: int = -1, /) -> bytes:
        """Return up to ``size`` bytes; b"" at the end."""
        ...


@dataclass(frozen=True)
class AttachmentView:
    """An attachment's facts (never its path on disk)."""

    id: int
    instance_id: int
    task_id: str | None
    username: str
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        return out

    def file_value(self) -> dict[str, Any]:
        """The value a form's file field takes for this attachment (engine/forms/files.py)."""
        return {"name": self.filename, "size": self.size, "content_type": self.content_type, "sha256": self.sha256}


@dataclass
class Download:
    """An attachment opened for reading; use it as a context manager so the file is closed."""

    view: AttachmentView
    stream: BinaryIO

    def __enter__(self) -> Download:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stream.close()


@dataclass(frozen=True)
class _Received:
    path: Path
    sha256: str
    size: int
    head: bytes


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: the name the user's machine gave it, and its content."""

    filename: str
    stream: Readable


@dataclass(frozen=True)
class ReceivedFile:
    """An upload checked and kept before its case exists (a start form's file): recorded as an attachment of
    the case in the transaction that creates it (:meth:`AttachmentService.record_received`)."""

    filename: str
    content_type: str
    size: int
    sha256: str
    stored_path: str

    def file_value(self) -> dict[str, Any]:
        """The value a form's file field takes for this file (engine/forms/files.py)."""
        return {"name": self.filename, "size": self.size, "content_type": self.content_type, "sha256": self.sha256}


class AttachmentService:
    """Stores, lists and opens the attachments of cases, for users who may see the case."""

    def __init__(self, *, db: Database, clock: Clock, access: CaseAccess, storage: FileStorage,
                 max_bytes: int = DEFAULT_MAX_FILE_SIZE, access_log: AccessLog | None = None) -> None:
        self.db = db
        self.access_log = access_log or AccessLog(db=db, clock=clock)
        self.clock = clock
        self.access = access
        self.storage = storage
        self.max_bytes = max_bytes

    def add(self, instance_id: int, user: str, filename: str, stream: Readable, *,
            task_id: str | None = None) -> AttachmentView:
        """Attach the file read from ``stream`` to the case, as ``user``.

        Args:
            filename: the name the user gave the file (shown and used for download only).
            stream: the content, read in chunks until it ends.
            task_id: the task (open or done) of the case the file belongs to, if any.

        Raises:
            InvalidInput: bad name, type not on the allow-list, content not matching it, or over the size limit.
            NotFound: no such case; PermissionDenied: the user may not see it.
        """
        name = clean_filename(filename)
        type_by_name(name)  # refuse a wrong type before reading anything
        with self.db.connect() as conn:
            self.access.require(conn, user, instance_id)
            if task_id is not None:
                require_task_of_case(conn, instance_id, task_id)
        received = self._receive(stream)
        try:
            content_type = detect(received.path, name, received.head)
            stored = self.storage.put_file(received.path, received.sha256)
        finally:
            received.path.unlink(missing_ok=True)
        return self._record(instance_id, user, name, content_type, received, stored, task_id)

    def receive(self, filename: str, stream: Readable) -> ReceivedFile:
        """Check and keep a file for a case not started yet (a start form's file); nothing is recorded yet.

        Raises:
            InvalidInput: bad name, type not on the allow-list, content not matching it, or over the size limit.
        """
        name = clean_filename(filename)
        type_by_name(name)
        received = self._receive(stream)
        try:
            content_type = detect(received.path, name, received.head)
            stored = self.storage.put_file(received.path, received.sha256)
        finally:
            received.path.unlink(missing_ok=True)
        return ReceivedFile(name, content_type, received.size, received.sha256, stored)

    def record_received(self, conn: Connection, instance_id: int, user: str | None,
                        files: list[ReceivedFile]) -> None:
        """Record files received for a new case as its attachments, in the transaction creating the case (so the
        start's document actions find them, and a refused start leaves no row)."""
        now = self.clock.now()
        for received in files:
            row = {"instance_id": instance_id, "task_id": None, "username": user or "procflow",
                   "filename": received.filename, "content_type": received.content_type, "size": received.size,
                   "sha256": received.sha256, "stored_path": received.stored_path, "created_at": now}
            attachment_id = int(conn.execute(_INSERT, row).scalar_one())
            repository.add_history(conn, [{"instance_id": instance_id, "at": now, "kind": "attachment_added",
                                           "task_id": None, "actor": user,
                                           "data": {"attachment_id": attachment_id, "name": received.filename}}])

    def list_for(self, instance_id: int, user: str) -> list[AttachmentView]:
        """The case's attachments, oldest first, if ``user`` may see the case."""
        with self.db.connect() as conn:
            self.access.require(conn, user, instance_id)
            return [_view(r) for r in conn.execute(_LIST, {"instance_id": instance_id})]

    def open(self, attachment_id: int, user: str) -> Download:
        """Open an attachment's content for ``user``, who must be allowed to see its case.

        The download is recorded in the case's access log (engine/audit/access.py) before the file is opened.

        Raises:
            NotFound: no such attachment (or its content is missing); PermissionDenied: not for this user.
        """
        with self.db.connect() as conn:
            row = conn.execute(_ONE, {"attachment_id": attachment_id}).first()
            if row is None:
                raise NotFound(N_("no attachment {attachment_id}"), attachment_id=attachment_id)
            self.access.require(conn, user, row.instance_id)
        stream = self.storage.open(row.stored_path) if is_key(row.stored_path) else None
        if stream is None:
            raise NotFound(N_("the content of attachment {attachment_id} is missing"), attachment_id=attachment_id)
        try:
            self.access_log.record(row.instance_id, user, ATTACHMENT_DOWNLOADED, attachment_id=attachment_id)
        except BaseException:
            stream.close()
            raise
        return Download(_view(row), stream)

    def _receive(self, stream: Readable) -> _Received:
        """Copy the upload to a temporary file, hashing it, and stop as soon as it is too large."""
        spool = self.storage.spool_dir()
        digest, size, head = hashlib.sha256(), 0, b""
        with tempfile.NamedTemporaryFile(dir=spool, delete=False) as out:
            path = Path(out.name)
            try:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _too_large(self.max_bytes)
                    head = head if len(head) >= HEAD_BYTES else (head + chunk)[:HEAD_BYTES]
                    digest.update(chunk)
                    out.write(chunk)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        return _Received(path, digest.hexdigest(), size, head)

    def _record(self, instance_id: int, user: str, name: str, content_type: str, received: _Received,
                stored: str, task_id: str | None) -> AttachmentView:
        now = self.clock.now()
        row = {"instance_id": instance_id, "task_id": task_id, "username": user, "filename": name,
               "content_type": content_type, "size": received.size, "sha256": received.sha256,
               "stored_path": stored, "created_at": now}
        with self.db.transaction() as conn:
            attachment_id = int(conn.execute(_INSERT, row).scalar_one())
            repository.add_history(conn, [{"instance_id": instance_id, "at": now, "kind": "attachment_added",
                                           "task_id": task_id, "actor": user,
                                           "data": {"attachment_id": attachment_id, "name": name}}])
        return AttachmentView(attachment_id, instance_id, task_id, user, name, content_type, received.size,
                              received.sha256, now)


def _view(row: Any) -> AttachmentView:
    return AttachmentView(row.id, row.instance_id, row.task_id, row.username, row.filename, row.content_type,
                          row.size, row.sha256, row.created_at)


def _too_large(limit: int) -> InvalidInput:
    megabytes = round(limit / (1024 * 1024), 1)
    return InvalidInput(N_("the file is larger than {megabytes} MB"), {"file": [f"at most {megabytes} MB"]},
                        megabytes=megabytes)

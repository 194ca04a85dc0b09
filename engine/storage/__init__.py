"""Where file contents live: one interface, two places (docs/operations.md, "File storage").

Every file procflow keeps — case attachments and document files — is stored once per distinct content under a
key ``<first two hex digits>/<sha256>`` (the ``stored_path`` of the ``attachments`` and ``document_files`` rows).
:class:`LocalStorage` keeps them in a folder (``PROCFLOW_HOME/attachments``, the default);
:class:`DatabaseStorage` in the tables ``blobs`` and ``blob_chunks`` (1 MiB chunks), so several web hosts share
them through the one database. ``PROCFLOW_FILE_STORAGE=local|database`` chooses (:func:`storage_for`);
:func:`migrate` copies the existing contents from one to the other.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.clock import Clock, SystemClock
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.storage_models import Blob, BlobChunk

KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}")
CHUNK = 1024 * 1024  # bytes per blob_chunks row
_READ = 64 * 1024
_blobs = table_of(Blob)
_chunks = table_of(BlobChunk)
_CHUNK_ONE = select(_chunks.c.data).where(_chunks.c.key == bindparam("key"), _chunks.c.seq == bindparam("seq"))
_BLOB_ONE = select(_blobs.c.chunks, _blobs.c.size).where(_blobs.c.key == bindparam("key"))


def key_for(sha256: str) -> str:
    """The key a content with this SHA-256 (lower-case hex) is kept under."""
    return f"{sha256[:2]}/{sha256}"


def is_key(key: str) -> bool:
    """True when ``key`` is one the stores make (never a path from a user)."""
    return KEY.fullmatch(key) is not None


class FileStorage(ABC):
    """Content-addressed file storage. ``conn``, where a method takes one, is the caller's open transaction:
    a store inside the database writes and reads through it, so the file is saved (or not) with the step."""

    kind: str
    spool: Path | None  # where uploads are received before :meth:`put_file` (None: the system's temporary folder)

    @abstractmethod
    def exists(self, key: str, conn: Connection | None = None) -> bool:
        """True when the complete content of ``key`` is kept."""

    @abstractmethod
    def put_file(self, path: Path, sha256: str, conn: Connection | None = None) -> str:
        """Keep the content of the file at ``path`` (whose SHA-256 the caller computed); return its key. The
        file may be moved away (the caller deletes it if it is still there)."""

    @abstractmethod
    def open(self, key: str, conn: Connection | None = None) -> BinaryIO | None:
        """The content of ``key`` as a binary stream to close after use, or None when it is not kept."""

    @abstractmethod
    def keys(self) -> Iterator[str]:
        """Every key kept."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Forget ``key``'s content (nothing happens if it is not kept)."""

    def put_bytes(self, content: bytes, conn: Connection | None = None) -> str:
        """Keep ``content``; return its key."""
        digest = hashlib.sha256(content).hexdigest()
        key = key_for(digest)
        if self.exists(key, conn):
            return key
        with tempfile.NamedTemporaryFile(dir=self.spool_dir(), delete=False) as out:
            out.write(content)
        try:
            return self.put_file(Path(out.name), digest, conn)
        finally:
            Path(out.name).unlink(missing_ok=True)

    def read(self, key: str, conn: Connection | None = None) -> bytes | None:
        """The whole content of ``key``, or None when it is not kept."""
        stream = self.open(key, conn)
        if stream is None:
            return None
        with stream:
            return stream.read()

    def sha256(self, key: str) -> str | None:
        """The SHA-256 of what is kept under ``key`` now (read back in full), or None when it is not kept."""
        stream = self.open(key)
        if stream is None:
            return None
        digest = hashlib.sha256()
        with stream:
            while chunk := stream.read(_READ):
                digest.update(chunk)
        return digest.hexdigest()

    def spool_dir(self) -> Path | None:
        if self.spool is not None:
            self.spool.mkdir(parents=True, exist_ok=True)
        return self.spool


class LocalStorage(FileStorage):
    """Files under ``root`` (``PROCFLOW_HOME/attachments``): ``root/<2 hex>/<sha256>``, mode 0640."""

    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.spool = root / "tmp"

    def exists(self, key: str, conn: Connection | None = None) -> bool:
        return is_key(key) and (self.root / key).is_file()

    def put_file(self, path: Path, sha256: str, conn: Connection | None = None) -> str:
        key = key_for(sha256)
        target = self.root / key
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.parent.resolve() != self.spool_dir().resolve():  # type: ignore[union-attr]
                # another file system maybe: copy next to the target first, then rename (atomic)
                with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out, path.open("rb") as src:
                    while chunk := src.read(_READ):
                        out.write(chunk)
                path = Path(out.name)
            os.chmod(path, 0o640)
            os.replace(path, target)
        return key

    def open(self, key: str, conn: Connection | None = None) -> BinaryIO | None:
        if not self.exists(key):
            return None
        return (self.root / key).open("rb")

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if folder.is_dir() and re.fullmatch(r"[0-9a-f]{2}", folder.name):
                for file in sorted(folder.iterdir()):
                    key = f"{folder.name}/{file.name}"
                    if is_key(key) and file.is_file():
                        yield key

    def delete(self, key: str) -> None:
        if is_key(key):
            (self.root / key).unlink(missing_ok=True)


class DatabaseStorage(FileStorage):
    """Files in the database: a ``blobs`` row (size, chunk count) and its ``blob_chunks`` of :data:`CHUNK`
    bytes. Reading streams one chunk at a time, so a large file never sits whole in memory."""

    kind = "database"

    def __init__(self, db: Database, clock: Clock | None = None, spool: Path | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.spool = spool

    def exists(self, key: str, conn: Connection | None = None) -> bool:
        if not is_key(key):
            return False
        with self._reading(conn) as c:
            return c.execute(_BLOB_ONE, {"key": key}).first() is not None

    def put_file(self, path: Path, sha256: str, conn: Connection | None = None) -> str:
        key = key_for(sha256)
        if conn is None:
            try:
                with self.db.transaction() as own:
                    self._insert(own, key, sha256, path)
            except IntegrityError:  # the same content stored at the same moment by someone else
                if not self.exists(key):
                    raise
            return key
        if self.exists(key, conn):
            return key
        try:
            with conn.begin_nested():
                self._insert(conn, key, sha256, path)
        except IntegrityError:
            if not self.exists(key, conn):
                raise
        return key

    def _insert(self, conn: Connection, key: str, sha256: str, path: Path) -> None:
        if conn.execute(_BLOB_ONE, {"key": key}).first() is not None:
            return
        size, seq = path.stat().st_size, 0
        conn.execute(insert(_blobs).values(key=key, sha256=sha256, size=size, chunks=-(-size // CHUNK),
                                           created_at=self.clock.now()))
        with path.open("rb") as src:
            while data := src.read(CHUNK):
                conn.execute(insert(_chunks).values(key=key, seq=seq, data=data))
                seq += 1

    def open(self, key: str, conn: Connection | None = None) -> BinaryIO | None:
        if not is_key(key):
            return None
        with self._reading(conn) as c:
            row = c.execute(_BLOB_ONE, {"key": key}).first()
            if row is None:
                return None
            if row.chunks <= 1:  # small: read it now, through the caller's connection if any
                data = c.execute(_CHUNK_ONE, {"key": key, "seq": 0}).scalar() if row.chunks else b""
                return io.BytesIO(bytes(data or b""))
        return io.BufferedReader(_Chunks(self.db, key, row.chunks), buffer_size=CHUNK)

    def keys(self) -> Iterator[str]:
        with self.db.connect() as conn:
            found = [row.key for row in conn.execute(select(_blobs.c.key).order_by(_blobs.c.key))]
        yield from found

    def delete(self, key: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(delete(_chunks).where(_chunks.c.key == key))
            conn.execute(delete(_blobs).where(_blobs.c.key == key))

    def _reading(self, conn: Connection | None) -> AbstractContextManager[Connection]:
        return nullcontext(conn) if conn is not None else self.db.connect()


class _Chunks(io.RawIOBase):
    """A blob's chunks read one after the other, each in a short read of its own."""

    def __init__(self, db: Database, key: str, count: int) -> None:
        self.db, self.key, self.count = db, key, count
        self.seq, self.pending = 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending and self.seq < self.count:
            with self.db.connect() as conn:
                data = conn.execute(_CHUNK_ONE, {"key": self.key, "seq": self.seq}).scalar()
            if data is None:
                raise OSError(f"chunk {self.seq} of {self.key} is missing")
            self.pending, self.seq = bytes(data), self.seq + 1
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


def storage_for(kind: str, *, home: Path, db: Database) -> FileStorage:
    """The store ``PROCFLOW_FILE_STORAGE`` names: ``local`` (``home/attachments``) or ``database``."""
    if kind == "database":
        return DatabaseStorage(db)
    return LocalStorage(home / "attachments")

"""File contents kept in the database (``PROCFLOW_FILE_STORAGE=database``, engine/storage): one row per distinct
content in ``blobs``, its bytes in ``blob_chunks`` of at most 1 MiB each, so several web hosts share the files
without a shared disk (docs/operations.md)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Timestamp


class Blob(Base):
    """One stored content, named by its key ``<first two hex digits>/<sha256>`` (the files' ``stored_path``).

    The row and its chunks are written in one transaction: a blob that exists is complete.
    """

    __tablename__ = "blobs"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    chunks: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[Timestamp]


class BlobChunk(Base):
    """A piece of a blob's content, in order (``seq`` from 0)."""

    __tablename__ = "blob_chunks"

    key: Mapped[str] = mapped_column(ForeignKey("blobs.key", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)

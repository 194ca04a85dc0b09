"""The staff inbox's tables: saved inbox filters, form drafts, comments and attachments of cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Timestamp


class SavedFilter(Base):
    """A named set of inbox filters one user keeps (unique name per user)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("username", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON())
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class Draft(Base):
    """What a user has typed into a task's form so far; it goes with the task when the task closes."""

    __tablename__ = "drafts"

    # ON DELETE CASCADE is the hook into the runtime: closing a task deletes its inbox row, and its drafts with it.
    task_id: Mapped[str] = mapped_column(ForeignKey("inbox_tasks.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON())
    updated_at: Mapped[Timestamp]


class Comment(Base):
    """A remark on a case (optionally about one of its tasks) by someone who may see the case."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_instance_id_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Timestamp]


class Attachment(Base):
    """A file attached to a case; the content lives under ``<home>/attachments``, named by its SHA-256."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_instance_id_id", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Relative to the attachments folder: "<first two hex digits>/<sha256>", never derived from the file name.
    stored_path: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[Timestamp]


class CaseSearchRow(Base):
    """What full-text search finds a case by (engine/persistence/search_index.py, docs/search.md).

    ``title`` and ``content`` are the text as people wrote it (for the highlighted snippet); ``head`` and ``body``
    are the same words folded (lower case, no diacritics, đ as d) and separated by single spaces: what the database
    indexes. On PostgreSQL a generated ``document`` column (a ``tsvector``, head weighted above body) carries a GIN
    index; on SQLite an FTS5 table ``case_search_fts`` indexes head and body, kept in step by triggers. Both are
    made by the migration, not declared here. Written in the step's transaction (engine/runtime/step_writer.py).
    """

    __tablename__ = "case_search"

    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    head: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)

"""Incoming and outgoing official documents as records of their own, their files and the cases handling them
(docs/documents.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, JsonDict, Timestamp, UTCDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class Document(Base):
    """An incoming (văn bản đến) or outgoing (văn bản đi) document.

    ``number`` is the arrival number of an incoming document and the issue number of an outgoing one, taken from
    the yearly series ``register`` (engine/registers): unique per register and year.
    """

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("register", "year", "number", name="uq_documents_register_year_number"),
                      Index("ix_documents_kind_year_number", "kind", "year", "number"))

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # incoming | outgoing
    status: Mapped[str] = mapped_column(String(20))  # registered | draft | signed | issued
    register: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None]
    number: Mapped[int | None]
    notation: Mapped[str | None] = mapped_column(String(100))  # số, ký hiệu
    issuing_agency: Mapped[str | None] = mapped_column(String(300))
    doc_type: Mapped[str | None] = mapped_column(String(50))
    doc_date: Mapped[date | None]  # ngày ban hành (the document's own date)
    place: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str | None] = mapped_column(Text)  # trích yếu
    signer: Mapped[str | None] = mapped_column(String(200))
    signer_position: Mapped[str | None] = mapped_column(String(200))
    urgency: Mapped[str | None] = mapped_column(String(20))
    confidentiality: Mapped[str | None] = mapped_column(String(20))
    pages: Mapped[int | None]
    recipients: Mapped[str | None] = mapped_column(Text)
    arrival_date: Mapped[date | None]  # incoming: ngày đến
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # outgoing: when the agency signed it
    handling_deadline: Mapped[date | None]
    lead_unit: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[JsonDict]  # other mapped fields a procedure keeps on the record
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class DocumentFile(Base):
    """One file of a document: the main file (each signed revision a new version), an appendix, a draft or a
    related file; its content is stored by SHA-256 with the case attachments, and the result of verifying its
    signatures is kept with it."""

    __tablename__ = "document_files"
    __table_args__ = (Index("ix_document_files_document_id_id", "document_id", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))  # main | appendix | draft | attachment
    version: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    stored_path: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int | None]
    task_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str | None] = mapped_column(String(100))
    signatures: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON())  # SignatureResult.to_dict() each
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[Timestamp]


class DocumentCase(Base):
    """A case that handles a document (the case that registered or drafted it, and any linked later)."""

    __tablename__ = "document_cases"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    relation: Mapped[str] = mapped_column(String(20))  # registered | drafted | handles
    created_at: Mapped[Timestamp]

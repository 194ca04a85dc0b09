"""Document exchange between agencies (edXML, docs/exchange.md): the agency directory, packages received and
refused, the outbox of packages and statuses to deliver, and the statuses other agencies sent back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Timestamp, UTCDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class Agency(Base):
    """An agency of the directory: its identifier code (mã định danh), name, where its exchange endpoint is and
    the bearer token procflow presents there (a secret the other agency gave us)."""

    __tablename__ = "exchange_agencies"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    endpoint: Mapped[str] = mapped_column(String(500))  # base URL, e.g. https://vpub.example.gov.vn/api/v1/exchange
    token: Mapped[str] = mapped_column(String(500), default="")
    # SHA-256 fingerprints (hex, comma-separated) of the certificates its packages' envelopes may be signed with
    certificates: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[Timestamp]
    updated_at: Mapped[Timestamp]


class ExchangeReceipt(Base):
    """A package received and registered: one per sender and DocumentId (the receiver's idempotence)."""

    __tablename__ = "exchange_receipts"
    __table_args__ = (UniqueConstraint("sender_code", "edxml_id", name="uq_exchange_receipts_sender_edxml_id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    sender_code: Mapped[str] = mapped_column(String(50))
    edxml_id: Mapped[str] = mapped_column(String(100))
    notation: Mapped[str] = mapped_column(String(100))  # number and notation
    doc_date: Mapped[str | None] = mapped_column(String(10))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    received_by: Mapped[str | None] = mapped_column(String(100))
    received_at: Mapped[Timestamp]


class ExchangeRefusal(Base):
    """A package refused (malformed, unknown sender, duplicate, confidential ...): only this record is kept."""

    __tablename__ = "exchange_refusals"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    at: Mapped[Timestamp] = mapped_column(index=True)
    sender_code: Mapped[str | None] = mapped_column(String(50))
    edxml_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[int]  # the HTTP status answered
    reason: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    caller: Mapped[str | None] = mapped_column(String(100))


class ExchangeOutbox(Base):
    """Something to deliver to another agency: a document package or a status package, with its state.

    ``key`` makes each delivery once: ``package:<document id>:<agency>`` or ``status:<receipt id>:<code>``.
    """

    __tablename__ = "exchange_outbox"
    __table_args__ = (Index("ix_exchange_outbox_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # package | status
    agency_code: Mapped[str] = mapped_column(String(50))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    edxml_id: Mapped[str] = mapped_column(String(100))
    status_code: Mapped[str | None] = mapped_column(String(2))
    payload_path: Mapped[str | None] = mapped_column(String(200))  # the package's bytes in the content store
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12))  # pending | sending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[Timestamp]


class ExchangeStatus(Base):
    """A status another agency reported on a document we sent it (or a refusal it answered)."""

    __tablename__ = "exchange_statuses"
    __table_args__ = (UniqueConstraint("agency_code", "edxml_id", "status_code", "at",
                                       name="uq_exchange_statuses_agency_edxml_code_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(50))
    edxml_id: Mapped[str] = mapped_column(String(100), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    status_code: Mapped[str] = mapped_column(String(2))
    description: Mapped[str] = mapped_column(Text, default="")
    staff: Mapped[str] = mapped_column(String(300), default="")
    department: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[Timestamp]
    received_at: Mapped[Timestamp]

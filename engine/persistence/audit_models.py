"""The access log and the anchors of the hash chains (engine/audit, docs/security.md)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Timestamp


class AccessLogEntry(Base):
    """Someone viewed a case or downloaded one of its documents: append-only, hash-chained per case."""

    __tablename__ = "access_log"
    # The unique position in the case's chain is what keeps two writers from forking it.
    __table_args__ = (UniqueConstraint("instance_id", "seq"), Index("ix_access_log_username_at", "username", "at"))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No cascade: deleting a case must not silently take the record of who looked at it.
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the case
    at: Mapped[Timestamp]
    username: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # case_viewed | attachment_downloaded | document_...
    attachment_id: Mapped[int | None] = mapped_column(BigInteger)
    # The document read or downloaded (document_viewed, document_file_downloaded): its page lists these rows.
    document_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    hash: Mapped[str] = mapped_column(String(64))


class AuditAnchor(Base):
    """One hash over the chain heads of every case changed since the previous anchor, chained anchor to anchor."""

    __tablename__ = "audit_anchors"

    # Assigned as the previous id + 1, so two workers anchoring the same period collide on the key.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[Timestamp]
    previous_hash: Mapped[str] = mapped_column(String(64))
    # SHA-256 over the anchored heads (audit_anchor_heads, one canonical line each, by case id).
    heads_digest: Mapped[str] = mapped_column(String(64))
    cases: Mapped[int] = mapped_column(Integer)
    # The highest access_log id the anchor looked at (where the next one starts looking).
    access_watermark: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    # Left for signing an anchor's hash with the agency's key later; nothing writes it yet.
    signature: Mapped[str | None] = mapped_column(Text)


class AuditAnchorHead(Base):
    """Where one chain of one case (``history`` or ``access``) stood when an anchor was taken."""

    __tablename__ = "audit_anchor_heads"
    __table_args__ = (Index("ix_audit_anchor_heads_instance_id", "instance_id"),)

    anchor_id: Mapped[int] = mapped_column(ForeignKey("audit_anchors.id"), primary_key=True)
    chain: Mapped[str] = mapped_column(String(10), primary_key=True)  # history | access
    # No foreign key: a case deleted after it was anchored must leave its anchored heads behind as evidence.
    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))


class AuditAnchored(Base):
    """How far each chain was anchored last: only tells the next anchor what changed (verification ignores it)."""

    __tablename__ = "audit_anchored"

    chain: Mapped[str] = mapped_column(String(10), primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

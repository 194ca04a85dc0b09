"""The users' certificate registry: which signing certificates belong to which user (docs/documents.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Code, Timestamp


class UserCertificate(Base):
    """A signing certificate registered for a user; a certificate belongs to one user only.

    Only public data is kept (the certificate itself and what identifies it); keys and PINs never are.
    """

    __tablename__ = "user_certificates"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the DER, lowercase hex
    username: Mapped[Code] = mapped_column(ForeignKey("users.username"), index=True)
    subject: Mapped[str] = mapped_column(String(1000))
    serial: Mapped[str] = mapped_column(String(100))  # hex
    issuer: Mapped[str] = mapped_column(String(1000))
    not_before: Mapped[datetime]
    not_after: Mapped[datetime]
    pem: Mapped[str] = mapped_column(Text)
    added_at: Mapped[Timestamp]
    revoked_at: Mapped[datetime | None]  # set when the user no longer signs with it; the row stays for history

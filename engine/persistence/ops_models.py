"""Operations' tables: one-time password-reset links (docs/operations.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Timestamp


class PasswordReset(Base):
    """A one-time link an administrator issued for a user to set a new password.

    Only the SHA-256 of the link's token is kept, so reading the table does not give anyone a usable link.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), index=True)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[Timestamp]
    expires_at: Mapped[Timestamp]
    used_at: Mapped[datetime | None]

"""API tokens: a name, the SHA-256 of the secret (the secret itself is shown once and never stored), scopes, and
for the exchange the agencies a token may speak for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Code, Timestamp


class ApiToken(Base):
    """A token a program sends as ``Authorization: Bearer``; it acts on behalf of its user."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[Code] = mapped_column(unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the secret
    scopes: Mapped[str] = mapped_column(String(300))  # comma-separated
    # scope exchange: the agency codes whose packages it may deliver (comma-separated; "*": any; "": none yet)
    agencies: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    username: Mapped[str] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), index=True)
    created_at: Mapped[Timestamp]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

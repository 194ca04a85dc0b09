"""Sign-in state kept on the server: the web sessions (so that they can end) and the sign-in throttle's counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.base import Base, Code, Timestamp


class WebSession(Base):
    """A signed-in session; the browser holds a random token, the table only its SHA-256 (``id``)."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[Code] = mapped_column(ForeignKey("users.username", ondelete="CASCADE"), index=True)
    created_at: Mapped[Timestamp]
    last_seen_at: Mapped[Timestamp]
    ended_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed (and in-flight) sign-ins of one client, counted since ``since``: per user name and address
    (``key`` "address|user name") and per address (``key`` the address alone)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    since: Mapped[Timestamp]

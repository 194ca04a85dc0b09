"""Web sessions kept on the server, so that they end when they should: on sign-out, a new password, deactivation,
after a while without a request (idle) and a while after sign-in (absolute).

The browser holds a random token (in the signed session cookie); the table holds only its SHA-256, so a copy of
the table signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from engine.clock import Clock
from engine.persistence.account_models import WebSession
from engine.persistence.db import Database
from engine.persistence.models import User

IDLE = timedelta(minutes=60)
LIFETIME = timedelta(hours=12)
# How often a busy session's last request is written down: not on every request.
_TOUCH = timedelta(minutes=1)


class SessionService:
    """Starts, checks and ends the web sessions of users."""

    def __init__(self, *, db: Database, clock: Clock, idle: timedelta = IDLE, lifetime: timedelta = LIFETIME) -> None:
        self.db = db
        self.clock = clock
        self.idle = idle
        self.lifetime = lifetime

    def start(self, username: str) -> str:
        """Open a session for ``username``; return the token the browser keeps."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.db.write() as session:
            session.add(WebSession(id=_digest(token), username=username, created_at=now, last_seen_at=now))
        return token

    def user_of(self, token: str) -> str | None:
        """The user whose live session ``token`` is (and note the request), or None: unknown, ended, idle too long,
        too old, or its user deactivated."""
        if not token or len(token) > 200:
            return None
        now = self.clock.now()
        with self.db.write() as session:
            row = session.execute(select(WebSession, User.active).join(User, User.username == WebSession.username)
                                  .where(WebSession.id == _digest(token))).first()
            if row is None:
                return None
            found, active = row
            if found.ended_at is not None:
                return None
            if not active or now - found.last_seen_at > self.idle or now - found.created_at > self.lifetime:
                found.ended_at = now
                return None
            if now - found.last_seen_at > _TOUCH:
                found.last_seen_at = now
            return found.username

    def end(self, token: str) -> None:
        """End the session of ``token`` (signing out)."""
        with self.db.write() as session:
            session.execute(update(WebSession).where(WebSession.id == _digest(token), WebSession.ended_at.is_(None))
                            .values(ended_at=self.clock.now()))

    def end_all(self, username: str) -> int:
        """End every session of ``username`` (new password, deactivation); return how many were live."""
        with self.db.write() as session:
            result = session.execute(update(WebSession).where(WebSession.username == username,
                                                              WebSession.ended_at.is_(None))
                                     .values(ended_at=self.clock.now()))
            return int(getattr(result, "rowcount", 0) or 0)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

"""API tokens: created with a random secret shown once, stored as its SHA-256, checked on every API request.

A token acts on behalf of its user: it sees exactly what the user sees, and only in its scopes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

from engine.clock import Clock
from engine.errors import NO_USER, Conflict, InvalidInput, NotFound
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import User
from engine.persistence.prepared import Prepared
from engine.persistence.token_models import ApiToken

SCOPES = ("cases", "tasks", "messages", "documents", "exchange", "admin", "all")
PREFIX = "pf_"  # makes a leaked token easy to recognise (secret scanners, logs)
MAX_NAME = 100
USE_NOTED_EVERY = timedelta(minutes=1)

_tokens, _users = table_of(ApiToken), table_of(User)
# Every API call checks its token: compiled once and run on the driver's cursor (engine/persistence/prepared.py).
_CHECK = Prepared(select(_tokens.c.id, _tokens.c.name, _tokens.c.username, _tokens.c.scopes, _tokens.c.last_used_at)
                  .join(_users, _users.c.username == _tokens.c.username)
                  .where(_tokens.c.hash == bindparam("hash"), _tokens.c.revoked_at.is_(None),
                         _users.c.active.is_(True)))
_NOTE_USE = Prepared(update(_tokens).where(_tokens.c.id == bindparam("b_id")).values(last_used_at=bindparam("b_now")))


@dataclass(frozen=True)
class TokenView:
    """A token as ``procflow tokens list`` shows it (never its secret or hash)."""

    name: str
    username: str
    scopes: frozenset[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for, and what it may touch (``id``: the token's, e.g. to count its calls)."""

    name: str
    username: str
    scopes: frozenset[str]
    id: int = 0

    def allows(self, scope: str) -> bool:
        """True if the token was given ``scope`` (or ``all``)."""
        return scope in self.scopes or "all" in self.scopes


def digest(secret: str) -> str:
    """The stored form of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_scopes(text: str) -> frozenset[str]:
    """``cases,tasks`` as a set of known scopes; refuses an unknown or empty one."""
    scopes = frozenset(s.strip() for s in text.split(",") if s.strip())
    unknown = sorted(scopes - set(SCOPES))
    if not scopes or unknown:
        raise InvalidInput(N_("unknown scope '{scope}'; known: {known}"), {"scope": ["unknown scope"]},
                           scope=",".join(unknown) or text, known=", ".join(SCOPES))
    return scopes


class TokenService:
    """Creates, lists, revokes and checks API tokens."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def create(self, name: str, scopes: frozenset[str], username: str) -> str:
        """Create token ``name`` for ``username`` and return its secret (shown once: only its hash is kept).

        Raises:
            InvalidInput: a blank or overlong name, or an unknown scope.
            NotFound: no active user ``username``.
            Conflict: a token of that name exists (revoked ones too: names stay unique in the audit trail).
        """
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidInput(N_("a token's name must be 1 to 100 characters"), {"name": ["1 to 100 characters"]})
        parse_scopes(",".join(scopes))
        secret = PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as session:
            user = session.get(User, username)
            if user is None or not user.active:
                raise NotFound(NO_USER, user=username)
            if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
                raise Conflict(N_("a token named '{name}' exists"), name=name)
            session.add(ApiToken(name=name, hash=digest(secret), scopes=",".join(sorted(scopes)), username=username,
                                 created_at=self.clock.now()))
        return secret

    def list(self) -> list[TokenView]:
        """Every token, revoked ones too, by name."""
        with self.db.read() as session:
            rows = session.scalars(select(ApiToken).order_by(ApiToken.name)).all()
            return [TokenView(t.name, t.username, frozenset(t.scopes.split(",")), t.created_at, t.last_used_at,
                              t.revoked_at) for t in rows]

    def revoke(self, name: str) -> None:
        """Stop token ``name`` from working, at once and for good.

        Raises:
            NotFound: no token of that name.
        """
        with self.db.write() as session:
            token = session.scalar(select(ApiToken).where(ApiToken.name == name))
            if token is None:
                raise NotFound(N_("no token '{name}'"), name=name)
            if token.revoked_at is None:
                token.revoked_at = self.clock.now()

    def check(self, secret: str) -> Bearer | None:
        """The bearer of ``secret`` if it is a live token of an active user (and note its use), else None."""
        if not secret.startswith(PREFIX) or len(secret) > 200:
            return None
        with self.db.connect() as conn:
            row = _CHECK.first(conn, {"hash": digest(secret)})
        if row is None:
            return None
        token_id, name, username, scopes, last_used_at = row
        now = self.clock.now()
        if last_used_at is None or now - last_used_at >= USE_NOTED_EVERY:  # not a write per request
            with self.db.transaction() as conn:
                _NOTE_USE.rowcount(conn, {"b_id": token_id, "b_now": now})
        return Bearer(name, username, frozenset(scopes.split(",")), int(token_id))

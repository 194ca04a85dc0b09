"""API tokens: created with a random secret shown once, stored as its SHA-256, checked on every API request.

A token acts on behalf of its user: it sees exactly what the user sees, and only in its scopes. A token of scope
``exchange`` also names the agencies (identifier codes, or ``*`` for an adapter forwarding for many) whose packages it
may deliver: the exchange refuses a package from any other sender, and every package from an unbound token.
"""

from __future__ import annotations

import hashlib
import re
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
ANY_AGENCY = "*"
_CODE = re.compile(r"[0-9A-Za-z]{1,5}(\.[0-9A-Za-z]{1,5}){1,6}")

_tokens, _users = table_of(ApiToken), table_of(User)
# Every API call checks its token: compiled once and run on the driver's cursor (engine/persistence/prepared.py).
_CHECK = Prepared(select(_tokens.c.id, _tokens.c.name, _tokens.c.username, _tokens.c.scopes, _tokens.c.last_used_at,
                         _tokens.c.agencies)
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
    agencies: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Bearer:
    """Who a valid token speaks for, and what it may touch (``id``: the token's, e.g. to count its calls)."""

    name: str
    username: str
    scopes: frozenset[str]
    id: int = 0
    agencies: frozenset[str] = frozenset()

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


def parse_agencies(codes: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """Identifier codes (or ``*`` alone) as the set a token stores; refuses anything else."""
    found = frozenset(c.strip() for c in codes if c.strip())
    if ANY_AGENCY in found and len(found) > 1:
        raise InvalidInput(N_("'*' (any agency) stands alone: do not list codes beside it"),
                           {"agency": ["'*' stands alone"]})
    wrong = sorted(c for c in found if c != ANY_AGENCY and not _CODE.fullmatch(c))
    if wrong:
        raise InvalidInput(N_("'{code}' is not an identifier code such as 000.00.31.H37"),
                           {"agency": ["not an identifier code"]}, code=wrong[0])
    return found


def _agencies_of(text: str | None) -> frozenset[str]:
    return frozenset(c for c in (text or "").split(",") if c)


class TokenService:
    """Creates, lists, revokes and checks API tokens."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def create(self, name: str, scopes: frozenset[str], username: str,
               agencies: frozenset[str] = frozenset()) -> str:
        """Create token ``name`` for ``username`` and return its secret (shown once: only its hash is kept).

        Args:
            agencies: for the scope ``exchange``, the agency codes it may speak for (``{"*"}``: any).

        Raises:
            InvalidInput: a blank or overlong name, an unknown scope, agencies that are not identifier codes or
                given to a token without the scope ``exchange``.
            NotFound: no active user ``username``.
            Conflict: a token of that name exists (revoked ones too: names stay unique in the audit trail).
        """
        name = name.strip()
        if not name or len(name) > MAX_NAME:
            raise InvalidInput(N_("a token's name must be 1 to 100 characters"), {"name": ["1 to 100 characters"]})
        parse_scopes(",".join(scopes))
        agencies = self._agencies_for(scopes, agencies)
        secret = PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as session:
            user = session.get(User, username)
            if user is None or not user.active:
                raise NotFound(NO_USER, user=username)
            if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
                raise Conflict(N_("a token named '{name}' exists"), name=name)
            session.add(ApiToken(name=name, hash=digest(secret), scopes=",".join(sorted(scopes)), username=username,
                                 agencies=",".join(sorted(agencies)), created_at=self.clock.now()))
        return secret

    def list(self) -> list[TokenView]:
        """Every token, revoked ones too, by name."""
        with self.db.read() as session:
            rows = session.scalars(select(ApiToken).order_by(ApiToken.name)).all()
            return [TokenView(t.name, t.username, frozenset(t.scopes.split(",")), t.created_at, t.last_used_at,
                              t.revoked_at, _agencies_of(t.agencies)) for t in rows]

    def bind(self, name: str, agencies: frozenset[str]) -> None:
        """Set the agencies token ``name`` (of scope ``exchange``) may speak for, replacing those it had.

        Raises:
            NotFound: no token of that name.
            InvalidInput: no agency, codes that are not identifier codes, a token without the scope ``exchange``.
        """
        if not agencies:
            raise InvalidInput(N_("name at least one agency (--agency CODE, or --agency '*')"),
                               {"agency": ["at least one"]})
        with self.db.write() as session:
            token = session.scalar(select(ApiToken).where(ApiToken.name == name))
            if token is None:
                raise NotFound(N_("no token '{name}'"), name=name)
            token.agencies = ",".join(sorted(self._agencies_for(frozenset(token.scopes.split(",")), agencies)))

    @staticmethod
    def _agencies_for(scopes: frozenset[str], agencies: frozenset[str]) -> frozenset[str]:
        agencies = parse_agencies(agencies)
        if agencies and not ({"exchange", "all"} & scopes):
            raise InvalidInput(N_("agencies are bound to tokens of the scope exchange only"),
                               {"agency": ["the token has no scope exchange"]})
        return agencies

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
        token_id, name, username, scopes, last_used_at, agencies = row
        now = self.clock.now()
        if last_used_at is None or now - last_used_at >= USE_NOTED_EVERY:  # not a write per request
            with self.db.transaction() as conn:
                _NOTE_USE.rowcount(conn, {"b_id": token_id, "b_now": now})
        return Bearer(name, username, frozenset(scopes.split(",")), int(token_id), _agencies_of(agencies))

"""The sign-in throttle: wrong passwords counted per client, so that an attacker is refused and the user is not.

Two counters per attempt, each one row of ``login_throttle`` bumped by one atomic upsert: the client address with
the user name it tries, and the client address alone (password spraying over many names). An attempt is counted
*before* its password is checked, so that a burst of concurrent attempts gets at most the allowed number of
checks; a right password takes its own attempt back. A counter past its limit refuses that client until its window
(counted from the counter's first attempt) ends. The address is what the web app gives: the peer, or the one a
trusted reverse proxy reports (``PROCFLOW_PROXY_FIX``, docs/security.md).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.persistence.account_models import LoginThrottle
from engine.persistence.base import table_of
from engine.persistence.db import Database

MAX_FAILURES = 5
MAX_ADDRESS_FAILURES = 50
WINDOW = timedelta(minutes=15)

_throttle = table_of(LoginThrottle)


class SignInThrottle:
    """Counts sign-in attempts per (user name, client address) and per address, and says when to refuse."""

    def __init__(self, *, db: Database, clock: Clock, max_failures: int = MAX_FAILURES,
                 max_address_failures: int = MAX_ADDRESS_FAILURES, window: timedelta = WINDOW) -> None:
        self.db = db
        self.clock = clock
        self.max_failures = max_failures
        self.max_address_failures = max_address_failures
        self.window = window

    def attempt(self, username: str, client: str) -> datetime | None:
        """Count an attempt of ``client`` at ``username``; None if its password may be checked, else until when
        that client is refused."""
        now = self.clock.now()
        with self.db.transaction() as conn:
            pair, pair_since = self._bump(conn, _pair(username, client), now)
            alone, alone_since = self._bump(conn, _alone(client), now)
        if pair > self.max_failures:
            return pair_since + self.window
        if alone > self.max_address_failures:
            return alone_since + self.window
        return None

    def succeeded(self, username: str, client: str) -> None:
        """A right password: forget this client's failures at this name, and take the attempt back from its
        address (an office behind one address signs in all day)."""
        with self.db.transaction() as conn:
            conn.execute(delete(_throttle).where(_throttle.c.key == _pair(username, client)))
            conn.execute(update(_throttle).where(_throttle.c.key == _alone(client), _throttle.c.attempts > 0)
                         .values(attempts=_throttle.c.attempts - 1))

    def _bump(self, conn: Connection, key: str, now: datetime) -> tuple[int, datetime]:
        """Add one attempt to ``key`` (a new window if the last one is over); return the count and its start."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        fresh = _throttle.c.since <= now - self.window
        stmt = dialect.insert(_throttle).values(key=key, attempts=1, since=now)
        stmt = stmt.on_conflict_do_update(index_elements=[_throttle.c.key], set_={
            "attempts": case((fresh, 1), else_=_throttle.c.attempts + 1),
            "since": case((fresh, now), else_=_throttle.c.since)})
        attempts, since = conn.execute(stmt.returning(_throttle.c.attempts, _throttle.c.since)).one()
        return int(attempts), since


def _pair(username: str, client: str) -> str:
    # An address never holds "|", so a pair's key never equals an address's; NUL cannot be stored on PostgreSQL.
    return f"{_address(client)}|{username[:100]}".replace("\x00", "\ufffd")


def _alone(client: str) -> str:
    return _address(client)


def _address(client: str) -> str:
    return client[:100].replace("|", "").replace("\x00", "") or "-"

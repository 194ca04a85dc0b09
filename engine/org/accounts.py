"""Sign-in accounts: argon2 password hashes on users, and a lockout after repeated failures per user name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import InvalidInput, PermissionDenied, no_user
from engine.i18n import N_
from engine.persistence.db import Database
from engine.persistence.models import LoginFailure, Membership, User

MIN_PASSWORD_LENGTH = 8
MAX_FAILURES = 5
LOCK_WINDOW = timedelta(minutes=15)


class BadCredentials(PermissionDenied):
    """The user name or the password is wrong (deliberately not saying which)."""


class AccountLocked(PermissionDenied):
    """Too many failed sign-ins for this user name; ``until`` says when it may try again."""

    def __init__(self, username: str, until: datetime) -> None:
        super().__init__(N_("too many failed sign-ins for '{user}'; try again after {until}"), user=username,
                         until=until)
        self.until = until


@dataclass(frozen=True)
class Account:
    """A user as the web app knows them for a session.

    ``session_token`` changes whenever the password does, so a new password ends every other session.
    """

    username: str
    full_name: str
    title: str | None
    unit_code: str | None
    email: str | None
    groups: frozenset[str]
    session_token: str
    language: str = "vi"  # the user's preferred language ("vi" or "en")


class AccountService:
    """Checks passwords, sets them, and locks a user name after ``max_failures`` failures within ``window``."""

    def __init__(self, *, db: Database, clock: Clock, hasher: PasswordHasher | None = None,
                 max_failures: int = MAX_FAILURES, window: timedelta = LOCK_WINDOW) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.max_failures = max_failures
        self.window = window
        self._dummy_hash: str | None = None

    def authenticate(self, username: str, password: str) -> Account:
        """Return the account if ``password`` is right and the name is not locked.

        Raises:
            AccountLocked: after too many recent failures (the password is not even checked).
            BadCredentials: unknown or inactive user, no password set, or a wrong password.
        """
        username = username.strip()
        now = self.clock.now()
        with self.db.write() as session:
            until = self._locked_until(session, username, now)
            if until is not None:
                raise AccountLocked(username, until)
            user = session.get(User, username) if username else None
            if user is None or not user.active or not user.password_hash or not self._verify(user, password):
                if user is None or not user.password_hash:
                    self._verify_dummy(password)
                session.add(LoginFailure(username=username[:100], at=now))
                failed = True
            else:
                session.execute(delete(LoginFailure).where(LoginFailure.username == username))
                failed = False
        if failed:
            raise BadCredentials(N_("wrong user name or password"))
        account = self.account(username)
        assert account is not None
        return account

    def account(self, username: str) -> Account | None:
        """Return the active user ``username`` with their groups, or None."""
        with self.db.read() as session:
            user = session.get(User, username)
            if user is None or not user.active:
                return None
            groups = frozenset(session.scalars(select(Membership.group_code)
                                               .where(Membership.username == username)))
            return Account(user.username, user.full_name, user.title, user.unit_code, user.email, groups,
                           _token(user.password_hash), user.language)

    def set_password(self, username: str, password: str) -> None:
        """Give ``username`` a new password (at least ``MIN_PASSWORD_LENGTH`` characters) and lift any lock.

        Raises:
            NotFound: no such user.
            InvalidInput: the password is too short.
        """
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(N_("the password must have at least {length} characters"),
                               {"password": [f"at least {MIN_PASSWORD_LENGTH} characters"]}, length=MIN_PASSWORD_LENGTH)
        with self.db.write() as session:
            user = session.get(User, username)
            if user is None:
                raise no_user(username)
            user.password_hash = self.hasher.hash(password)
            session.execute(delete(LoginFailure).where(LoginFailure.username == username))

    def set_missing_passwords(self, usernames: list[str], password: str) -> list[str]:
        """Give ``password`` to those of ``usernames`` who exist and have none yet; return who got it."""
        done = []
        with self.db.write() as session:
            for username in usernames:
                user = session.get(User, username)
                if user is not None and not user.password_hash:
                    user.password_hash = self.hasher.hash(password)
                    done.append(username)
        return done

    def _locked_until(self, session: Session, username: str, now: datetime) -> datetime | None:
        since = now - self.window
        session.execute(delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.at <= since))
        count, oldest = session.execute(select(func.count(), func.min(LoginFailure.at))
                                        .where(LoginFailure.username == username, LoginFailure.at > since)).one()
        if count < self.max_failures:
            return None
        return oldest + self.window

    def _verify(self, user: User, password: str) -> bool:
        assert user.password_hash is not None
        try:
            self.hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if self.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = self.hasher.hash(password)
        return True

    def _verify_dummy(self, password: str) -> None:
        # An unknown name costs as long as a wrong password, so timing does not tell which names exist.
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("procflow: no such user")
        try:
            self.hasher.verify(self._dummy_hash, password)
        except VerificationError:
            pass


def _token(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]

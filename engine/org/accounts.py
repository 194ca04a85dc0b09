"""Sign-in accounts: argon2 password hashes on users, the throttle of wrong passwords per client, and the web
sessions kept on the server (engine/org/sessions.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from engine.clock import Clock
from engine.errors import InvalidInput, PermissionDenied, no_user
from engine.i18n import N_
from engine.org.sessions import SessionService
from engine.org.throttle import SignInThrottle
from engine.persistence.db import Database
from engine.persistence.models import Membership, User

MIN_PASSWORD_LENGTH = 8


class BadCredentials(PermissionDenied):
    """The user name or the password is wrong (deliberately not saying which)."""


class TooManyAttempts(PermissionDenied):
    """This client has tried too many wrong passwords (for this user name, or for any); ``until`` says when it may
    try again. Only that client is refused: the same user signing in from elsewhere is not."""

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
    """Checks passwords (each client throttled, :class:`SignInThrottle`), sets them, and keeps the web sessions."""

    def __init__(self, *, db: Database, clock: Clock, hasher: PasswordHasher | None = None,
                 throttle: SignInThrottle | None = None, sessions: SessionService | None = None) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self.throttle = throttle or SignInThrottle(db=db, clock=clock)
        self.sessions = sessions or SessionService(db=db, clock=clock)
        self._dummy: tuple[PasswordHasher, str] | None = None

    def authenticate(self, username: str, password: str, *, client: str = "") -> Account:
        """Return the account if ``password`` is right and ``client`` (its address) has not tried too often.

        Every answer but the throttle's costs one argon2 verification, whether the name is unknown, inactive,
        without a password or given a wrong one, so that timing does not tell which names exist.

        Raises:
            TooManyAttempts: this client tried too many wrong passwords lately (the password is not checked).
            BadCredentials: unknown or inactive user, no password set, or a wrong password.
        """
        username = username.strip()
        until = self.throttle.attempt(username, client)
        if until is not None:
            raise TooManyAttempts(username, until)
        with self.db.write() as session:
            user = session.get(User, username) if username and "\x00" not in username else None
            usable = user is not None and user.active and bool(user.password_hash)
            right = self._verify(user, password) if usable and user is not None else self._verify_dummy(password)
            ok = usable and right
        if not ok:
            raise BadCredentials(N_("wrong user name or password"))
        self.throttle.succeeded(username, client)
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
        """Give ``username`` a new password (at least ``MIN_PASSWORD_LENGTH`` characters); every session of theirs
        ends.

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
        self.sessions.end_all(username)

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

    def _verify(self, user: User, password: str) -> bool:
        assert user.password_hash is not None
        try:
            self.hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if self.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = self.hasher.hash(password)
        return True

    def _verify_dummy(self, password: str) -> bool:
        """Spend a real verification on a hash made with the same parameters; always False."""
        if self._dummy is None or self._dummy[0] is not self.hasher:
            self._dummy = (self.hasher, self.hasher.hash("procflow: no such user"))
        try:
            self.hasher.verify(self._dummy[1], password)
        except VerificationError:
            pass
        return False


def _token(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]

"""Passwords beyond signing in: the agency's rules for new ones, changing one's own (the old one required), and
the one-time reset links an administrator issues (only the token's SHA-256 is stored; each link expires)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, no_user
from engine.i18n import N_
from engine.org.accounts import AccountService
from engine.persistence.db import Database
from engine.persistence.models import User
from engine.persistence.ops_models import PasswordReset
from engine.settings import PasswordRules


@dataclass(frozen=True)
class ResetLink:
    """A reset link just issued: the token goes in the link and is shown once; it works until ``expires_at``."""

    username: str
    token: str
    expires_at: datetime
    email: str | None


def password_problems(password: str, rules: PasswordRules) -> list[str]:
    """What is wrong with ``password`` under ``rules`` (English, for the field's message); empty: nothing."""
    problems = []
    if len(password) < rules.min_length:
        problems.append(f"at least {rules.min_length} characters")
    if rules.letters_and_digits and not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        problems.append("at least one letter and one digit")
    return problems


class PasswordService:
    """Applies the password rules to every new password set through it, and keeps the reset links."""

    def __init__(self, *, db: Database, clock: Clock, accounts: AccountService, rules: PasswordRules) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts
        self.rules = rules

    def check(self, password: str) -> None:
        """Refuse a password that breaks the rules.

        Raises:
            InvalidInput: naming the field ``password`` and what it lacks.
        """
        problems = password_problems(password, self.rules)
        if problems:
            raise InvalidInput(N_("the new password does not follow the rules: {rules}"), {"password": problems},
                               rules="; ".join(problems))

    def change(self, username: str, old: str, new: str, *, client: str = "") -> None:
        """Change one's own password; the old one must be right (a wrong one counts towards the lockout).

        Raises:
            BadCredentials, AccountLocked: the old password is wrong, or the name is locked.
            InvalidInput: the new password breaks the rules.
        """
        self.check(new)
        self.accounts.authenticate(username, old, client=client)
        self.accounts.set_password(username, new)

    def issue_reset(self, username: str, *, by: str | None) -> ResetLink:
        """Issue a one-time link for ``username`` (earlier unused links stop working).

        Raises:
            NotFound: no active user ``username``.
        """
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        expires = now + timedelta(hours=self.rules.reset_hours)
        with self.db.write() as session:
            user = session.get(User, username)
            if user is None or not user.active:
                raise no_user(username)
            session.execute(update(PasswordReset).where(PasswordReset.username == username,
                                                        PasswordReset.used_at.is_(None)).values(used_at=now))
            session.add(PasswordReset(token_hash=_digest(token), username=username, created_by=by, created_at=now,
                                      expires_at=expires))
            email = user.email
        return ResetLink(username, token, expires, email)

    def reset_user(self, token: str) -> str:
        """The user a valid, unused, unexpired link is for.

        Raises:
            NotFound: the link is unknown, used or expired (deliberately not saying which).
        """
        with self.db.read() as session:
            return self._valid(session, token).username

    def redeem(self, token: str, new: str) -> str:
        """Set a new password through a reset link, which then stops working; return the user name.

        Raises:
            NotFound: the link is unknown, used or expired.
            InvalidInput: the new password breaks the rules.
        """
        self.check(new)
        with self.db.write() as session:
            reset = self._valid(session, token)
            reset.used_at = self.clock.now()
            username = reset.username
        self.accounts.set_password(username, new)
        return username

    def _valid(self, session: Session, token: str) -> PasswordReset:
        reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
        if reset is None or reset.used_at is not None or reset.expires_at <= self.clock.now():
            raise NotFound(N_("this password link is not valid any more; ask an administrator for a new one"))
        active = session.scalar(select(User.active).where(User.username == reset.username))
        if not active:
            raise NotFound(N_("this password link is not valid any more; ask an administrator for a new one"))
        return reset


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

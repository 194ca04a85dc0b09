"""Notifications: stored for the inbox (a wording key and its parameters), and e-mailed through SMTP when it is
configured, in each recipient's language."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.i18n import normalize_locale, params_to_json
from engine.notify.wording import subject, wording
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import Membership, Notification, User
from engine.settings import Settings

_notes = table_of(Notification)
_INSERT = insert(_notes).returning(_notes.c.id)


def notify(conn: Connection, usernames: list[str], *, kind: str, key: str, params: Mapping[str, Any],
           instance_id: int | None, task_id: str | None, now: datetime) -> list[int]:
    """Store one notification per user; return their ids (to be e-mailed after commit).

    Args:
        conn: the transaction's connection.
        usernames: who is told (duplicates and blanks ignored).
        kind: reminder, escalation, reassigned or delegated (the e-mail's subject).
        key: what it says, a key of engine/notify/wording.py.
        params: the values of the wording's placeholders (moments as aware datetimes).
        instance_id: the case it is about, if any.
        task_id: the task it is about, if any.
        now: when it is stored.
    """
    stored = params_to_json(params)
    rows = [{"username": u, "kind": kind, "message_key": key, "params": stored, "instance_id": instance_id,
             "task_id": task_id, "created_at": now, "read_at": None, "emailed_at": None, "email_error": None}
            for u in dict.fromkeys(usernames) if u]
    return [r.id for r in conn.execute(_INSERT, rows).all()] if rows else []


def group_members(conn: Connection, group_codes: list[str]) -> list[str]:
    """Active users in any of ``group_codes``."""
    if not group_codes:
        return []
    return list(conn.execute(select(Membership.username).join(User, User.username == Membership.username)
                             .where(Membership.group_code.in_(group_codes), User.active.is_(True))
                             .distinct()).scalars())


class Mailer:
    """Sends stored notifications by e-mail through the configured SMTP server."""

    def __init__(self, *, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    @property
    def enabled(self) -> bool:
        """True when an SMTP host is configured."""
        return bool(self.settings.smtp_host)

    def send(self, notification_ids: list[int]) -> int:
        """E-mail the given notifications to users who have an address; return how many were sent."""
        if not self.enabled or not notification_ids:
            return 0
        with self.db.read() as session:
            rows = session.execute(
                select(Notification.id, Notification.message_key, Notification.params, Notification.kind,
                       User.email, User.full_name, User.language)
                .join(User, User.username == Notification.username)
                .where(Notification.id.in_(notification_ids), Notification.emailed_at.is_(None))).all()
        sent = 0
        with self._smtp() as smtp:
            for row in rows:
                sent += self._send_one(smtp, row)
        return sent

    def send_text(self, to: str, name: str, subject_line: str, body: str) -> bool:
        """E-mail one plain message (a password link); False when e-mail is not set up or the server refused."""
        if not self.enabled or not to:
            return False
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = f"{name} <{to}>"
        message["Subject"] = f"[procflow] {subject_line}"
        message.set_content(body)
        try:
            with self._smtp() as smtp:
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError):
            return False
        return True

    def _smtp(self) -> Any:
        s = self.settings
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
        if s.smtp_starttls:
            smtp.starttls()
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        return smtp

    def _send_one(self, smtp: Any, row: Any) -> int:
        if not row.email:
            return 0
        language = normalize_locale(row.language)  # the recipient's, not the sender's
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = f"{row.full_name} <{row.email}>"
        message["Subject"] = f"[procflow] {subject(row.kind, language)}"
        message.set_content(wording(row.message_key, row.params, language))
        error = None
        try:
            smtp.send_message(message)
        except smtplib.SMTPException as exc:  # recorded on the notification; the inbox still shows it
            error = str(exc)
        with self.db.transaction() as conn:
            conn.execute(update(_notes).where(_notes.c.id == row.id).values(
                emailed_at=None if error else self.clock.now(), email_error=error))
        return 0 if error else 1


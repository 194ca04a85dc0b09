"""Notifications: stored for the inbox, and e-mailed through SMTP when it is configured."""

from __future__ import annotations

import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import Membership, Notification, User
from engine.settings import Settings

_notes = table_of(Notification)
_INSERT = insert(_notes).returning(_notes.c.id)


def notify(conn: Connection, usernames: list[str], *, kind: str, message: str, instance_id: int | None,
           task_id: str | None, now: datetime) -> list[int]:
    """Store one notification per user; return their ids (to be e-mailed after commit)."""
    rows = [{"username": u, "kind": kind, "message": message, "instance_id": instance_id, "task_id": task_id,
             "created_at": now, "read_at": None, "emailed_at": None, "email_error": None}
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
                select(Notification.id, Notification.message, Notification.kind, User.email, User.full_name)
                .join(User, User.username == Notification.username)
                .where(Notification.id.in_(notification_ids), Notification.emailed_at.is_(None))).all()
        sent = 0
        with self._smtp() as smtp:
            for row in rows:
                sent += self._send_one(smtp, row)
        return sent

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
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = f"{row.full_name} <{row.email}>"
        message["Subject"] = f"[procflow] {SUBJECTS.get(row.kind, row.kind)}"
        message.set_content(row.message)
        error = None
        try:
            smtp.send_message(message)
        except smtplib.SMTPException as exc:  # recorded on the notification; the inbox still shows it
            error = str(exc)
        with self.db.transaction() as conn:
            conn.execute(update(_notes).where(_notes.c.id == row.id).values(
                emailed_at=None if error else self.clock.now(), email_error=error))
        return 0 if error else 1


SUBJECTS = {
    "reminder": "Nhắc việc sắp đến hạn / Task due soon",
    "escalation": "Việc quá hạn / Overdue task",
    "reassigned": "Việc được chuyển cho đồng chí / Task reassigned to you",
    "delegated": "Việc được giao cho đồng chí / Task delegated to you",
}

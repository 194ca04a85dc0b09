"""A user's notifications in the inbox (reminders, escalations, reassigned, delegated or returned work)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, update

from engine.clock import Clock
from engine.errors import InvalidInput
from engine.i18n import N_, normalize_locale
from engine.notify.wording import wording
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import Instance, Notification

MAX_PER_PAGE = 200

_notes = table_of(Notification)
_MINE = _notes.c.username == bindparam("user")
_cases = table_of(Instance)
_PAGE = (select(_notes.c.id, _notes.c.kind, _notes.c.instance_id, _notes.c.task_id, _notes.c.message_key,
                _notes.c.params, _notes.c.created_at, _notes.c.read_at, _cases.c.summary.label("case_title"),
                func.count().over().label("total"))
         .select_from(_notes.outerjoin(_cases, _cases.c.id == _notes.c.instance_id))
         .where(_MINE).order_by(_notes.c.read_at.is_not(None), _notes.c.created_at.desc(), _notes.c.id.desc())
         .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))
_UNREAD = select(func.count()).select_from(_notes).where(_MINE, _notes.c.read_at.is_(None))
_MARK = (update(_notes).where(_MINE, _notes.c.read_at.is_(None), _notes.c.id.in_(bindparam("ids", expanding=True)))
         .values(read_at=bindparam("b_now")))
_MARK_ALL = update(_notes).where(_MINE, _notes.c.read_at.is_(None)).values(read_at=bindparam("b_now"))


@dataclass(frozen=True)
class NotificationView:
    """One notification as the inbox lists it, its text in the reader's language."""

    id: int
    kind: str
    instance_id: int | None
    task_id: str | None
    message: str
    created_at: datetime
    read_at: datetime | None
    case_title: str | None = None  # the case's title (procflow:title), to name the case's link

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        out["read_at"] = self.read_at.isoformat() if self.read_at else None
        return out


@dataclass(frozen=True)
class NotificationPage:
    """A page of notifications, with the total and the number still unread."""

    rows: list[NotificationView]
    total: int
    unread: int
    page: int
    per_page: int


class NotificationService:
    """Lists a user's notifications (unread first) and marks them read; nobody touches another's."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def list_for(self, user: str, *, page: int = 1, per_page: int = 20, locale: str = "vi") -> NotificationPage:
        """One page of ``user``'s notifications: unread ones first, then newest first, worded in ``locale``."""
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidInput(N_("page must be >= 1 and per_page between 1 and 200"),
                               {"page": ["out of range"], "per_page": ["out of range"]})
        with self.db.connect() as conn:
            rows = conn.execute(_PAGE, {"user": user, "limit": per_page, "offset": (page - 1) * per_page}).all()
            unread = conn.execute(_UNREAD, {"user": user}).scalar_one()
            total = rows[0].total if rows else self._total(conn, user)
        language = normalize_locale(locale)
        views = [NotificationView(r.id, r.kind, r.instance_id, r.task_id, wording(r.message_key, r.params, language),
                                  r.created_at, r.read_at, r.case_title) for r in rows]
        return NotificationPage(views, int(total), int(unread), page, per_page)

    def unread_count(self, user: str) -> int:
        """How many of ``user``'s notifications are unread."""
        with self.db.connect() as conn:
            return int(conn.execute(_UNREAD, {"user": user}).scalar_one())

    def mark_read(self, user: str, notification_ids: list[int]) -> int:
        """Mark some of ``user``'s notifications read (ids of other users' are ignored); return how many."""
        if not notification_ids:
            return 0
        with self.db.transaction() as conn:
            result = conn.execute(_MARK, {"user": user, "ids": list(notification_ids), "b_now": self.clock.now()})
            return int(result.rowcount)

    def mark_all_read(self, user: str) -> int:
        """Mark every unread notification of ``user`` read; return how many."""
        with self.db.transaction() as conn:
            return int(conn.execute(_MARK_ALL, {"user": user, "b_now": self.clock.now()}).rowcount)

    def _total(self, conn: Any, user: str) -> int:
        return int(conn.execute(select(func.count()).select_from(_notes).where(_MINE), {"user": user}).scalar_one())

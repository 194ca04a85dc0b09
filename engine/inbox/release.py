"""Where a task goes when its holder lets go of it ("Bỏ nhận", docs/inbox.md): back where it came from.

Work claimed from a group goes back to the group. Work given to someone personally goes back to whoever gave it:
the colleague who delegated it, the holder a manager took it from (else that manager), or, for a task the model
assigned by name (a specialist chosen by the head of unit), the person whose completed step chose them. Nobody
suitable (gone, inactive, oneself): the task's groups, as for claimed work. The case's history of the task says
which one applies: the latest act that made the user its holder.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.persistence.models import HistoryEvent, User
from engine.persistence.repository import OpenTask

_HANDED = ("task_created", "task_claimed", "task_delegated", "task_reassigned", "task_unclaimed")
_CHOOSERS = ("task_completed", "instance_started")


def returns_to(conn: Connection, task: OpenTask, user: str) -> str | None:
    """The person ``user``'s task goes back to when they let go of it; None: back to the task's groups."""
    h = HistoryEvent
    rows = conn.execute(select(h.id, h.kind, h.actor, h.data)
                        .where(h.instance_id == task.instance_id, h.task_id == task.id, h.kind.in_(_HANDED))
                        .order_by(h.id.desc())).all()
    for row in rows:
        data: dict[str, Any] = row.data or {}
        if row.kind in ("task_claimed", "task_unclaimed"):
            return None  # taken from (or given back to) the groups
        if row.kind == "task_delegated" and data.get("to") == user:
            return _active(conn, row.actor, user)
        if row.kind == "task_reassigned" and data.get("to") == user:
            return _active(conn, data.get("from"), user) or _active(conn, row.actor, user)
        if row.kind == "task_created" and data.get("assignee") == user:
            return _active(conn, _chooser(conn, task.instance_id, row.id, user), user)
    return None


def _chooser(conn: Connection, instance_id: int, before_id: int, user: str) -> str | None:
    """Who completed the step that routed the task (the latest act of someone else before it was created)."""
    h = HistoryEvent
    return conn.execute(select(h.actor).where(h.instance_id == instance_id, h.id < before_id, h.kind.in_(_CHOOSERS),
                                              h.actor.is_not(None), h.actor != user)
                        .order_by(h.id.desc()).limit(1)).scalar()


def _active(conn: Connection, username: str | None, user: str) -> str | None:
    if not username or username == user:
        return None
    found = conn.execute(select(User.active).where(User.username == username)).scalar()
    return username if found else None

"""Form drafts: what a user has typed into a task's form, saved as they type so nothing is lost.

A draft is one row per (task, user) in the database, so it survives a closed tab, a dropped connection and a
server restart. It is deleted with its task: the ``drafts.task_id`` foreign key cascades from the inbox row
that the runtime deletes when the task closes (completed, cancelled, or its case terminated).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput
from engine.i18n import N_
from engine.inbox.work import closed_task_error
from engine.persistence import repository
from engine.persistence.base import table_of
from engine.persistence.case_models import Draft
from engine.persistence.db import Database
from engine.runtime.checks import check_may_work, require_json

MAX_DRAFT_BYTES = 512 * 1024

_drafts = table_of(Draft)
_KEY = (_drafts.c.task_id == bindparam("task_id")) & (_drafts.c.username == bindparam("user"))
_LOAD = select(_drafts.c.data, _drafts.c.updated_at).where(_KEY)
_DELETE = delete(_drafts).where(_KEY)


@dataclass(frozen=True)
class DraftView:
    """A saved draft of one user for one task."""

    task_id: str
    data: dict[str, Any]
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"task_id": self.task_id, "data": self.data, "updated_at": self.updated_at.isoformat()}


class DraftService:
    """Saves, loads and deletes a user's draft of a task's form."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def save(self, task_id: str, user: str, data: dict[str, Any]) -> DraftView:
        """Store ``data`` as ``user``'s draft of the task (replacing the previous one).

        Raises:
            InvalidInput: the data is not plain JSON or is larger than 512 KB.
            PermissionDenied: the user may not work on the task.
            Conflict: the task was completed meanwhile (NotFound if it never existed).
        """
        require_json(data)
        if len(json.dumps(data)) > MAX_DRAFT_BYTES:
            raise InvalidInput(N_("the draft is too large"), {"data": [f"at most {MAX_DRAFT_BYTES // 1024} KB"]})
        now = self.clock.now()
        with self.db.transaction() as conn:
            task = repository.read_task(conn, task_id, user)
            if task is None:
                raise closed_task_error(conn, task_id)
            check_may_work(task, user)
            try:
                _upsert(conn, {"task_id": task_id, "username": user, "data": data, "updated_at": now})
            except IntegrityError as exc:  # the task closed between the read and the write (PostgreSQL)
                raise Conflict(N_("task {task_id} was closed meanwhile"), task_id=task_id) from exc
        return DraftView(task_id, data, now)

    def load(self, task_id: str, user: str) -> DraftView | None:
        """The user's own draft of the task, or None."""
        with self.db.connect() as conn:
            row = conn.execute(_LOAD, {"task_id": task_id, "user": user}).first()
        return DraftView(task_id, row.data, row.updated_at) if row is not None else None

    def delete(self, task_id: str, user: str) -> bool:
        """Discard the user's draft of the task; True if there was one."""
        with self.db.transaction() as conn:
            return bool(conn.execute(_DELETE, {"task_id": task_id, "user": user}).rowcount)


def _upsert(conn: Connection, row: dict[str, Any]) -> None:
    """Insert the draft or overwrite the existing one, in one statement."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_drafts).values(row)
    conn.execute(statement.on_conflict_do_update(
        index_elements=[_drafts.c.task_id, _drafts.c.username],
        set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at}))

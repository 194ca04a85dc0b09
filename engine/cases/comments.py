"""Comments on cases: remarks by anyone who may see the case, kept in order and named in its history."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import bindparam, insert, select

from engine.cases.visibility import CaseAccess, require_task_of_case
from engine.clock import Clock
from engine.persistence import repository
from engine.persistence.base import table_of
from engine.persistence.case_models import Comment
from engine.persistence.db import Database
from engine.runtime.checks import load_input

MAX_COMMENT_LENGTH = 4000

_comments = table_of(Comment)
_INSERT = insert(_comments).returning(_comments.c.id)
_LIST = (select(_comments.c.id, _comments.c.instance_id, _comments.c.task_id, _comments.c.username,
                _comments.c.text, _comments.c.created_at)
         .where(_comments.c.instance_id == bindparam("instance_id")).order_by(_comments.c.id))


class CommentSchema(Schema):
    """What adding a comment takes."""

    text = fields.String(required=True, validate=validate.Length(1, MAX_COMMENT_LENGTH))
    task_id = fields.UUID(load_default=None, allow_none=True)


COMMENT = CommentSchema()


@dataclass(frozen=True)
class CommentView:
    """A comment as the case page shows it."""

    id: int
    instance_id: int
    task_id: str | None
    username: str
    text: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        return out


class CommentService:
    """Adds and lists comments of a case, for users who may see it."""

    def __init__(self, *, db: Database, clock: Clock, access: CaseAccess) -> None:
        self.db = db
        self.clock = clock
        self.access = access

    def add(self, instance_id: int, user: str, text: str, *, task_id: str | None = None) -> CommentView:
        """Add ``user``'s comment to the case, optionally about one of its tasks (open or done).

        Raises:
            InvalidInput: empty or longer than 4,000 characters, or a task of another case.
            NotFound: no such case; PermissionDenied: the user may not see it.
        """
        args = load_input(COMMENT, {"text": (text or "").strip(), "task_id": task_id})
        task = str(args["task_id"]) if args["task_id"] else None
        now = self.clock.now()
        with self.db.transaction() as conn:
            self.access.require(conn, user, instance_id)
            if task is not None:
                require_task_of_case(conn, instance_id, task)
            row = {"instance_id": instance_id, "task_id": task, "username": user, "text": args["text"],
                   "created_at": now}
            comment_id = conn.execute(_INSERT, row).scalar_one()
            repository.add_history(conn, [{"instance_id": instance_id, "at": now, "kind": "comment_added",
                                           "task_id": task, "actor": user, "data": {"comment_id": comment_id}}])
        return CommentView(comment_id, instance_id, task, user, args["text"], now)

    def list_for(self, instance_id: int, user: str) -> list[CommentView]:
        """The case's comments, oldest first, if ``user`` may see the case."""
        with self.db.connect() as conn:
            self.access.require(conn, user, instance_id)
            rows = conn.execute(_LIST, {"instance_id": instance_id}).all()
        return [CommentView(r.id, r.instance_id, r.task_id, r.username, r.text, r.created_at) for r in rows]


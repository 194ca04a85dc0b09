"""The access log: who viewed which case or downloaded which of its documents, when; hash-chained per case.

Each row carries its position in the case's chain (``seq``) and a SHA-256 over its fields and the previous row's
hash (engine/persistence/chain.py). The previous row is read by the unique index on (instance_id, seq); on
PostgreSQL an advisory lock per case makes two views of the same case queue (views of different cases do not
wait for each other, nor for steps), and the unique index refuses a fork should anything slip past it. On SQLite
the writing transaction (BEGIN IMMEDIATE) queues writers anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.persistence.audit_models import AccessLogEntry
from engine.persistence.chain import ACCESS_FIELDS, GENESIS, row_hash
from engine.persistence.db import Database
from engine.persistence.prepared import Prepared

CASE_VIEWED = "case_viewed"
ATTACHMENT_DOWNLOADED = "attachment_downloaded"
DOCUMENT_VIEWED = "document_viewed"
DOCUMENT_DOWNLOADED = "document_file_downloaded"
# The first key of PostgreSQL's two-key advisory locks taken for access chains (the second is the case id).
ACCESS_LOCK_SPACE = 0x61636C  # "acl"

_log: Table = cast(Table, AccessLogEntry.__table__)
_LAST = Prepared(select(_log.c.seq, _log.c.hash).where(_log.c.instance_id == bindparam("instance_id"))
                 .order_by(_log.c.seq.desc()).limit(1))
_INSERT = Prepared(insert(_log), columns=(*ACCESS_FIELDS, "hash"))
_LOCK_CASE = Prepared(select(func.pg_advisory_xact_lock(bindparam("space"), bindparam("instance_id"))))


class AccessLog:
    """Appends who viewed or downloaded what to the case's access chain."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def record(self, instance_id: int, username: str, action: str, *, attachment_id: int | None = None) -> None:
        """Record that ``username`` did ``action`` (viewed the case, downloaded ``attachment_id``), now."""
        with self.db.transaction() as conn:
            append(conn, instance_id, username, action, self.clock, attachment_id=attachment_id)


def append(conn: Connection, instance_id: int, username: str, action: str, clock: Clock, *,
           attachment_id: int | None = None, document_id: int | None = None, at: datetime | None = None) -> None:
    """Append one access row in ``conn``'s transaction (``document_id``: the document read, if any; ``at``:
    the moment, by default now, so that one read recorded in several cases' chains has one time)."""
    if conn.dialect.name == "postgresql":
        _LOCK_CASE.rows(conn, {"space": ACCESS_LOCK_SPACE, "instance_id": instance_id})
    last = _LAST.first(conn, {"instance_id": instance_id})
    seq, prev = (last[0], last[1]) if last is not None else (0, GENESIS)
    row = {"instance_id": instance_id, "seq": seq + 1, "at": at or clock.now(), "username": username, "action": action,
           "attachment_id": attachment_id, "document_id": document_id}
    row["hash"] = row_hash(row, ACCESS_FIELDS, prev)
    _INSERT.executemany(conn, [row])

"""Anchors: now and then, one hash over the chain heads of every case changed since the previous anchor.

An anchor lists, for each case whose history or access chain moved on since it was last anchored, the chain's
length and head (``audit_anchor_heads``), and hashes that list with the previous anchor's hash, so anchors form
a chain of their own. Rewriting a case's whole history consistently (every hash recomputed) then no longer
matches the head an anchor recorded for it. Anchors are taken by the workers (engine/queue/worker.py) once per
period (``Settings.audit_anchor_every``): two workers may try at once; on PostgreSQL a transaction-level advisory
lock lets one through and the other sees the period anchored; everywhere, an anchor's id is the previous id + 1,
so a second anchor of the same period would collide on the primary key instead of forking the anchor chain.

Which cases changed: history heads live on ``instances`` (``history_count``) and the last anchored length of each
chain in ``audit_anchored``, so one join finds every case whose history grew, whatever order transactions committed
in. Access rows are found from the previous-but-one anchor's ``access_watermark`` on (the one-period overlap
catches rows that committed after a later row was seen) and kept only where the case's access chain grew.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.persistence.audit_models import AccessLogEntry, AuditAnchor, AuditAnchored, AuditAnchorHead
from engine.persistence.chain import GENESIS, canonical
from engine.persistence.db import Database
from engine.persistence.models import Instance

HISTORY, ACCESS = "history", "access"
ANCHOR_LOCK = (0x61636C, 0)  # PostgreSQL advisory lock keys of the anchoring job

_anchors: Table = cast(Table, AuditAnchor.__table__)
_heads: Table = cast(Table, AuditAnchorHead.__table__)
_anchored: Table = cast(Table, AuditAnchored.__table__)
_instances: Table = cast(Table, Instance.__table__)
_log: Table = cast(Table, AccessLogEntry.__table__)


@dataclass(frozen=True)
class Head:
    """Where one chain of one case stands."""

    chain: str
    instance_id: int
    count: int
    head: str


@dataclass(frozen=True)
class Anchor:
    """An anchor as stored."""

    id: int
    at: datetime
    previous_hash: str
    heads_digest: str
    cases: int
    access_watermark: int
    hash: str


def heads_digest(heads: Iterable[Head]) -> str:
    """SHA-256 over the heads, one canonical JSON line each, in (chain, case) order (the caller sorts)."""
    digest = hashlib.sha256()
    for h in heads:
        digest.update(canonical([h.chain, h.instance_id, h.count, h.head]) + b"\n")
    return digest.hexdigest()


def anchor_hash(anchor_id: int, at: datetime, previous: str, digest: str, cases: int, watermark: int) -> str:
    """The hash of an anchor's own fields (what a signature would later sign)."""
    return hashlib.sha256(canonical({"id": anchor_id, "at": at, "previous": previous, "heads": digest,
                                     "cases": cases, "access_watermark": watermark})).hexdigest()


class AnchorService:
    """Takes anchors over the chain heads of changed cases."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def anchor(self, *, every: timedelta | None = None) -> Anchor | None:
        """Anchor the chains of every case changed since the last anchor.

        Args:
            every: the period: nothing is done if an anchor was already taken in the current period (periods are
                aligned to the epoch, so workers agree on them); None anchors now whatever the last one was.

        Returns:
            the new anchor, or None when another worker holds the job, the period is anchored, or nothing changed.
        """
        now = self.clock.now()
        with self.db.transaction() as conn:
            if conn.dialect.name == "postgresql" and not conn.execute(
                    select(func.pg_try_advisory_xact_lock(*ANCHOR_LOCK))).scalar():
                return None
            last = _last_anchors(conn)
            if every is not None and last and last[0].at >= _period_start(now, every):
                return None
            heads = _changed_heads(conn, last)
            if not heads:
                return None
            return _write(conn, now, last[0] if last else None, heads, _watermark(conn))


def _period_start(now: datetime, every: timedelta) -> datetime:
    seconds = every.total_seconds()
    start = (now.timestamp() // seconds) * seconds
    return datetime.fromtimestamp(start, UTC)


def _last_anchors(conn: Connection) -> list[Anchor]:
    """The last two anchors, newest first."""
    rows = conn.execute(select(_anchors.c.id, _anchors.c.at, _anchors.c.previous_hash, _anchors.c.heads_digest,
                               _anchors.c.cases, _anchors.c.access_watermark, _anchors.c.hash)
                        .order_by(_anchors.c.id.desc()).limit(2)).all()
    return [Anchor(*row) for row in rows]


def _watermark(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(_log.c.id), 0))).scalar_one())


def _changed_heads(conn: Connection, last: list[Anchor]) -> list[Head]:
    anchored = _anchored.alias("a")
    history = conn.execute(
        select(_instances.c.id, _instances.c.history_count, _instances.c.history_head)
        .outerjoin(anchored, and_(anchored.c.chain == HISTORY, anchored.c.instance_id == _instances.c.id))
        .where(_instances.c.history_count != func.coalesce(anchored.c.count, 0))).all()
    heads = [Head(HISTORY, i, n, h) for i, n, h in history]
    since = last[1].access_watermark if len(last) > 1 else 0
    newest = _log.alias("newest")
    top = select(func.max(newest.c.seq)).where(newest.c.instance_id == _log.c.instance_id).scalar_subquery()
    access = conn.execute(
        select(_log.c.instance_id, _log.c.seq, _log.c.hash, func.coalesce(anchored.c.count, 0))
        .outerjoin(anchored, and_(anchored.c.chain == ACCESS, anchored.c.instance_id == _log.c.instance_id))
        .where(_log.c.id > since, _log.c.seq == top)).all()
    heads += [Head(ACCESS, i, n, h) for i, n, h, was in access if n != was]
    return sorted(heads, key=lambda h: (h.chain, h.instance_id))


def _write(conn: Connection, now: datetime, previous: Anchor | None, heads: list[Head], watermark: int) -> Anchor:
    anchor_id = previous.id + 1 if previous else 1
    prev_hash = previous.hash if previous else GENESIS
    digest = heads_digest(heads)
    watermark = max(watermark, previous.access_watermark if previous else 0)
    anchor = Anchor(anchor_id, now, prev_hash, digest, len(heads), watermark,
                    anchor_hash(anchor_id, now, prev_hash, digest, len(heads), watermark))
    conn.execute(insert(_anchors), [{**anchor.__dict__, "signature": None}])
    conn.execute(insert(_heads), [{"anchor_id": anchor_id, **h.__dict__} for h in heads])
    _remember(conn, heads)
    return anchor


def _remember(conn: Connection, heads: list[Head]) -> None:
    """Keep how far each chain is anchored now (update the known ones, insert the others)."""
    known = {(c, i) for c, i in conn.execute(select(_anchored.c.chain, _anchored.c.instance_id).where(
        _anchored.c.instance_id.in_({h.instance_id for h in heads})))} if len(heads) < 5000 else {
        (c, i) for c, i in conn.execute(select(_anchored.c.chain, _anchored.c.instance_id))}
    old = [{"b_chain": h.chain, "b_id": h.instance_id, "count": h.count} for h in heads
           if (h.chain, h.instance_id) in known]
    new = [{"chain": h.chain, "instance_id": h.instance_id, "count": h.count} for h in heads
           if (h.chain, h.instance_id) not in known]
    if old:
        conn.execute(update(_anchored).where(_anchored.c.chain == bindparam("b_chain"),
                                             _anchored.c.instance_id == bindparam("b_id")), old)
    if new:
        conn.execute(insert(_anchored), new)

"""Verification: walk every case's history and access chains and the anchors, and name what does not hold.

Rows are streamed case by case in id order (a server-side cursor on PostgreSQL) inside one consistent snapshot,
so a database with millions of rows verifies in constant memory, apart from the cases' heads and the anchored
checkpoints. For each row: it must have a hash, its position must follow the previous row's, and its hash must be
the hash of its content chained to the previous row's. At the end of a case, the chain must end where the case's
recorded head (``instances.history_head``, ``history_count``) says. Wherever an anchor recorded a case's chain
(length, head), the chain at that length must have that head: so a case whose history was rewritten whole, hashes
and head recomputed, is still caught if an anchor saw it before. The anchors themselves must follow one another,
each hash matching its fields and the digest of its heads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection

from engine.audit.anchors import ACCESS, HISTORY, Head, anchor_hash, heads_digest
from engine.persistence.audit_models import AccessLogEntry, AuditAnchor, AuditAnchorHead
from engine.persistence.chain import ACCESS_FIELDS, GENESIS, HISTORY_FIELDS, fields_hash
from engine.persistence.db import Database
from engine.persistence.models import HistoryEvent, Instance
from engine.persistence.retention_models import ArchivedCase

BATCH = 10_000
_history: Table = cast(Table, HistoryEvent.__table__)
_log: Table = cast(Table, AccessLogEntry.__table__)
_anchors: Table = cast(Table, AuditAnchor.__table__)
_heads: Table = cast(Table, AuditAnchorHead.__table__)
_instances: Table = cast(Table, Instance.__table__)
_archived: Table = cast(Table, ArchivedCase.__table__)


@dataclass(frozen=True)
class Problem:
    """One thing that does not hold: where (chain, case, row id) and what."""

    chain: str  # history | access | anchors
    instance_id: int | None
    row_id: int | None
    message: str

    def __str__(self) -> str:
        if self.chain == "anchors":
            return f"anchors: {self.message}"
        row = f", {self.chain} row {self.row_id}" if self.row_id is not None else ""
        return f"case {self.instance_id}{row}: {self.message}"


@dataclass
class Report:
    """What verification found."""

    problems: list[Problem] = field(default_factory=list)
    cases: int = 0
    history_rows: int = 0
    access_rows: int = 0
    anchors: int = 0
    archived: int = 0  # cases whose rows are in archive files (their anchored heads checked against archived_cases)
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        """True when nothing was found."""
        return not self.problems


# (chain, case) -> [(count, head, anchor id)], in anchor order
Checkpoints = dict[tuple[str, int], list[tuple[int, str, int]]]


class Verifier:
    """Checks the history and access chains of every case and the anchors over them."""

    def __init__(self, *, db: Database) -> None:
        self.db = db

    def verify(self) -> Report:
        """Walk everything once; every problem is reported, the first of each case (later rows follow from it)."""
        started = time.perf_counter()
        report = Report()
        with _snapshot(self.db) as conn:
            checkpoints = _check_anchors(conn, report)
            recorded = {i: (h, n) for i, h, n in conn.execute(
                select(_instances.c.id, _instances.c.history_head, _instances.c.history_count)
                .where(_instances.c.history_count > 0))}
            history = _ChainCheck(HISTORY, HISTORY_FIELDS, checkpoints, report, recorded)
            report.history_rows = history.run(_stream(conn, _history, HISTORY_FIELDS, _history.c.id))
            access = _ChainCheck(ACCESS, ACCESS_FIELDS, checkpoints, report, None)
            report.access_rows = access.run(_stream(conn, _log, ACCESS_FIELDS, _log.c.seq))
            report.cases = len(history.seen | set(recorded))
            archived = {r.instance_id: {HISTORY: (r.history_count, r.history_head),
                                        ACCESS: (r.access_count, r.access_head)}
                        for r in conn.execute(select(_archived))}
            report.archived = len(archived)
            for (chain, instance_id), points in sorted(checkpoints.items()):
                done = history.seen if chain == HISTORY else access.seen
                if instance_id in archived and instance_id not in done:
                    _archived_problems(report, chain, instance_id, points, archived[instance_id][chain])
                elif instance_id not in done:
                    count, _, anchor_id = points[-1]
                    report.problems.append(Problem(chain, instance_id, None, f"all {count} rows anchored by "
                                                   f"anchor #{anchor_id} are gone (deleted)"))
            for instance_id, (_, count) in sorted(recorded.items()):
                if instance_id not in history.seen:
                    report.problems.append(Problem(HISTORY, instance_id, None, f"the case records {count} history "
                                                   "rows but none is left (deleted)"))
        report.seconds = time.perf_counter() - started
        return report


def _archived_problems(report: Report, chain: str, instance_id: int, points: list[Any],
                       ended: tuple[int, str]) -> None:
    """An archived case's anchored heads must lie within the chain it was archived with: none past its end, and
    the one at its end equal to the head recorded at archiving (the archive file verifies the rest on its own:
    ``procflow archive verify``)."""
    count, head = ended
    for anchored_count, anchored_head, anchor_id in points:
        if anchored_count > count or (anchored_count == count and anchored_head != head):
            report.problems.append(Problem(chain, instance_id, None, f"anchor #{anchor_id} recorded {anchored_count} "
                                           f"rows, but the case was archived with {count} rows ending elsewhere"))
            return


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """A connection reading one consistent snapshot: REPEATABLE READ on PostgreSQL, a deferred transaction on
    SQLite (after its first read it sees one snapshot of the WAL)."""
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.execution_options(sqlite_begin="DEFERRED")
            conn.begin()
            try:
                yield conn
            finally:
                conn.rollback()
        return
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def _stream(conn: Connection, table: Table, names: tuple[str, ...], order: Any) -> Iterator[Any]:
    columns = [table.c.id, *(table.c[name] for name in names), table.c.hash]
    query = select(*columns).order_by(table.c.instance_id, order)
    yield from conn.execute(query, execution_options={"stream_results": True, "yield_per": BATCH})


class _ChainCheck:
    """Checks the rows of one kind of chain, streamed by case and position."""

    def __init__(self, chain: str, names: tuple[str, ...], checkpoints: Checkpoints, report: Report,
                 recorded: dict[int, tuple[str, int]] | None) -> None:
        self.chain, self.names, self.checkpoints, self.report, self.recorded = (chain, names, checkpoints, report,
                                                                               recorded)
        self.seen: set[int] = set()
        self.case_at = names.index("instance_id") + 1
        self.seq_at = names.index("seq") + 1

    def run(self, rows: Iterator[Any]) -> int:
        total = 0
        for instance_id, group in groupby(rows, key=lambda r: r[self.case_at]):
            self.seen.add(instance_id)
            total += self._case(instance_id, group)
        return total

    def _problem(self, instance_id: int, row_id: int | None, message: str) -> None:
        self.report.problems.append(Problem(self.chain, instance_id, row_id, message))

    def _case(self, instance_id: int, rows: Iterator[Any]) -> int:
        points = sorted(self.checkpoints.get((self.chain, instance_id), []))
        prev, before_prev, prev_id, count, done = GENESIS, GENESIS, None, 0, 0
        broken = False
        for row in rows:
            done += 1
            if broken:
                continue
            problem = self._row(row, count, prev, before_prev, prev_id)
            if problem is not None:
                self._problem(instance_id, *problem)
                broken = True
                continue
            before_prev, prev, prev_id, count = prev, row[-1], row[0], count + 1
            while points and points[0][0] == count:
                _, head, anchor_id = points.pop(0)
                if head != prev:
                    self._problem(instance_id, row[0], f"the chain up to this row (position {count}) does not match "
                                  f"anchor #{anchor_id}: the case's {self.chain} was rewritten at or before it")
                    broken = True
                    break
        if not broken:
            self._end(instance_id, prev, prev_id, count, points)
        return done

    def _row(self, row: Any, count: int, prev: str, before_prev: str, prev_id: int | None
             ) -> tuple[int | None, str] | None:
        """What is wrong with a row that should be at position ``count + 1`` after ``prev`` (None: nothing)."""
        row_id, seq, stored = row[0], row[self.seq_at], row[-1]
        if stored is None:
            return row_id, "has no hash: it was inserted outside the chain"
        expected = count + 1
        if seq is None or seq < expected:
            if count and fields_hash(self._fields(row), before_prev) == stored:
                return prev_id, f"was inserted: the next row (id {row_id}) is chained to the row before it"
            return row_id, f"was inserted: it repeats position {seq} of the chain"
        if seq > expected:
            missing = f"position {expected}" if seq == expected + 1 else f"positions {expected}-{seq - 1}"
            return row_id, f"the row(s) at {missing}, before this one, were deleted"
        if fields_hash(self._fields(row), prev) != stored:
            return row_id, "was edited: its content does not match its hash"
        return None

    def _fields(self, row: Any) -> dict[str, Any]:
        return {name: value for name, value in zip(self.names, row[1:-1], strict=True) if value is not None}

    def _end(self, instance_id: int, head: str, last_id: int | None, count: int,
             points: list[tuple[int, str, int]]) -> None:
        if points:
            anchored, _, anchor_id = points[-1]
            self._problem(instance_id, last_id, f"the chain ends at position {count} but anchor #{anchor_id} "
                          f"recorded {anchored} rows: the rows after this one were deleted")
            return
        if self.recorded is None:
            return
        recorded_head, recorded_count = self.recorded.get(instance_id, (GENESIS, 0))
        if count < recorded_count:
            self._problem(instance_id, last_id, f"the chain ends at position {count} but the case records "
                          f"{recorded_count} rows: the rows after this one were deleted")
        elif count > recorded_count:
            self._problem(instance_id, last_id, f"the chain goes on past the case's recorded {recorded_count} "
                          f"rows to {count}: rows were appended outside a step")
        elif head != recorded_head:
            self._problem(instance_id, last_id, "the chain's last hash is not the case's recorded head: the "
                          "case's history was rewritten")


def _check_anchors(conn: Connection, report: Report) -> Checkpoints:
    """Check the anchor chain; return each case's anchored checkpoints."""
    checkpoints: Checkpoints = {}
    anchors = conn.execute(select(_anchors.c.id, _anchors.c.at, _anchors.c.previous_hash, _anchors.c.heads_digest,
                                  _anchors.c.cases, _anchors.c.access_watermark, _anchors.c.hash)
                           .order_by(_anchors.c.id)).all()
    rows = conn.execute(select(_heads.c.anchor_id, _heads.c.chain, _heads.c.instance_id, _heads.c.count,
                               _heads.c.head).order_by(_heads.c.anchor_id, _heads.c.chain, _heads.c.instance_id),
                        execution_options={"stream_results": True, "yield_per": BATCH})
    heads_of = groupby(rows, key=lambda r: r[0])
    pending = next(heads_of, None)
    previous, expected_id = GENESIS, 1
    for anchor_id, at, prev_hash, digest, cases, watermark, stored in anchors:
        heads: list[Head] = []
        while pending is not None and pending[0] <= anchor_id:
            if pending[0] == anchor_id:
                heads = [Head(r[1], r[2], r[3], r[4]) for r in pending[1]]
            else:
                _anchor_problem(report, f"heads are recorded for anchor #{pending[0]}, which is missing")
            pending = next(heads_of, None)
        if anchor_id != expected_id:
            _anchor_problem(report, f"anchor #{expected_id} is missing (the next is #{anchor_id})")
        elif prev_hash != previous:
            _anchor_problem(report, f"anchor #{anchor_id} does not follow anchor #{anchor_id - 1}")
        if anchor_hash(anchor_id, at, prev_hash, digest, cases, watermark) != stored:
            _anchor_problem(report, f"anchor #{anchor_id} was edited: its fields do not match its hash")
        elif heads_digest(heads) != digest or len(heads) != cases:
            _anchor_problem(report, f"the heads of anchor #{anchor_id} were edited, added or deleted")
        for h in heads:
            checkpoints.setdefault((h.chain, h.instance_id), []).append((h.count, h.head, anchor_id))
        previous, expected_id = stored, anchor_id + 1
    report.anchors = len(anchors)
    return checkpoints


def _anchor_problem(report: Report, message: str) -> None:
    report.problems.append(Problem("anchors", None, None, message))

"""Cases with history and views to verify, and the ways an attacker with database access would tamper with them."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import insert, select, update

from engine.persistence.chain import GENESIS, HISTORY_FIELDS, row_hash
from engine.persistence.models import HistoryEvent, Instance
from engine.services import Services
from tests.engine.inbox.inbox_support import prepare, start_document

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


def busy_cases(services: Services) -> tuple[int, int]:
    """Two cases with interleaved history (steps, comments, a file), views and a download."""
    prepare(services)
    a = start_document(services, "VB-A")
    b = start_document(services, "VB-B")
    services.comments.add(a, "vanthu", "Đã nhận")
    added = services.attachments.add(b, "vanthu", "cv.pdf", io.BytesIO(PDF))
    services.comments.add(b, "vanthu", "Xem tệp")
    services.comments.add(a, "vanthu", "Chuyển xử lý")
    services.cases.case(a, "vanthu")
    services.cases.case(b, "chanhvp")
    with services.attachments.open(added.id, "vanthu"):
        pass
    return a, b


def history_ids(services: Services, instance_id: int) -> list[int]:
    with services.db.connect() as conn:
        return list(conn.scalars(select(HistoryEvent.id).where(HistoryEvent.instance_id == instance_id)
                                 .order_by(HistoryEvent.id)))


def tamper(services: Services, statement: Any, rows: Any = None) -> None:
    """Change the database behind the engine's back, as someone with write access to it would."""
    with services.db.engine.begin() as conn:
        conn.execute(statement, rows) if rows is not None else conn.execute(statement)


def rewrite_case(services: Services, instance_id: int, **changes: Any) -> None:
    """Change a case's first row and recompute every hash of its chain and its head: a consistent rewrite."""
    columns = [HistoryEvent.id, *(getattr(HistoryEvent, name) for name in HISTORY_FIELDS)]
    with services.db.engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(*columns).where(HistoryEvent.instance_id == instance_id)
                                                       .order_by(HistoryEvent.id))]
        rows[0].update(changes)
        head = GENESIS
        for row in rows:
            head = row_hash(row, HISTORY_FIELDS, head)
            conn.execute(update(HistoryEvent).where(HistoryEvent.id == row["id"]).values(hash=head, **changes)
                         if row is rows[0] else
                         update(HistoryEvent).where(HistoryEvent.id == row["id"]).values(hash=head))
        conn.execute(update(Instance).where(Instance.id == instance_id).values(history_head=head))


def forge_row(services: Services, instance_id: int, *, seq: int, after_seq: int, **fields: Any) -> int:
    """Insert a history row correctly hashed after the row at ``after_seq``; return its id."""
    with services.db.engine.begin() as conn:
        prev = conn.execute(select(HistoryEvent.hash).where(HistoryEvent.instance_id == instance_id,
                                                            HistoryEvent.seq == after_seq)).scalar_one()
        at = conn.execute(select(HistoryEvent.at).where(HistoryEvent.instance_id == instance_id)).scalars().first()
        row = {"instance_id": instance_id, "at": at, "kind": "comment_added", "actor": "vanthu", "seq": seq, **fields}
        row["hash"] = row_hash(row, HISTORY_FIELDS, prev)
        return int(conn.execute(insert(HistoryEvent).values(**row).returning(HistoryEvent.id)).scalar_one())


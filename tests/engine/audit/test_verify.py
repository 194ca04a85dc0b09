"""`procflow audit verify` on the real database: intact chains pass; each kind of tampering is named."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from engine.audit.verify import Report
from engine.persistence.audit_models import AccessLogEntry, AuditAnchorHead
from engine.persistence.models import HistoryEvent, Instance
from engine.services import Services
from tests.engine.audit.audit_support import busy_cases, forge_row, history_ids, rewrite_case, tamper


def first(report: Report) -> str:
    assert not report.intact
    return str(report.problems[0])


def test_intact_chains_and_anchors_verify(services: Services) -> None:
    a, b = busy_cases(services)
    assert services.anchors.anchor() is not None
    services.comments.add(a, "vanthu", "Sau mốc")
    services.cases.case(b, "vanthu")
    assert services.anchors.anchor() is not None
    report = services.verifier.verify()
    assert report.intact, report.problems
    assert (report.cases, report.anchors) == (2, 2)
    assert report.history_rows == len(history_ids(services, a)) + len(history_ids(services, b))
    assert report.access_rows == 4


def test_the_chain_head_moves_with_every_row(services: Services) -> None:
    a, _ = busy_cases(services)
    with services.db.connect() as conn:
        count, head = conn.execute(select(Instance.history_count, Instance.history_head)
                                   .where(Instance.id == a)).one()
        last = conn.execute(select(HistoryEvent.seq, HistoryEvent.hash).where(HistoryEvent.instance_id == a)
                            .order_by(HistoryEvent.id.desc()).limit(1)).one()
    assert count == len(history_ids(services, a)) and (count, head) == tuple(last)


def test_an_edited_row_is_named(services: Services) -> None:
    a, _ = busy_cases(services)
    edited = history_ids(services, a)[2]
    tamper(services, update(HistoryEvent).where(HistoryEvent.id == edited).values(actor="ke_gian"))
    assert first(services.verifier.verify()) == (f"case {a}, history row {edited}: was edited: its content does "
                                                 "not match its hash")


def test_a_deleted_row_is_named_by_the_row_after_the_gap(services: Services) -> None:
    a, _ = busy_cases(services)
    ids = history_ids(services, a)
    tamper(services, delete(HistoryEvent).where(HistoryEvent.id == ids[1]))
    assert first(services.verifier.verify()) == (f"case {a}, history row {ids[2]}: the row(s) at position 2, "
                                                 "before this one, were deleted")


def test_deleting_the_last_rows_is_caught_by_the_case_head(services: Services) -> None:
    a, _ = busy_cases(services)
    ids = history_ids(services, a)
    tamper(services, delete(HistoryEvent).where(HistoryEvent.id.in_(ids[-2:])))
    assert first(services.verifier.verify()) == (
        f"case {a}, history row {ids[-3]}: the chain ends at position {len(ids) - 2} but the case records "
        f"{len(ids)} rows: the rows after this one were deleted")


def test_deleting_the_last_rows_and_the_head_is_caught_by_the_anchor(services: Services) -> None:
    a, _ = busy_cases(services)
    services.anchors.anchor()
    ids = history_ids(services, a)
    with services.db.connect() as conn:
        head = conn.execute(select(HistoryEvent.hash).where(HistoryEvent.id == ids[-2])).scalar_one()
    tamper(services, delete(HistoryEvent).where(HistoryEvent.id == ids[-1]))
    tamper(services, update(Instance).where(Instance.id == a).values(history_head=head, history_count=len(ids) - 1))
    assert first(services.verifier.verify()) == (
        f"case {a}, history row {ids[-2]}: the chain ends at position {len(ids) - 1} but anchor #1 recorded "
        f"{len(ids)} rows: the rows after this one were deleted")


def test_an_inserted_row_is_named(services: Services) -> None:
    a, _ = busy_cases(services)
    forged = forge_row(services, a, seq=2, after_seq=1, data={"comment_id": 99})
    assert first(services.verifier.verify()) == (f"case {a}, history row {forged}: was inserted: it repeats "
                                                 "position 2 of the chain")


def test_a_row_chained_in_between_is_named_as_inserted(services: Services) -> None:
    a, _ = busy_cases(services)
    ids = history_ids(services, a)
    # A forged row hashed after position 1 and numbered 2, placed before the real row 2 (ids are free to pick).
    tamper(services, update(HistoryEvent).where(HistoryEvent.id.in_(ids[1:])).values(id=HistoryEvent.id + 1000))
    forged = forge_row(services, a, seq=2, after_seq=1, id=ids[1])
    assert first(services.verifier.verify()) == (f"case {a}, history row {forged}: was inserted: the next row "
                                                 f"(id {ids[1] + 1000}) is chained to the row before it")


def test_a_row_appended_outside_a_step_is_named(services: Services) -> None:
    a, _ = busy_cases(services)
    count = len(history_ids(services, a))
    forge_row(services, a, seq=count + 1, after_seq=count)
    assert first(services.verifier.verify()).endswith(f"the chain goes on past the case's recorded {count} rows "
                                                      f"to {count + 1}: rows were appended outside a step")


def test_a_row_without_hash_is_named(services: Services) -> None:
    a, _ = busy_cases(services)
    last = history_ids(services, a)[-1]
    tamper(services, update(HistoryEvent).where(HistoryEvent.id == last).values(hash=None))
    assert first(services.verifier.verify()) == (f"case {a}, history row {last}: has no hash: it was inserted "
                                                 "outside the chain")


def test_a_whole_case_rewritten_consistently_passes_the_chain_but_not_the_anchor(services: Services) -> None:
    a, b = busy_cases(services)
    rewrite_case(services, b, actor="nguoi_khac")
    assert services.verifier.verify().intact  # without an anchor, a consistent rewrite cannot be told
    rewrite_case(services, b, actor="vanthu")  # back as it was
    services.anchors.anchor()
    rewrite_case(services, b, actor="nguoi_khac")
    ids = history_ids(services, b)
    assert first(services.verifier.verify()) == (
        f"case {b}, history row {ids[-1]}: the chain up to this row (position {len(ids)}) does not match anchor "
        f"#1: the case's history was rewritten at or before it")


def test_a_case_deleted_whole_is_caught_by_the_anchor(services: Services) -> None:
    a, _ = busy_cases(services)
    services.anchors.anchor()
    tamper(services, delete(HistoryEvent).where(HistoryEvent.instance_id == a))
    tamper(services, update(Instance).where(Instance.id == a).values(history_count=0))
    assert f"case {a}: all " in first(services.verifier.verify())


def test_access_rows_are_chained_and_checked(services: Services) -> None:
    a, b = busy_cases(services)
    with services.db.connect() as conn:
        rows = conn.execute(select(AccessLogEntry.instance_id, AccessLogEntry.seq, AccessLogEntry.username,
                                   AccessLogEntry.action, AccessLogEntry.attachment_id)
                            .order_by(AccessLogEntry.id)).all()
    assert [tuple(r)[:4] for r in rows] == [(a, 1, "vanthu", "case_viewed"), (b, 1, "chanhvp", "case_viewed"),
                                            (b, 2, "vanthu", "attachment_downloaded")]
    assert rows[2].attachment_id is not None
    with services.db.connect() as conn:
        viewed = conn.execute(select(AccessLogEntry.id).where(AccessLogEntry.instance_id == b,
                                                              AccessLogEntry.seq == 1)).scalar_one()
    tamper(services, update(AccessLogEntry).where(AccessLogEntry.id == viewed).values(username="nguoi_khac"))
    assert first(services.verifier.verify()) == (f"case {b}, access row {viewed}: was edited: its content does "
                                                 "not match its hash")


def test_deleted_access_rows_are_caught_by_the_anchor(services: Services) -> None:
    _, b = busy_cases(services)
    services.anchors.anchor()
    tamper(services, delete(AccessLogEntry).where(AccessLogEntry.instance_id == b, AccessLogEntry.seq == 2))
    assert "anchor #1 recorded 2 rows: the rows after this one were deleted" in first(services.verifier.verify())


def test_edited_anchors_are_named(services: Services) -> None:
    a, _ = busy_cases(services)
    services.anchors.anchor()
    services.comments.add(a, "vanthu", "Thêm")
    services.anchors.anchor()
    tamper(services, update(AuditAnchorHead).where(AuditAnchorHead.anchor_id == 1, AuditAnchorHead.instance_id == a,
                                                   AuditAnchorHead.chain == "history").values(count=1))
    assert first(services.verifier.verify()) == "anchors: the heads of anchor #1 were edited, added or deleted"
    with services.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditAnchorHead)).scalar_one() > 0

"""Anchors: once per period even when workers race, only changed chains, and steps of different cases never wait
for each other on the chain."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from engine.audit.anchors import HISTORY, Head, _write
from engine.clock import VirtualClock
from engine.persistence.audit_models import AuditAnchor, AuditAnchorHead
from engine.services import Services
from tests.engine.audit.audit_support import busy_cases
from tests.engine.inbox.inbox_support import start_document


def anchored(services: Services) -> list[tuple[int, str, int, int]]:
    with services.db.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditAnchorHead.anchor_id, AuditAnchorHead.chain,
                                                      AuditAnchorHead.instance_id, AuditAnchorHead.count)
                                               .order_by(AuditAnchorHead.anchor_id, AuditAnchorHead.chain,
                                                         AuditAnchorHead.instance_id))]


def test_an_anchor_lists_only_the_chains_that_moved(services: Services, clock: VirtualClock) -> None:
    a, b = busy_cases(services)
    first = services.anchors.anchor()
    assert first is not None and first.id == 1 and first.cases == 4  # history and access of both cases
    assert services.anchors.anchor() is None  # nothing changed
    services.comments.add(a, "vanthu", "Mới")
    clock.advance(timedelta(minutes=5))
    second = services.anchors.anchor()
    assert second is not None and second.previous_hash == first.hash
    history_a = len([h for h in services.queries.history(a)])
    assert [row for row in anchored(services) if row[0] == 2] == [(2, HISTORY, a, history_a)]
    assert b not in {row[2] for row in anchored(services) if row[0] == 2}


def test_one_anchor_per_period(services: Services, clock: VirtualClock) -> None:
    a, _ = busy_cases(services)
    every = timedelta(minutes=5)
    assert services.anchors.anchor(every=every) is not None
    services.comments.add(a, "vanthu", "Trong cùng kỳ")
    assert services.anchors.anchor(every=every) is None  # this period is anchored already
    clock.advance(every)
    assert services.anchors.anchor(every=every) is not None


def test_two_workers_anchoring_the_same_period_make_one_anchor(services: Services, settings) -> None:
    from engine.services import build_services

    busy_cases(services)
    others = [build_services(settings, clock=services.clock) for _ in range(4)]
    results: list[object] = []
    barrier = threading.Barrier(len(others))

    def run(worker: Services) -> None:
        barrier.wait()
        try:
            results.append(worker.anchors.anchor(every=timedelta(minutes=5)))
        except Exception as exc:  # a lost race must never surface as anything but "not me"
            results.append(exc)

    threads = [threading.Thread(target=run, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    for other in others:
        other.close()
    assert sum(1 for r in results if r is not None) == 1, results
    assert not [r for r in results if isinstance(r, Exception)]
    with services.db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(AuditAnchor)).scalar_one() == 1
    assert services.verifier.verify().intact


def test_an_anchor_id_is_taken_once(services: Services) -> None:
    """Whatever slips past the lock, a second anchor after the same previous one collides on the key."""
    a, _ = busy_cases(services)
    made = services.anchors.anchor()
    assert made is not None
    with pytest.raises(IntegrityError):
        with services.db.transaction() as conn:
            _write(conn, services.clock.now(), None, [Head(HISTORY, a, 1, made.hash)], 0)


@pytest.mark.postgres_only  # SQLite queues every writer by design (BEGIN IMMEDIATE); per-case locks are PostgreSQL's
def test_steps_of_another_case_do_not_wait_for_a_locked_case(services: Services) -> None:
    a, b = busy_cases(services)
    done: dict[str, float] = {}

    def step(name: str, instance_id: int) -> None:
        started = time.monotonic()
        services.comments.add(instance_id, "vanthu", f"bước {name}")
        services.cases.case(instance_id, "vanthu")
        done[name] = time.monotonic() - started

    with services.db.engine.connect() as holder:
        holder.execute(text("SELECT id FROM instances WHERE id = :id FOR UPDATE"), {"id": a})
        blocked = threading.Thread(target=step, args=("a", a))
        free = threading.Thread(target=step, args=("b", b))
        blocked.start()
        free.start()
        free.join(timeout=60)
        assert "b" in done  # case B's history and access chains went on: A's lock is held until the rollback below
        new_case = start_document(services, "VB-C")  # and a new case starts meanwhile
        assert new_case
        time.sleep(0.3)
        assert "a" not in done  # case A's chain waits for its lock
        holder.rollback()
    blocked.join(timeout=60)
    assert "a" in done
    assert services.verifier.verify().intact

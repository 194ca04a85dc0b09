"""Anchoring by real `procflow worker` processes: periodic, and once per period with two workers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.persistence.audit_models import AuditAnchor
from engine.services import Services
from tests.engine.audit.audit_support import busy_cases
from tests.engine.queue.conftest import wait_until

EVERY = 2  # seconds


def anchors(services: Services) -> list[AuditAnchor]:
    with services.db.read() as session:
        rows = list(session.scalars(select(AuditAnchor).order_by(AuditAnchor.id)))
        session.expunge_all()
        return rows


def test_two_workers_anchor_changed_cases_once_per_period(live: Services, workers,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCFLOW_AUDIT_ANCHOR_SECONDS", str(EVERY))
    a, b = busy_cases(live)
    workers()
    workers()
    wait_until(lambda: len(anchors(live)) >= 1)
    live.comments.add(a, "vanthu", "Sau mốc đầu")
    wait_until(lambda: len(anchors(live)) >= 2)
    made = anchors(live)
    periods = [int(anchor.at.timestamp() // EVERY) for anchor in made]
    assert len(periods) == len(set(periods)), periods  # never two anchors of one period
    assert made[0].cases == 4 and made[1].cases == 1  # then only case A's history had moved
    assert [m.id for m in made] == list(range(1, len(made) + 1))
    report = live.verifier.verify()
    assert report.intact and report.anchors == len(made), report.problems

"""One definition of "due soon": the inbox filter, the deadline pages and the deadline marks agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.calendar.due_soon import due_soon_until, due_state
from engine.inbox.queries import InboxFilter
from engine.services import Services
from tests.engine.inbox.inbox_support import prepare, start_document

NOW = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)  # Wednesday 09:00 in Hanoi


def test_due_state_boundaries() -> None:
    until = NOW + timedelta(days=5)
    assert due_state(None, NOW, until) == ""
    assert due_state(NOW - timedelta(seconds=1), NOW, until) == "overdue"
    assert due_state(NOW, NOW, until) == "soon"
    assert due_state(until - timedelta(seconds=1), NOW, until) == "soon"
    assert due_state(until, NOW, until) == ""
    assert due_soon_until(None, NOW) == NOW + timedelta(days=1)


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def test_the_inbox_and_the_deadline_pages_count_the_same_tasks_due_soon(org: Services) -> None:
    # 30 April and 1 May are holidays, 2-3 May a weekend: one working day from Wednesday 09:00 is Monday 4 May 09:00.
    start_document(org, "saturday", han="P3D")  # three calendar days away, but within one working day
    start_document(org, "at-the-end", han="P5D")  # Monday 09:00 exactly: the window has ended
    start_document(org, "later", han="P6D")
    until = due_soon_until(org.calendar, org.clock.now())
    assert until == datetime(2026, 5, 4, 2, 0, tzinfo=UTC)
    inbox = org.inbox.page("chuyenvien")
    assert {r.business_key for r in inbox.rows if r.due_soon} == {"saturday"}
    assert [r.business_key for r in org.inbox.page("chuyenvien", InboxFilter(state="due_soon")).rows] == ["saturday"]
    deadlines = org.analytics.deadlines_now("bithu")
    assert (deadlines.due_soon, deadlines.soon_until) == (inbox.due_soon, inbox.due_soon_until) == (1, until)
    assert [due_state(r.due_at, org.clock.now(), until) for r in inbox.rows] == ["soon", "", ""]

"""A user's notifications in the inbox: unread first, pages, marking read (only one's own)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.errors import InvalidInput
from engine.notify.mail import notify
from engine.notify.wording import OLD_TEXT, OVERDUE
from engine.persistence.models import Notification
from engine.services import Services
from tests.engine.inbox.inbox_support import prepare, start_document, task_of


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


def tell(services: Services, user: str, message: str) -> int:
    with services.db.transaction() as conn:
        ids = notify(conn, [user], kind="reminder", key=OLD_TEXT, params={"vi": message, "en": message},
                     instance_id=None, task_id=None, now=services.clock.now())
    services.clock.advance(timedelta(minutes=1))
    return ids[0]


def test_unread_first_then_newest_and_marking_read(org: Services) -> None:
    first, second, third = (tell(org, "chuyenvien", m) for m in ("một", "hai", "ba"))
    tell(org, "canbo", "của người khác")
    assert org.notifications.unread_count("chuyenvien") == 3
    assert org.notifications.mark_read("chuyenvien", [third]) == 1
    page = org.notifications.list_for("chuyenvien")
    assert [n.message for n in page.rows] == ["hai", "một", "ba"]
    assert (page.total, page.unread) == (3, 2)
    assert page.rows[2].read_at == org.clock.now()
    assert org.notifications.mark_read("chuyenvien", [third, first]) == 1  # already-read ones are not counted
    assert org.notifications.mark_all_read("chuyenvien") == 1
    assert org.notifications.unread_count("chuyenvien") == 0
    assert second in [n.id for n in org.notifications.list_for("chuyenvien").rows]


def test_nobody_reads_or_marks_another_users_notifications(org: Services) -> None:
    theirs = tell(org, "canbo", "riêng")
    assert org.notifications.mark_read("chuyenvien", [theirs]) == 0
    assert org.notifications.mark_all_read("chuyenvien") == 0
    assert org.notifications.unread_count("canbo") == 1
    assert org.notifications.list_for("chuyenvien").rows == []


def test_pages_of_notifications(org: Services) -> None:
    for n in range(5):
        tell(org, "chuyenvien", f"tin {n}")
    page = org.notifications.list_for("chuyenvien", page=2, per_page=2)
    assert ([n.message for n in page.rows], page.total, page.unread) == (["tin 2", "tin 1"], 5, 5)
    assert org.notifications.list_for("chuyenvien", page=4, per_page=2).total == 5
    with pytest.raises(InvalidInput):
        org.notifications.list_for("chuyenvien", per_page=500)


def test_reminders_and_escalations_reach_the_inbox(org: Services) -> None:
    task = task_of(org, start_document(org, "VB-1", han="working:P2D"))
    org.work.claim(task.id, "chuyenvien")
    org.clock.advance(timedelta(days=10))
    org.timers.fire_due()
    assert [n.kind for n in org.notifications.list_for("chuyenvien").rows] == ["reminder"]
    assert [n.kind for n in org.notifications.list_for("truongphong").rows] == ["escalation"]


def test_a_notification_is_stored_as_a_key_and_worded_when_read(org: Services) -> None:
    instance_id = start_document(org, "VB-1", han="working:P2D")
    task = task_of(org, instance_id)
    org.work.claim(task.id, "chuyenvien")
    org.clock.advance(timedelta(days=10))
    org.timers.fire_due()
    with org.db.read() as session:
        stored = session.execute(select(Notification.message_key, Notification.params)
                                 .where(Notification.username == "truongphong")).one()
    # The case by its number and title, the person by full name (not a bare "#1" and a username).
    case = f"{instance_id} «Số 12/UBND: Về việc báo cáo»"
    assert (stored.message_key, stored.params["case"], stored.params["assignee"]) == (OVERDUE, case,
                                                                                        "Hoàng Văn Viên")
    (vi,) = org.notifications.list_for("truongphong", locale="vi").rows
    (en,) = org.notifications.list_for("truongphong", locale="en").rows
    assert vi.message.startswith(f"Việc “{task.name}” (hồ sơ #{case}, đồng chí Hoàng Văn Viên đang xử lý) "
                                 "đã quá hạn ")
    assert en.message.startswith(f"Task “{task.name}” (case #{case}, with Hoàng Văn Viên) was due at ")
    assert vi.id == en.id and vi.as_dict()["message"] == vi.message

"""Notifications: the user's own, in their language, marked read one by one or all at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import update

from engine.notify.mail import notify
from engine.notify.wording import OLD_TEXT, REMINDED_BY
from engine.persistence.models import User
from engine.services import Services
from tests.web.conftest import Auth, start_approval


def _notify(services: Services, user: str, message: str, instance_id: int | None = None) -> int:
    """A notification stored as before migration 0013: its "vi / en" text under the ``old_text`` key."""
    vi, _, en = message.partition(" / ")
    with services.db.transaction() as conn:
        (note_id,) = notify(conn, [user], kind="reminder", key=OLD_TEXT, params={"vi": vi, "en": en},
                            instance_id=instance_id, task_id=None, now=services.clock.now())
    return note_id


def test_notifications_are_listed_in_the_users_language(client: FlaskClient, auth: Auth,
                                                        web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    note = _notify(web_services, "chanhvp", "Việc “Duyệt” sắp đến hạn. / Task “Duyệt” is due soon.", instance_id)
    _notify(web_services, "bithu", "Của người khác / Someone else's")
    auth.login("chanhvp")
    page = client.get("/notifications/").get_data(as_text=True)
    assert f'id="notification-{note}"' in page and "Việc “Duyệt” sắp đến hạn." in page
    assert "Task “Duyệt” is due soon." not in page and "Của người khác" not in page
    assert 'id="unread-count"' in page and f'href="/cases/{instance_id}"' in page
    client.set_cookie("procflow_lang", "en")
    assert "Task “Duyệt” is due soon." in client.get("/notifications/").get_data(as_text=True)


def test_marking_read(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    first = _notify(web_services, "chanhvp", "Một")
    _notify(web_services, "chanhvp", "Hai")
    others = _notify(web_services, "bithu", "Ba")
    auth.login("chanhvp")
    assert auth.post("/notifications/read", {"id": [str(first), str(others)]},
                     page="/notifications/").status_code == 302
    assert web_services.notifications.unread_count("chanhvp") == 1
    assert web_services.notifications.unread_count("bithu") == 1  # nobody marks another's
    assert auth.post("/notifications/read", {"all": "1"}, page="/notifications/").status_code == 302
    assert web_services.notifications.unread_count("chanhvp") == 0
    assert 'id="unread-count"' not in client.get("/notifications/").get_data(as_text=True)


def test_a_notification_is_worded_when_read_in_the_readers_language(client: FlaskClient, auth: Auth,
                                                                     web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    with web_services.db.transaction() as conn:
        conn.execute(update(User).where(User.username == "bithu").values(language="en"))
        notify(conn, ["chanhvp", "bithu"], kind="reminder", key=REMINDED_BY,
               params={"by": "vanthu", "task": "Duyệt", "case": instance_id,
                       "due": datetime(2026, 5, 4, 16, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))},
               instance_id=instance_id, task_id=None, now=web_services.clock.now())
    auth.login("chanhvp")  # Vietnamese, the default
    assert (f"Đồng chí vanthu nhắc việc “Duyệt” (hồ sơ #{instance_id}), hạn 16:30 04/05/2026."
            in client.get("/notifications/").get_data(as_text=True))
    auth.logout()
    auth.login("bithu")  # prefers English, and has not switched the page's language
    assert (f"vanthu reminds you of the task “Duyệt” (case #{instance_id}), due at 16:30, 4 May 2026."
            in client.get("/notifications/").get_data(as_text=True))
    client.set_cookie("procflow_lang", "vi")  # the page's language, once chosen, wins
    assert f"(hồ sơ #{instance_id}), hạn 16:30 04/05/2026." in client.get("/notifications/").get_data(as_text=True)
def test_malformed_choices_are_refused_and_a_stale_page_shows_the_first(client: FlaskClient, auth: Auth,
                                                                        web_services: Services) -> None:
    note = _notify(web_services, "chanhvp", "Một")
    auth.login("chanhvp")
    for bad in (["abc"], ["-1"], [str(2**70)], [str(note)] * 31):
        response = auth.post("/notifications/read", {"id": bad}, page="/notifications/")
        assert response.status_code == 422, bad
    assert auth.post("/notifications/read", {"all": "maybe"}, page="/notifications/").status_code == 422
    assert web_services.notifications.unread_count("chanhvp") == 1
    for page in ("0", "abc", "99999999999999999999"):
        response = client.get(f"/notifications/?page={page}")
        assert response.status_code == 200 and f'id="notification-{note}"' in response.get_data(as_text=True)

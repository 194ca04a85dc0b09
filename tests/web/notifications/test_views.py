"""Notifications: the user's own, in their language, marked read one by one or all at once."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.notify.mail import notify
from engine.services import Services
from tests.web.conftest import Auth, start_approval


def _notify(services: Services, user: str, message: str, instance_id: int | None = None) -> int:
    with services.db.transaction() as conn:
        (note_id,) = notify(conn, [user], kind="reminder", message=message, instance_id=instance_id, task_id=None,
                            now=services.clock.now())
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

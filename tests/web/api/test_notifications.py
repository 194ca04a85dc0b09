"""The caller's notifications: listed unread first in the request's language, marked read; nobody else's."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.services import Services
from tests.web.api.conftest import Tokens
from tests.web.conftest import start_approval


def _delegated(services: Services, to: str = "chanhvp") -> str:
    """bithu hands an approval task to ``to``, who is notified; the task's id."""
    _, task = start_approval(services)
    services.work.delegate(task, "bithu", to)
    return task


def test_notifications_are_listed_and_marked_read(client: FlaskClient, web_services: Services,
                                                 tokens: Tokens) -> None:
    first, second = _delegated(web_services), _delegated(web_services)
    mine = tokens.header("chanhvp", "tasks")
    listed = client.get("/api/v1/notifications/", headers=mine).json
    assert listed["total"] == listed["unread"] == 2 and {n["task_id"] for n in listed["items"]} == {first, second}
    assert all(n["kind"] == "delegated" and n["message"] and n["read_at"] is None for n in listed["items"])
    english = client.get("/api/v1/notifications/", headers={**mine, "Accept-Language": "en"}).json["items"][0]
    assert english["message"] != listed["items"][0]["message"]

    one = listed["items"][0]["id"]
    assert client.post("/api/v1/notifications/read", json={"ids": [one]}, headers=mine).json == {"marked": 1,
                                                                                                    "unread": 1}
    page = client.get("/api/v1/notifications/?per_page=1", headers=mine).json
    assert page["items"][0]["id"] != one and page["per_page"] == 1 and page["total"] == 2
    assert client.post("/api/v1/notifications/read", json={"all": True}, headers=mine).json == {"marked": 1,
                                                                                                   "unread": 0}


def test_nobody_reads_or_marks_anothers_notifications(client: FlaskClient, web_services: Services,
                                                      tokens: Tokens) -> None:
    _delegated(web_services)
    theirs = web_services.notifications.list_for("chanhvp").rows[0].id
    stranger = tokens.header("vanthu", "tasks")
    assert client.get("/api/v1/notifications/", headers=stranger).json["total"] == 0
    assert client.post("/api/v1/notifications/read", json={"ids": [theirs]}, headers=stranger).json["marked"] == 0
    assert client.post("/api/v1/notifications/read", json={"all": True}, headers=stranger).json["marked"] == 0
    assert web_services.notifications.unread_count("chanhvp") == 1
    for bad in ({"ids": ["x"]}, {"ids": [0]}, {"all": "perhaps"}, {"other": 1}):
        refused = client.post("/api/v1/notifications/read", json=bad, headers=stranger)
        assert refused.status_code == 422 and refused.json["errors"], bad
    assert client.get("/api/v1/notifications/?per_page=500", headers=stranger).status_code == 422
    assert client.get("/api/v1/notifications/", headers=tokens.header("chanhvp", "cases")).status_code == 403

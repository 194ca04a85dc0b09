"""Languages: Vietnamese by default with full diacritics, English by choice; times in the agency's zone."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from engine.services import Services
from tests.conftest import TRANSLATIONS
from tests.web.conftest import Auth, csrf_token, start_approval


def test_vietnamese_is_the_default(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    start_approval(web_services)
    auth.login("chanhvp")
    page = client.get("/inbox/").get_data(as_text=True)
    assert '<html lang="vi">' in page
    for text in ("Hộp công việc", "Khởi tạo thủ tục", "Hồ sơ của tôi", "Thông báo", "Đăng xuất", "Hạn xử lý"):
        assert text in page


def test_switching_to_english_and_back(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    token = csrf_token(client, "/inbox/")
    response = client.post("/language", data={"lang": "en", "next": f"/tasks/{instance_id}/{task_id}",
                                              "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{instance_id}/{task_id}"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("procflow_lang=en"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get(f"/tasks/{instance_id}/{task_id}").get_data(as_text=True)
    assert '<html lang="en">' in page and "Inbox" in page and "Complete task" in page
    # The form's own English labels and option names, written by the designer.
    assert '<label for="field-comment">Comment' in page and ">Urgent</option>" in page and "Give the reason" in page
    assert "Sign out" in page and "Hộp công việc" not in page
    response = client.post("/language", data={"lang": "vi", "next": "https://evil.example/", "csrf_token": token})
    assert response.headers["Location"] == "/"
    assert "Hộp công việc" in client.get("/inbox/").get_data(as_text=True)


def test_validation_messages_follow_the_language(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    client.set_cookie("procflow_lang", "en")
    response = auth.post(f"/tasks/{instance_id}/{task_id}", {"comment": "", "_element": "review"})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)


def test_an_unknown_language_is_ignored(client: FlaskClient, auth: Auth) -> None:
    auth.login("chanhvp")
    client.set_cookie("procflow_lang", "fr")
    assert '<html lang="vi">' in client.get("/inbox/").get_data(as_text=True)
    response = client.post("/language", data={"lang": "fr", "csrf_token": csrf_token(client, "/inbox/")})
    assert response.status_code == 302
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("procflow_lang=")]


def test_times_are_shown_in_the_agencys_time_zone(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    start_approval(web_services)  # created at 02:00 UTC, due two days later
    auth.login("chanhvp")
    page = client.get("/inbox/").get_data(as_text=True)
    assert '<time datetime="2026-04-29T02:00:00+00:00">29/04/2026 09:00</time>' in page
    assert ">01/05/2026 09:00</time>" in page
    client.set_cookie("procflow_lang", "en")
    assert ">29 Apr 2026, 09:00</time>" in client.get("/inbox/").get_data(as_text=True)


def test_every_message_has_a_vietnamese_translation() -> None:
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale="vi")
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    assert missing == []
    assert not [m.id for m in catalog if m.id and m.fuzzy]


def test_the_catalogue_covers_every_string_in_the_code() -> None:
    from babel.messages.extract import extract_from_dir

    web = Path(TRANSLATIONS).parent
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {m[2] if isinstance(m[2], str) else m[2][0]
             for m in extract_from_dir(str(web), method_map, keywords={"_": None, "_l": None, "gettext": None,
                                                                       "ngettext": (1, 2), "lazy_gettext": None})}
    with (TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po, locale="vi") if m.id}
    assert sorted(found - known) == []


def test_an_engine_error_is_shown_in_the_pages_language(client: FlaskClient, auth: Auth,
                                                        web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    auth.login("vanthu")
    page = client.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert f"Không có hồ sơ #{instance_id}" in page and "no instance" not in page
    client.set_cookie("procflow_lang", "en")
    page = client.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert f"no instance {instance_id}" in page
    client.delete_cookie("procflow_lang")
    assert "Không có hồ sơ #424242" in client.get("/cases/424242").get_data(as_text=True)

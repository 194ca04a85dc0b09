"""Signing in and out: argon2 passwords, throttling per client, sessions that end, CSRF, and every page closed
to anonymous users."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import VirtualClock
from engine.services import Services
from tests.web.conftest import PASSWORD, Auth, csrf_token, start_approval
from web import create_app

PROTECTED_GET = ["/", "/inbox/", "/start/", "/start/request", "/cases/", "/cases/1", "/cases/1/diagram",
                 "/cases/1/attachments/1", "/notifications/", "/tasks/1/00000000-0000-0000-0000-000000000000"]


@pytest.mark.parametrize("path", PROTECTED_GET)
def test_anonymous_users_are_sent_to_the_login_page(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_anonymous_posts_are_refused_before_anything_happens(client: FlaskClient, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    token = csrf_token(client)
    task = f"/tasks/{instance_id}/{task_id}"
    for path in (task, f"{task}/claim", f"{task}/unclaim", f"{task}/delegate", f"{task}/draft",
                 f"/cases/{instance_id}/comments", f"/cases/{instance_id}/attachments", "/notifications/read",
                 "/logout", "/start/approve", "/inbox/filters", "/inbox/filters/delete"):
        response = client.post(path, data={"csrf_token": token, "comment": "x"})
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert web_services.queries.tasks(instance_id=instance_id)[0].id == task_id


def test_login_page_is_vietnamese_with_stable_ids(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page
    for marker in ('id="login-form"', 'id="username"', 'id="password"', 'id="login-submit"', "Đăng nhập",
                   "Tên đăng nhập", "Mật khẩu"):
        assert marker in page


def test_signing_in_and_out(client: FlaskClient, auth: Auth) -> None:
    response = auth.login("chanhvp")
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/"
    page = client.get("/inbox/").get_data(as_text=True)
    assert "Trần Thị Chánh" in page
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Đồng chí đã đăng xuất." in client.get("/login").get_data(as_text=True)
    assert client.get("/inbox/").status_code == 302


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post("/login", data={"username": "chanhvp", "password": PASSWORD, "csrf_token": token,
                                           "next": "/cases/"})
    assert response.headers["Location"] == "/cases/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox/")})
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        token = csrf_token(client)
        response = client.post("/login", data={"username": "chanhvp", "password": PASSWORD, "csrf_token": token,
                                               "next": target})
        assert response.headers["Location"] == "/inbox/", target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox/")})


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient, auth: Auth) -> None:
    wrong = auth.login("chanhvp", "sai-mat-khau")
    unknown = auth.login("khong_co_ai", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert "Sai tên đăng nhập hoặc mật khẩu." in response.get_data(as_text=True)
    assert 'value="khong_co_ai"' in unknown.get_data(as_text=True)  # the name typed is kept, never the password


def test_empty_fields_are_marked(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": " ", "password": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="username-error"' in page and 'id="password-error"' in page
    assert page.count("Trường này là bắt buộc.") == 2


def test_five_failures_refuse_that_client_not_the_user(client: FlaskClient, auth: Auth, app: Flask,
                                                         clock: VirtualClock) -> None:
    for _ in range(5):
        assert auth.login("chanhvp", "sai").status_code == 401
    refused = auth.login("chanhvp", PASSWORD)  # this client is refused now, even with the right password
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 15 * 60
    assert "Đăng nhập sai quá nhiều lần" in refused.get_data(as_text=True)
    assert auth.login("bithu", PASSWORD).status_code == 302  # the count is per user name (and address)
    auth.logout()
    rightful = Auth(app.test_client())
    rightful.client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert rightful.login("chanhvp", PASSWORD).status_code == 302  # the user from elsewhere is never locked out
    clock.advance(timedelta(minutes=15, seconds=1))
    assert auth.login("chanhvp", PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(web_services: Services, translations: Path,
                                                                      clock: VirtualClock) -> None:
    app = create_app({"TESTING": True, "PROCFLOW_SERVICES": web_services, "SECRET_KEY": "test-secret",
                      "BABEL_TRANSLATION_DIRECTORIES": str(translations), "PROCFLOW_PROXY_FIX": 1})
    attacker, rightful = Auth(app.test_client()), Auth(app.test_client())
    attacker.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"
    rightful.client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
    for _ in range(5):
        assert attacker.login("chanhvp", "sai").status_code == 401
    assert attacker.login("chanhvp", PASSWORD).status_code == 429
    assert rightful.login("chanhvp", PASSWORD).status_code == 302  # same proxy, another client


def test_a_copied_cookie_stops_working_after_sign_out(client: FlaskClient, auth: Auth, app: Flask) -> None:
    auth.login("chanhvp")
    cookie = client.get_cookie("procflow_session")
    assert cookie is not None
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("procflow_session", cookie.value)
    assert thief.get("/inbox/").status_code == 302


def test_sessions_end_when_idle_and_at_their_absolute_lifetime(client: FlaskClient, auth: Auth,
                                                               clock: VirtualClock) -> None:
    auth.login("chanhvp")
    clock.advance(timedelta(minutes=59))
    assert client.get("/inbox/").status_code == 200
    clock.advance(timedelta(minutes=61))
    assert client.get("/inbox/").status_code == 302  # idle for more than an hour
    auth.login("chanhvp")
    for _ in range(23):  # busy all day: a request every half hour
        clock.advance(timedelta(minutes=30))
        assert client.get("/inbox/").status_code == 200
    clock.advance(timedelta(minutes=31))
    assert client.get("/inbox/").status_code == 302  # 12 hours after signing in


def test_the_session_token_is_kept_hashed(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    from sqlalchemy import select

    from engine.persistence.account_models import WebSession

    auth.login("chanhvp")
    with client.session_transaction() as session:
        token = session["_user_id"]
    with web_services.db.read() as db:
        ids = list(db.scalars(select(WebSession.id)))
    assert len(ids) == 1 and token not in ids and len(token) >= 40


def test_a_success_clears_earlier_failures(auth: Auth) -> None:
    for _ in range(4):
        auth.login("chanhvp", "sai")
    assert auth.login("chanhvp", PASSWORD).status_code == 302
    auth.logout()
    for _ in range(4):
        auth.login("chanhvp", "sai")
    assert auth.login("chanhvp", PASSWORD).status_code == 302


def test_a_new_password_ends_other_sessions(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    auth.login("chanhvp")
    assert client.get("/inbox/").status_code == 200
    web_services.accounts.set_password("chanhvp", "mat-khau-moi-2026")
    assert client.get("/inbox/").status_code == 302


def test_an_inactive_user_cannot_sign_in_or_stay_signed_in(client: FlaskClient, auth: Auth,
                                                             web_services: Services) -> None:
    from engine.persistence.models import User

    auth.login("chanhvp")
    with web_services.db.write() as session:
        session.get_one(User, "chanhvp").active = False
    assert client.get("/inbox/").status_code == 302
    assert auth.login("chanhvp").status_code == 401


def test_posts_without_a_csrf_token_are_refused(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    assert client.post("/login", data={"username": "chanhvp", "password": PASSWORD}).status_code == 400
    auth.login("chanhvp")
    instance_id, task_id = start_approval(web_services)
    posts = {f"/tasks/{instance_id}/{task_id}": {"comment": "ok"}, f"/tasks/{instance_id}/{task_id}/claim": {},
             f"/tasks/{instance_id}/{task_id}/draft": {"comment": "x"}, f"/cases/{instance_id}/comments":
             {"text": "x"}, "/language": {"lang": "en"}, "/logout": {}, "/start/approve": {},
             "/notifications/read": {"all": "1"}, "/inbox/filters": {"name": "x"}}
    for path, data in posts.items():
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này" in response.get_data(as_text=True)
        forged = client.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 400, path
    assert web_services.queries.tasks(instance_id=instance_id)[0].assignee is None
    assert client.get("/inbox/").status_code == 200  # still signed in

"""Security headers, cookies, error pages without tracebacks, and the front-end libraries served offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.errors import InvalidInput
from engine.services import Services
from engine.settings import Settings
from tests.web.conftest import Auth, csrf_token, start_approval
from web import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_every_response_carries_the_security_headers(client: FlaskClient, auth: Auth) -> None:
    auth.login("chanhvp")
    for path in ("/login", "/inbox/", "/static/app.css", "/vendor/htmx/htmx.min.js", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    assert client.get("/inbox/").headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    auth.login("chanhvp")
    instance_id, task_id = start_approval(web_services)
    for path in ("/login", "/inbox/", f"/tasks/{instance_id}/{task_id}", f"/cases/{instance_id}", "/start/",
                 "/cases/", "/notifications/"):
        page = client.get(path).get_data(as_text=True)
        assert page.count("<script") == page.count("<script src="), path
        assert " onclick=" not in page and " onload=" not in page and "javascript:" not in page


def test_session_cookie_is_http_only_and_same_site(client: FlaskClient, auth: Auth) -> None:
    response = auth.login("chanhvp")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("procflow_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_when_configured(web_services: Services, translations: Path) -> None:
    app = create_app({"TESTING": True, "PROCFLOW_SERVICES": web_services, "SECRET_KEY": "x",
                      "SESSION_COOKIE_SECURE": True, "BABEL_TRANSLATION_DIRECTORIES": str(translations)})
    client = app.test_client()
    Auth(client).login("chanhvp")
    response = client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/inbox/")})
    lang_cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("procflow_lang="))
    assert "Secure" in lang_cookie and "HttpOnly" in lang_cookie


def test_cookie_and_proxy_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                             settings: Settings) -> None:
    monkeypatch.setenv("PROCFLOW_SECURE_COOKIES", "true")
    monkeypatch.setenv("PROCFLOW_PROXY_FIX", "1")
    monkeypatch.setenv("PROCFLOW_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PROCFLOW_HOME", str(settings.home))
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["PROCFLOW_PROXY_FIX"] == 1
    assert app.config["SECRET_KEY"] == "from-the-environment"
    app.extensions["procflow"].close()


def test_a_bad_setting_stops_the_app_at_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PORT", "abc")
    with pytest.raises(InvalidInput, match="^SMTP_PORT must be a whole number between 1 and 65535, got 'abc'$"):
        create_app()


def test_the_secret_key_is_made_once_and_kept(web_services: Services, tmp_path: Path) -> None:
    first = create_app({"PROCFLOW_SERVICES": web_services})
    second = create_app({"PROCFLOW_SERVICES": web_services})
    settings = web_services.settings
    key_file = settings.secrets_dir / "secret_key"
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert oct(settings.secrets_dir.stat().st_mode & 0o777) == "0o700"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert not (settings.home / "secret_key").exists()  # nothing readable in the data folder
    assert settings.home not in key_file.parents


def test_a_key_left_in_the_data_folder_moves_to_the_secrets_folder(web_services: Services) -> None:
    settings = web_services.settings
    (settings.home / "secret_key").write_text("an-older-key\n")
    (settings.home / "secret_key").chmod(0o644)
    app = create_app({"PROCFLOW_SERVICES": web_services})
    assert app.config["SECRET_KEY"] == "an-older-key"  # signed-in users stay signed in
    assert not (settings.home / "secret_key").exists()
    assert oct((settings.secrets_dir / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_the_secrets_folder_is_outside_the_data_folder_by_default(tmp_path: Path) -> None:
    assert Settings.from_env({"HOME": "/home/vanthu"}).secrets_dir == Path("/home/vanthu/.config/procflow")
    assert Settings.from_env({"XDG_CONFIG_HOME": "/etc/xdg"}).secrets_dir == Path("/etc/xdg/procflow")
    chosen = Settings.from_env({"PROCFLOW_SECRETS_DIR": str(tmp_path)})
    assert chosen.secrets_dir == tmp_path and chosen.home == Path("var")


def test_unknown_pages_get_a_clear_404_page(client: FlaskClient, auth: Auth) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Không tìm thấy" in page and 'id="error-page"' in page and 'data-status="404"' in page
    auth.login("chanhvp")
    assert client.get("/cases/424242").status_code == 404


def test_an_unexpected_error_is_a_500_page_without_traceback(app: Flask, client: FlaskClient, auth: Auth) -> None:
    def explode() -> str:
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/explode", "explode", explode)
    response = client.get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Máy chủ gặp sự cố" in page
    assert "secret internal detail" not in page and "Traceback" not in page


def test_wrong_method_gets_a_405_page(client: FlaskClient) -> None:
    response = client.get("/logout")
    assert response.status_code == 405
    assert 'data-status="405"' in response.get_data(as_text=True)


def test_front_end_libraries_are_served_from_node_modules(client: FlaskClient) -> None:
    htmx = client.get("/vendor/htmx/htmx.min.js")
    assert htmx.status_code == 200 and b"htmx" in htmx.data
    assert "javascript" in htmx.headers["Content-Type"]
    viewer = client.get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert viewer.status_code == 200 and b"BpmnJS" in viewer.data
    for path in ("/vendor/bpmn-js/assets/bpmn-js.css", "/vendor/bpmn-js/assets/diagram-js.css",
                 "/vendor/bpmn-js/assets/bpmn-font/css/bpmn.css"):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("path", ["/vendor/preact/dist/preact.js", "/vendor/htmx/../package.json",
                                  "/vendor/htmx/..%2F..%2Fpackage.json", "/vendor/bpmn-js/../../../pyproject.toml"])
def test_nothing_else_under_node_modules_is_reachable(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_the_package_files_pin_the_libraries() -> None:
    import json

    package = json.loads((ROOT / "package.json").read_text())
    assert set(package["dependencies"]) == {"htmx.org", "bpmn-js", "pdfjs-dist", "swagger-ui-dist", "dmn-js",
                                           "@bpmn-io/form-js", "@expo-google-fonts/tinos"}
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert all(f"node_modules/{name}" in lock["packages"] for name in package["dependencies"])
    # no install script runs at set-up (one under form-js would send telemetry out of an offline network)
    assert "ignore-scripts=true" in (ROOT / ".npmrc").read_text().splitlines()

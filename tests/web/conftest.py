"""The web app on the real test database: an app built from the test settings, a client, and sign-in helpers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES
from web import create_app

WEB_FIXTURES = Path(__file__).resolve().parent / "fixtures"

PASSWORD = "mat-khau-thu"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


@pytest.fixture
def web_services(services: Services) -> Services:
    """The test services with the test organisation, the web tests' models and forms, and passwords."""
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # fast in tests
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn", WEB_FIXTURES]))
    for username in ("bithu", "chanhvp", "truongphong", "vanthu", "chuyenvien"):
        services.accounts.set_password(username, PASSWORD)
    return services


@pytest.fixture
def app(web_services: Services, translations: Path, tmp_path: Path) -> Flask:
    """The web app on the test database, CSRF protection on (as in production)."""
    return create_app({"TESTING": True, "PROCFLOW_SERVICES": web_services, "SECRET_KEY": "test-secret",
                       "BABEL_TRANSLATION_DIRECTORIES": str(translations)})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page of ``path`` carries (the session cookie keeps it valid)."""
    found = _CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


class Auth:
    """Signs a test client in and out, with CSRF tokens as a browser would send them."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str = "chuyenvien", password: str = PASSWORD) -> TestResponse:
        token = csrf_token(self.client)
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def logout(self) -> TestResponse:
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/inbox/")})

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        """POST with the CSRF token of the page at ``path`` (GET first, as a browser would)."""
        token = csrf_token(self.client, kwargs.pop("page", path))
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


def start_approval(services: Services, title: str = "Công văn 12", user: str = "chuyenvien") -> tuple[int, str]:
    """Start an approval case; return its id and its open task (offered to lanh_dao)."""
    instance_id = services.runtime.start("approve", data={"title": title}, user=user)
    task = services.queries.tasks(instance_id=instance_id)[0]
    return instance_id, task.id

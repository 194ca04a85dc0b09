"""Who may call the API: a live token within its scopes, or the browser's session for reading only."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine.services import Services
from tests.web.api.conftest import Tokens
from tests.web.conftest import Auth, start_approval

PROBLEM = "application/problem+json"
# Every operation, with the scope it needs (ids are filled in by the test).
OPERATIONS = [
    ("GET", "/api/v1/processes/", "cases"),
    ("POST", "/api/v1/processes/approve/cases", "cases"),
    ("GET", "/api/v1/cases/", "cases"),
    ("GET", "/api/v1/cases/{case}", "cases"),
    ("GET", "/api/v1/tasks/", "tasks"),
    ("POST", "/api/v1/tasks/{case}/{task}/claim", "tasks"),
    ("POST", "/api/v1/tasks/{case}/{task}/unclaim", "tasks"),
    ("POST", "/api/v1/tasks/{case}/{task}/complete", "tasks"),
    ("POST", "/api/v1/messages/xac_nhan", "messages"),
    ("GET", "/api/v1/tasks/{case}/{task}", "tasks"),
    ("GET", "/api/v1/notifications/", "tasks"),
    ("POST", "/api/v1/notifications/read", "tasks"),
    ("GET", "/api/v1/documents/?register=incoming", "documents"),
    ("GET", "/api/v1/documents/1", "documents"),
    ("GET", "/api/v1/documents/1/files/1", "documents"),
    ("GET", "/api/v1/documents/1/files/1/verification", "documents"),
    ("GET", "/api/v1/admin/cases", "admin"),
    ("POST", "/api/v1/admin/cases/{case}/suspend", "admin"),
    ("POST", "/api/v1/admin/cases/{case}/resume", "admin"),
    ("POST", "/api/v1/admin/cases/{case}/cancel", "admin"),
    ("GET", "/api/v1/admin/users", "admin"),
    ("POST", "/api/v1/admin/users/vanthu/deactivate", "admin"),
]


def _call(client: FlaskClient, method: str, path: str, case: int, task: str, headers: dict[str, str]) -> object:
    url = path.format(case=case, task=task)
    return client.open(url, method=method, headers=headers, json={} if method == "POST" else None)


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
def test_without_a_token_every_operation_is_401_problem(client: FlaskClient, web_services: Services,
                                                        method: str, path: str, scope: str) -> None:
    case, task = start_approval(web_services)
    for headers in ({}, {"Authorization": "Basic Y2h1eWVudmllbjp4"}, {"Authorization": "Bearer pf_nonsense"},
                    {"Authorization": "Bearer "}):
        response = _call(client, method, path, case, task, headers)
        assert response.status_code == 401, (headers, response.get_data(as_text=True))  # type: ignore[attr-defined]
        assert response.mimetype == PROBLEM  # type: ignore[attr-defined]
        assert response.json["status"] == 401 and response.json["title"]  # type: ignore[attr-defined]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")  # type: ignore[attr-defined]


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
def test_a_token_without_the_scope_is_403(client: FlaskClient, web_services: Services, tokens: Tokens,
                                          method: str, path: str, scope: str) -> None:
    case, task = start_approval(web_services)
    others = {"cases": "tasks,messages", "tasks": "cases,messages", "messages": "cases,tasks,admin",
              "documents": "cases,tasks,messages,exchange,admin",
              "admin": "cases,tasks,messages,documents,exchange"}[scope]
    response = _call(client, method, path, case, task, tokens.header("bithu", others))
    assert response.status_code == 403 and response.mimetype == PROBLEM  # type: ignore[attr-defined]
    assert scope in response.json["detail"]  # type: ignore[attr-defined]


def test_every_scope_the_issue_names_exists() -> None:
    from engine.org.tokens import SCOPES

    assert set(SCOPES) >= {"cases", "tasks", "messages", "documents", "exchange", "admin", "all"}
    assert {scope for _, _, scope in OPERATIONS} == {"cases", "tasks", "messages", "documents", "admin"}


def test_a_revoked_token_stops_working_at_once(client: FlaskClient, web_services: Services, tokens: Tokens) -> None:
    headers = tokens.header("chuyenvien", "cases")
    assert client.get("/api/v1/cases/", headers=headers).status_code == 200
    web_services.tokens.revoke("t1-chuyenvien")
    response = client.get("/api/v1/cases/", headers=headers)
    assert response.status_code == 401 and response.mimetype == PROBLEM


def test_the_browser_session_may_read_but_not_write(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    case, _ = start_approval(web_services)
    auth.login("chuyenvien")
    assert client.get(f"/api/v1/cases/{case}").json["id"] == case
    assert client.get("/api/v1/tasks/").status_code == 200
    refused = client.post("/api/v1/processes/approve/cases", json={"data": {}})
    assert refused.status_code == 401 and refused.mimetype == PROBLEM

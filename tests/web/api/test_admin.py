"""The administrators' resources: only a token with the scope ``admin`` acting for an administrator; suspend,
resume and cancel with If-Match; every case by status; the users, and deactivating one."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine.services import Services
from tests.web.api.conftest import Tokens
from tests.web.conftest import start_approval

PROBLEM = "application/problem+json"


@pytest.fixture
def admins(web_services: Services) -> Services:
    """chanhvp administers procflow (the administrators' group, quan_tri)."""
    web_services.people.save_group("quan_tri", "Quản trị")
    web_services.people.set_membership("quan_tri", "chanhvp", True)
    return web_services


def test_only_an_administrators_token_with_the_admin_scope_may_act(client: FlaskClient, admins: Services,
                                                                   tokens: Tokens) -> None:
    case, _ = start_approval(admins)
    for headers in (tokens.header("bithu", "admin"),  # the scope, but not an administrator
                    tokens.header("chanhvp", "cases,tasks,messages,documents,exchange")):  # not the scope
        for method, url in (("GET", "/api/v1/admin/cases"), ("POST", f"/api/v1/admin/cases/{case}/suspend"),
                            ("GET", "/api/v1/admin/users"), ("POST", "/api/v1/admin/users/vanthu/deactivate")):
            refused = client.open(url, method=method, headers=headers)
            assert refused.status_code == 403 and refused.mimetype == PROBLEM, (url, headers)
    assert admins.queries.instance(case).status == "running"
    assert admins.accounts.account("vanthu") is not None


def test_suspend_resume_and_cancel_follow_the_cases_version(client: FlaskClient, admins: Services,
                                                           tokens: Tokens) -> None:
    case, _ = start_approval(admins)
    admin = tokens.header("chanhvp", "admin,cases")
    listed = client.get("/api/v1/admin/cases?status=running", headers=admin).json
    assert [c["id"] for c in listed["items"]] == [case] and listed["counts"] == {"running": 1}
    version = client.get(f"/api/v1/cases/{case}", headers=admin).headers["ETag"]

    suspended = client.post(f"/api/v1/admin/cases/{case}/suspend", headers={**admin, "If-Match": version})
    assert suspended.status_code == 200 and suspended.json["status"] == "suspended"
    assert suspended.headers["ETag"] != version
    again = client.post(f"/api/v1/admin/cases/{case}/resume", headers={**admin, "If-Match": version})
    assert again.status_code == 412 and again.mimetype == PROBLEM
    assert admins.queries.instance(case).status == "suspended"
    twice = client.post(f"/api/v1/admin/cases/{case}/suspend", headers=admin)
    assert twice.status_code == 409 and twice.mimetype == PROBLEM
    resumed = client.post(f"/api/v1/admin/cases/{case}/resume",
                          headers={**admin, "If-Match": suspended.headers["ETag"]})
    assert resumed.status_code == 200 and resumed.json["status"] == "running"

    no_reason = client.post(f"/api/v1/admin/cases/{case}/cancel", json={"reason": "  "}, headers=admin)
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    cancelled = client.post(f"/api/v1/admin/cases/{case}/cancel", json={"reason": "Nhập trùng"},
                            headers={**admin, "If-Match": resumed.headers["ETag"]})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "terminated"
    assert admins.queries.history(case)[-1].data == {"reason": "Nhập trùng"}
    assert client.post(f"/api/v1/admin/cases/{case + 1000}/suspend", headers=admin).status_code == 404
    assert client.post(f"/api/v1/admin/cases/{2**31}/suspend", headers=admin).status_code == 404


def test_users_are_listed_and_one_who_left_is_deactivated(client: FlaskClient, admins: Services,
                                                         tokens: Tokens) -> None:
    admin = tokens.header("chanhvp", "admin")
    people = client.get("/api/v1/admin/users", headers=admin).json
    assert {p["username"] for p in people} == {"bithu", "chanhvp", "truongphong", "vanthu", "chuyenvien"}
    assert [p["username"] for p in client.get("/api/v1/admin/users?q=viên", headers=admin).json] == ["chuyenvien"]
    vanthu_token = tokens.header("vanthu", "cases")
    done = client.post("/api/v1/admin/users/vanthu/deactivate", headers=admin)
    assert done.status_code == 200 and done.json["username"] == "vanthu"
    assert client.get("/api/v1/cases/", headers=vanthu_token).status_code == 401  # their token stops at once
    assert not [p for p in client.get("/api/v1/admin/users?active_only=true", headers=admin).json
                if p["username"] == "vanthu"]
    assert client.post("/api/v1/admin/users/chanhvp/deactivate", headers=admin).status_code == 403
    assert client.post("/api/v1/admin/users/nobody/deactivate", headers=admin).status_code == 404

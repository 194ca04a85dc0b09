"""No input gives a server error: control characters, ids past what a column holds, huge pages, hostile JSON,
unbounded thresholds. One test per cause the attack found."""
# ruff: noqa: F811 - the admin and managers' fixtures are imported by name

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from engine.services import Services
from tests.web.admin.test_views import ADMIN, act, admin_services, failed_case  # noqa: F401 - fixture
from tests.web.conftest import Auth, start_approval
from tests.web.manage.test_views import agency  # noqa: F401 - fixture

HUGE = "99999999999999999999"


def test_control_characters_are_refused_naming_the_field(client: FlaskClient, auth: Auth,
                                                         web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    auth.login("chuyenvien")
    for path in ("/inbox/?q=a%00b", "/cases/?status=a%00", "/manage/deadlines?unit=%00", "/inbox/?page=%01"):
        response = client.get(path)
        assert response.status_code == 422, path
    response = auth.post(f"/cases/{instance_id}/comments", {"text": "xin\x00chào"}, page="/inbox/")
    assert response.status_code == 422 and "text" in response.get_data(as_text=True)
    assert web_services.comments.list_for(instance_id, "chuyenvien") == []
    typed = {"text": "dòng 1\r\n\tdòng 2"}  # line breaks and tabs are text, not control
    assert auth.post(f"/cases/{instance_id}/comments", typed, page="/inbox/").status_code == 302


def test_path_ids_beyond_the_columns_are_not_found(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    auth.login(ADMIN)
    for path in (f"/cases/{HUGE}", f"/cases/{HUGE}/diagram", f"/cases/1/attachments/{HUGE}",
                 f"/tasks/{HUGE}/x", f"/cases/{2**31}"):
        assert client.get(path).status_code == 404, path
    for action in ("retry", "suspend", "resume", "cancel"):
        assert auth.post(f"/admin/cases/{HUGE}/{action}", {"reason": "x"}, page="/admin/cases").status_code == 404


def test_huge_page_numbers_never_fail(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    auth.login(ADMIN)
    for path in ("/inbox/", "/cases/", "/notifications/"):  # a stale page shows the first
        assert client.get(f"{path}?page={HUGE}").status_code == 200, path
    assert client.get(f"/admin/cases?page={HUGE}").status_code == 422  # the administrators' filters are strict


@pytest.mark.parametrize("data", ["{\"divisor\": NaN}", "{\"divisor\": Infinity}", "{\"divisor\": 1e999}",
                                  "{\"a\": " + "[" * 100_000 + "]" * 100_000 + "}", "{\"a\": " + "1" * 5000 + "}",
                                  "{\"a\": " + "[" * 100 + "]" * 100 + "}"])
def test_hostile_retry_json_is_refused(auth: Auth, admin_services: Services, data: str) -> None:
    instance_id = failed_case(admin_services)
    auth.login(ADMIN)
    response = act(auth, instance_id, "retry", {"data": data})
    assert response.status_code == 422
    assert admin_services.queries.instance(instance_id, with_history=False).status == "error"


def test_a_threshold_beyond_reason_is_refused_and_the_page_keeps_working(client: FlaskClient, auth: Auth,
                                                                         agency: Services) -> None:  # noqa: F811
    form = {"excellent_rate": "90", "excellent_days": "1e30", "good_rate": "50", "good_days": "1",
            "complete_rate": "30", "complete_days": "", "min_tasks": "1" + "0" * 30, "year": "2026"}
    auth.login("bithu")
    refused = auth.post("/manage/evaluation/thresholds", form, page="/manage/evaluation")
    assert refused.status_code == 422
    assert client.get("/manage/evaluation?year=2026").status_code == 200

"""The administrators' page: who gets in, failed cases with where they stopped, retry, suspend, resume, cancel.

The administrator is ``quantri``, the only member of the group ``quan_tri`` (the default of
``PROCFLOW_ADMIN_GROUP``), imported beside the web tests' organisation. Failed cases come from
tests/fixtures/failing_script.bpmn: its script ``divide`` computes ``10 / divisor``, so a divisor of 0 stops the
case at ``divide`` and a retry with ``{"divisor": 5}`` moves it on to the user task ``check``.
"""

from __future__ import annotations

import html
import re

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES
from tests.web.conftest import PASSWORD, Auth, csrf_token, start_approval

ADMIN = "quantri"
CASES = "/admin/cases"


@pytest.fixture
def admin_services(web_services: Services) -> Services:
    """The web tests' services with an administrator and the failing procedure deployed."""
    web_services.org.import_structure({
        "groups": [{"code": "quan_tri", "name": "Quản trị hệ thống"}],
        "users": [{"username": ADMIN, "full_name": "Đinh Văn Trị", "groups": ["quan_tri"]}],
    })
    web_services.accounts.set_password(ADMIN, PASSWORD)
    web_services.deployment.deploy(collect_sources([FIXTURES / "failing_script.bpmn"]))
    return web_services


def failed_case(services: Services, divisor: object = 0) -> int:
    """A case of the failing procedure, stopped at ``divide`` after its first task got ``divisor``."""
    instance_id = services.runtime.start("failing", user="chuyenvien")
    enter = services.queries.tasks(instance_id=instance_id)[0]
    services.runtime.complete_task(enter.id, user="chuyenvien", data={"divisor": divisor})
    assert services.queries.instance(instance_id).status == "error"
    return instance_id


def status(services: Services, instance_id: int) -> str:
    return services.queries.instance(instance_id, with_history=False).status


def act(auth: Auth, instance_id: int, action: str, data: dict[str, str] | None = None,
        back: str = CASES) -> TestResponse:
    """Send an action's form from the list at ``back``, as the page does (CSRF token and where to come back)."""
    return auth.post(f"{CASES}/{instance_id}/{action}", {"next": back, **(data or {})}, page=back)


def flashed(client: FlaskClient, response: TestResponse) -> str:
    """The flash messages of the page a redirect leads to."""
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return " ".join(html.unescape(m) for m in re.findall(r'<p class="alert alert--\w+" role="status">(.*?)</p>', page))


def row(page: str, instance_id: int) -> str:
    """The list's row of a case ('' when it is not listed)."""
    found = re.search(rf'<tr id="admin-case-{instance_id}".*?</tr>', page, re.S)
    return html.unescape(found.group(0)) if found else ""


def test_only_administrators_get_in(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    instance_id = failed_case(admin_services)
    assert client.get(CASES).headers["Location"].startswith("/login")  # not signed in
    for username in ("chuyenvien", "chanhvp", "bithu"):  # a specialist, a leader, the agency leader
        auth.login(username)
        assert 'id="nav-admin"' not in client.get("/inbox/").get_data(as_text=True)
        for path in ("/admin/", CASES, f"{CASES}?status=all"):
            response = client.get(path)
            assert response.status_code == 403, (username, path)
            assert 'id="error-page"' in response.get_data(as_text=True)
        for action, data in (("retry", {"data": '{"divisor": 5}'}), ("suspend", {}), ("resume", {}),
                             ("cancel", {"reason": "thử"})):
            assert act(auth, instance_id, action, data, back="/inbox/").status_code == 403, (username, action)
        auth.logout()
    assert status(admin_services, instance_id) == "error"
    auth.login(ADMIN)
    page = client.get("/inbox/").get_data(as_text=True)
    assert f'<a id="nav-admin" href="{CASES}"' in page and ">Quản trị</a>" in page


def test_the_administrator_sees_failed_cases_where_they_stopped_and_why(client: FlaskClient, auth: Auth,
                                                                        admin_services: Services) -> None:
    failed = failed_case(admin_services)
    running, _ = start_approval(admin_services, title="Công văn 15")
    auth.login(ADMIN)
    response = client.get(CASES)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 id="admin-title">Hồ sơ lỗi</h1>' in page and 'aria-current="page">Quản trị</a>' in page
    listed = row(page, failed)
    assert 'data-status="error"' in listed and "Dừng do lỗi" in listed
    assert 'data-element="divide"' in listed and "Dừng tại divide:" in listed and "ZeroDivisionError" in listed
    assert f'href="/cases/{failed}"' in listed and "Failing script" in listed and "(phiên bản 1)" in listed
    assert '<time datetime="2026-04-29T02:00:00+00:00">29/04/2026 09:00</time>' in listed  # last change, local time
    assert 'id="retry-form-' in listed and 'name="csrf_token"' in listed and 'id="cancel-form-' in listed
    assert row(page, running) == ""  # the default list holds failed cases only
    assert ">Hồ sơ lỗi (1)</option>" in page and ">Hồ sơ đang xử lý (1)</option>" in page
    case_page = client.get(f"/cases/{failed}")  # the administrator may open any case
    assert case_page.status_code == 200 and 'data-status="error"' in case_page.get_data(as_text=True)
    assert client.get(f"/cases/{running}").status_code == 200


def test_filters_by_status_and_procedure(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    failed = failed_case(admin_services)
    running, _ = start_approval(admin_services)
    auth.login(ADMIN)
    everything = client.get(f"{CASES}?status=all").get_data(as_text=True)
    assert row(everything, failed) and row(everything, running)
    assert everything.index(f'id="admin-case-{running}"') < everything.index(f'id="admin-case-{failed}"')  # newest
    only_approve = client.get(f"{CASES}?status=all&process_id=approve").get_data(as_text=True)
    assert row(only_approve, running) and not row(only_approve, failed)
    in_progress = client.get(f"{CASES}?status=running").get_data(as_text=True)
    assert row(in_progress, running) and f'id="suspend-{running}"' in in_progress
    assert 'id="admin-empty"' in client.get(f"{CASES}?status=suspended").get_data(as_text=True)
    assert client.get(f"{CASES}?status=lost").status_code == 422


def test_retry_with_corrected_data_moves_the_case_on(client: FlaskClient, auth: Auth,
                                                     admin_services: Services) -> None:
    instance_id = failed_case(admin_services)
    auth.login(ADMIN)
    response = act(auth, instance_id, "retry", {"data": '{"divisor": 5}'})
    assert response.headers["Location"] == CASES
    assert f"Hồ sơ #{instance_id} đã được chạy lại và tiếp tục được xử lý." in flashed(client, response)
    view = admin_services.queries.instance(instance_id)
    assert (view.status, view.data["quotient"]) == ("running", 2)
    assert [t.element_id for t in view.open_tasks] == ["check"]
    assert [(h.kind, h.actor, h.data) for h in view.history if h.kind == "retried"] == [
        ("retried", ADMIN, {"data": {"divisor": 5}, "version": 1})]
    assert not row(client.get(CASES).get_data(as_text=True), instance_id)  # no longer among the failed


def test_a_retry_that_fails_again_shows_the_new_error(client: FlaskClient, auth: Auth,
                                                      admin_services: Services) -> None:
    instance_id = failed_case(admin_services)
    auth.login(ADMIN)
    message = flashed(client, act(auth, instance_id, "retry", {"data": '{"divisor": "năm"}'}))
    assert f"Hồ sơ #{instance_id} đã được chạy lại nhưng vẫn dừng do lỗi." in message
    assert "Dừng tại divide:" in message and "TypeError" in message and "ZeroDivisionError" not in message
    assert status(admin_services, instance_id) == "error"


def test_retry_on_the_latest_version(client: FlaskClient, auth: Auth, admin_services: Services, tmp_path) -> None:
    instance_id = failed_case(admin_services)
    fixed = tmp_path / "failing_script.bpmn"
    fixed.write_text((FIXTURES / "failing_script.bpmn").read_text().replace(
        "quotient = 10 / divisor", "quotient = 10 / divisor if divisor else None"))
    admin_services.deployment.deploy(collect_sources([fixed]))
    auth.login(ADMIN)
    assert "Đã triển khai phiên bản 2." in row(client.get(CASES).get_data(as_text=True), instance_id)
    message = flashed(client, act(auth, instance_id, "retry", {"data": "", "upgrade": "1"}))
    assert "đã được chạy lại và tiếp tục được xử lý. Hồ sơ nay được xử lý theo phiên bản 2 của thủ tục." in message
    view = admin_services.queries.instance(instance_id)
    assert (view.status, view.version, view.data["quotient"]) == ("running", 2, None)


@pytest.mark.parametrize(("typed", "why"), [
    ('{"divisor": 5', "Dữ liệu không đúng định dạng JSON: Expecting ',' delimiter (dòng 1, cột 14)."),
    ("divisor = 5", "Dữ liệu không đúng định dạng JSON: Expecting value (dòng 1, cột 1)."),
    ("[5]", 'Cần nhập một đối tượng JSON: tên trường đặt trong dấu ngoặc kép, kèm giá trị, ví dụ {"divisor": 5}.'),
])
def test_retry_with_invalid_json_says_which_field_and_why_and_changes_nothing(
        client: FlaskClient, auth: Auth, admin_services: Services, typed: str, why: str) -> None:
    instance_id = failed_case(admin_services)
    auth.login(ADMIN)
    response = act(auth, instance_id, "retry", {"data": typed, "upgrade": "1"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert f"Hồ sơ #{instance_id} chưa được thay đổi: đề nghị sửa trường được đánh dấu." in page
    listed = row(page, instance_id)
    field = f"retry-data-{instance_id}"
    assert f'<p class="field__error" id="{field}-error">{why}</p>' in listed
    assert f'aria-describedby="{field}-help {field}-error" aria-invalid="true">{typed}</textarea>' in listed
    assert f'id="retry-details-{instance_id}" open' in listed and "checked" in listed  # what was typed is kept
    view = admin_services.queries.instance(instance_id)
    assert view.status == "error" and view.data["divisor"] == 0
    assert not [h for h in view.history if h.kind == "retried"]


def test_suspend_then_resume(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    instance_id, task_id = start_approval(admin_services)
    auth.login(ADMIN)
    back = f"{CASES}?status=running"
    response = act(auth, instance_id, "suspend", back=back)
    assert response.headers["Location"] == back
    assert f"Đã tạm dừng hồ sơ #{instance_id}" in flashed(client, response)
    assert status(admin_services, instance_id) == "suspended"
    suspended = row(client.get(f"{CASES}?status=suspended").get_data(as_text=True), instance_id)
    assert 'data-status="suspended"' in suspended and f'id="resume-{instance_id}"' in suspended
    assert f'id="suspend-{instance_id}"' not in suspended
    message = flashed(client, act(auth, instance_id, "resume", back=f"{CASES}?status=suspended"))
    assert f"Hồ sơ #{instance_id} đã được tiếp tục xử lý." in message
    assert status(admin_services, instance_id) == "running"
    kinds = [(h.kind, h.actor) for h in admin_services.queries.history(instance_id)]
    assert ("suspended", ADMIN) in kinds and ("resumed", ADMIN) in kinds
    auth.logout()
    auth.login("chanhvp")  # the leaders can work on the task again
    response = auth.post(f"/tasks/{instance_id}/{task_id}", {"comment": "tôi duyệt", "_element": "review"})
    assert response.status_code == 302


def test_engine_refusals_are_messages_not_errors(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    instance_id, _ = start_approval(admin_services)
    auth.login(ADMIN)
    message = flashed(client, act(auth, instance_id, "resume"))  # it is running, not suspended
    assert f"Không thể tiếp tục xử lý hồ sơ #{instance_id} (hồ sơ hiện ở trạng thái “Đang xử lý”): " in message
    assert "đang ở trạng thái đang xử lý, không phải tạm dừng" in message and "not suspended" not in message
    message = flashed(client, act(auth, instance_id, "retry", {"data": '{"divisor": 5}'}))
    assert f"Không thể chạy lại hồ sơ #{instance_id} (hồ sơ hiện ở trạng thái “Đang xử lý”)" in message
    assert "Hồ sơ #424242 không tồn tại." in flashed(client, act(auth, 424242, "suspend"))
    assert status(admin_services, instance_id) == "running"
    # Somewhere else than this page (or another site) is never where an action sends the administrator back.
    assert act(auth, instance_id, "suspend", {"next": "https://evil.example/"}).headers["Location"] == CASES


def test_cancel_requires_a_reason_and_ends_the_case(client: FlaskClient, auth: Auth,
                                                    admin_services: Services) -> None:
    instance_id = failed_case(admin_services)
    auth.login(ADMIN)
    for reason in ("", "   "):
        response = act(auth, instance_id, "cancel", {"reason": reason})
        assert response.status_code == 422
        listed = row(response.get_data(as_text=True), instance_id)
        assert f'id="cancel-reason-{instance_id}-error">Cần ghi rõ lý do hủy hồ sơ.</p>' in listed
        assert f'id="cancel-details-{instance_id}" open' in listed
        assert status(admin_services, instance_id) == "error"
    message = flashed(client, act(auth, instance_id, "cancel", {"reason": "Hồ sơ nhập trùng"}))
    assert f"Đã hủy hồ sơ #{instance_id}. Lý do: Hồ sơ nhập trùng" in message
    view = admin_services.queries.instance(instance_id)
    assert view.status == "terminated" and view.ended_at is not None and view.open_tasks == []
    assert [(h.actor, h.data) for h in view.history if h.kind == "terminated"] == [
        (ADMIN, {"reason": "Hồ sơ nhập trùng"})]
    ended = row(client.get(f"{CASES}?status=terminated").get_data(as_text=True), instance_id)
    assert "Hồ sơ đã kết thúc." in ended and "<form" not in ended
    again = flashed(client, act(auth, instance_id, "cancel", {"reason": "lần nữa"}))
    assert f"Không thể hủy hồ sơ #{instance_id} (hồ sơ hiện ở trạng thái “Đã hủy”)" in again


def test_every_action_needs_the_csrf_token(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    failed = failed_case(admin_services)
    running, _ = start_approval(admin_services)
    auth.login(ADMIN)
    for instance_id, action, data in ((failed, "retry", {"data": '{"divisor": 5}'}), (running, "suspend", {}),
                                      (failed, "cancel", {"reason": "không có mã"})):
        response = client.post(f"{CASES}/{instance_id}/{action}", data={"next": CASES, **data})
        assert response.status_code == 400, action
        assert 'data-status="400"' in response.get_data(as_text=True)
        wrong = client.post(f"{CASES}/{instance_id}/{action}", data={"csrf_token": "sai", **data})
        assert wrong.status_code == 400, action
    assert (status(admin_services, failed), status(admin_services, running)) == ("error", "running")


def test_the_page_in_english(client: FlaskClient, auth: Auth, admin_services: Services) -> None:
    instance_id = failed_case(admin_services)
    auth.login(ADMIN)
    client.post("/language", data={"lang": "en", "next": CASES, "csrf_token": csrf_token(client, CASES)})
    page = client.get(CASES).get_data(as_text=True)
    assert '<html lang="en">' in page and '<h1 id="admin-title">Failed cases</h1>' in page
    assert ">Administration</a>" in page and "Run again" in page and "Cancel the case" in page
    assert "Stopped at divide:" in page and "Corrected data (JSON, optional)" in page
    assert ">29 Apr 2026, 09:00</time>" in page
    assert "Hồ sơ lỗi" not in page and "Chạy lại" not in page
    response = act(auth, instance_id, "retry", {"data": "{divisor: 5}"})
    assert response.status_code == 422
    assert "This is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)." in \
        html.unescape(response.get_data(as_text=True))
    message = flashed(client, act(auth, instance_id, "retry", {"data": '{"divisor": 2}'}))
    assert f"Case #{instance_id} was run again and is moving on." in message


def test_an_administrator_group_of_ones_own(admin_services: Services, settings, clock) -> None:
    from dataclasses import replace

    from engine.services import build_services
    from engine.settings import Settings

    assert Settings.from_env({}).admin_group == "quan_tri"
    assert Settings.from_env({"PROCFLOW_ADMIN_GROUP": "tin_hoc"}).admin_group == "tin_hoc"
    instance_id = failed_case(admin_services)
    other = build_services(replace(settings, admin_group="lanh_dao"), clock=clock)
    try:
        assert other.admin.is_admin("chanhvp") and not other.admin.is_admin(ADMIN)
        assert other.access.may_see_case("chanhvp", instance_id) and not other.access.may_see_case(ADMIN, instance_id)
        assert [r.id for r in other.admin.cases("chanhvp").rows] == [instance_id]
    finally:
        other.close()

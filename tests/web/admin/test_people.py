"""The administrators' organisation pages: only administrators get in (every route), and each change works."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.services import Services
from tests.web.admin.test_views import ADMIN, admin_services  # noqa: F401 - fixture
from tests.web.conftest import PASSWORD, Auth, start_approval

GETS = ["/admin/people", "/admin/people/chuyenvien", "/admin/units", "/admin/groups", "/admin/operations",
        "/admin/org/export.yaml", "/admin/org/export.csv"]
POSTS = ["/admin/people", "/admin/people/chuyenvien", "/admin/people/chuyenvien/deactivate",
         "/admin/people/chuyenvien/activate", "/admin/people/chuyenvien/reset-link", "/admin/units",
         "/admin/units/VP/rename", "/admin/units/VP/move", "/admin/units/VP/head", "/admin/groups",
         "/admin/groups/lanh_dao/members", "/admin/org/import", "/admin/operations/jobs/x/retry",
         "/admin/operations/jobs/x/delete"]


def test_every_route_is_for_administrators_only(app: Flask, client: FlaskClient, auth: Auth,
                                                admin_services: Services) -> None:  # noqa: F811
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")}
    assert {"/admin/people", "/admin/units/<code>/<any(rename, move, head):change>"} <= rules
    for path in GETS:
        assert client.get(path).status_code == 302, path  # to the sign-in page
    auth.login("chanhvp")  # a leader, not an administrator
    for path in GETS:
        assert client.get(path).status_code == 403, path
    for path in POSTS:
        assert auth.post(path, {"value": "x", "username": "chanhvp", "member": "1"}, page="/inbox/").status_code \
            == 403, path
    assert admin_services.people.person("chuyenvien").active  # nothing changed


def test_an_administrator_manages_people_units_and_groups(client: FlaskClient, auth: Auth,
                                                          admin_services: Services) -> None:  # noqa: F811
    auth.login(ADMIN)
    assert "Hoàng Văn Viên" in client.get("/admin/people").get_data(as_text=True)
    created = auth.post("/admin/people", {"username": "moi", "full_name": "Người Mới", "unit": "PTH",
                                          "groups": ["chuyen_vien"], "language": "vi"}, page="/admin/people")
    assert created.headers["Location"].endswith("/admin/people/moi")
    assert admin_services.people.person("moi").groups == ("chuyen_vien",)
    page = client.get("/admin/people/moi").get_data(as_text=True)
    assert "hãy cấp liên kết đặt mật khẩu" in page  # a new user has no password yet: the page says what comes next
    # deactivating asks first: the button is inside a closed disclosure
    assert re.search(r'<details class="admin-action" id="deactivate-details">\s*<summary', page)
    refused = auth.post("/admin/people", {"username": "bad name", "full_name": ""}, page="/admin/people")
    assert refused.status_code == 302 and "username" in client.get("/admin/people").get_data(as_text=True)
    auth.post("/admin/people/moi", {"full_name": "Người Mới", "title": "Chuyên viên chính", "unit": "VP",
                                    "groups": ["van_thu"], "language": "en"}, page="/admin/people/moi")
    person = admin_services.people.person("moi")
    assert (person.title, person.unit, person.groups, person.language) == \
        ("Chuyên viên chính", "VP", ("van_thu",), "en")
    auth.post("/admin/units", {"code": "PKT", "name": "Phòng Kế toán", "parent": "VP"}, page="/admin/units")
    auth.post("/admin/units/PKT/head", {"value": "moi"}, page="/admin/units")
    auth.post("/admin/units/PKT/move", {"value": "TU"}, page="/admin/units")
    auth.post("/admin/units/VP/move", {"value": "PTH"}, page="/admin/units")  # a cycle: refused
    tree = {u.code: (u.parent, u.head) for u in admin_services.people.tree()}
    assert tree["PKT"] == ("TU", "moi") and tree["VP"][0] == "TU"
    assert "không thể chuyển đơn vị" in client.get("/admin/units").get_data(as_text=True)
    auth.post("/admin/groups/lanh_dao/members", {"username": "moi", "member": "1"}, page="/admin/groups")
    assert "moi" in admin_services.people.members("lanh_dao")
    groups = client.get("/admin/groups").get_data(as_text=True)
    assert '<th scope="col">Thành viên</th>' in groups  # the columns are named
    exported = client.get("/admin/org/export.csv")
    assert exported.status_code == 200 and "moi,Người Mới" in exported.get_data(as_text=True)


def test_deactivation_and_reset_link_from_the_page(client: FlaskClient, auth: Auth,
                                                   admin_services: Services) -> None:  # noqa: F811
    case, task = start_approval(admin_services)
    admin_services.work.claim(task, "chanhvp")
    auth.login(ADMIN)
    response = auth.post("/admin/people/chanhvp/deactivate", page="/admin/people/chanhvp")
    assert response.status_code == 302
    assert admin_services.queries.tasks(instance_id=case)[0].assignee == "bithu"
    assert "đã vô hiệu hóa" in client.get("/admin/people/chanhvp").get_data(as_text=True)
    page = auth.post("/admin/people/chuyenvien/reset-link", page="/admin/people/chuyenvien").get_data(as_text=True)
    url = re.search(r'<code id="reset-link-url">([^<]+)</code>', page)
    assert url and "/password/reset/" in url.group(1)
    auth.logout()
    path = url.group(1).split("localhost", 1)[1]
    weak = auth.post(path, {"new": "ngan", "again": "ngan"})
    assert weak.status_code == 422 and 'aria-invalid="true"' in weak.get_data(as_text=True)
    assert "Ít nhất 8 ký tự." in weak.get_data(as_text=True) and "at least" not in weak.get_data(as_text=True)
    assert auth.post(path, {"new": "mat-khau-moi-1", "again": "mat-khau-moi-1"}).status_code == 302
    assert auth.login("chuyenvien", "mat-khau-moi-1").status_code == 302
    assert client.get(path).status_code == 404  # used


def test_the_operations_page_shows_when_the_audit_chains_were_last_anchored(client: FlaskClient, auth: Auth,
                                                                           admin_services: Services) -> None:  # noqa: F811
    auth.login(ADMIN)
    assert 'id="ops-audit"' in client.get("/admin/operations").get_data(as_text=True)
    start_approval(admin_services)
    anchor = admin_services.anchors.anchor()
    assert anchor is not None
    response = client.get("/admin/operations")  # the anchor's time, read back from the database (text on SQLite)
    assert response.status_code == 200
    audit = re.search(r'<p id="ops-audit">(.*?)</p>', response.get_data(as_text=True))
    assert audit and '<time datetime="' in audit.group(1)
    assert audit.group(1).startswith("Lần neo chuỗi gần nhất:")  # an anchor, not a verification: it says so


def test_refusals_on_the_units_page_speak_the_administrators_language(client: FlaskClient, auth: Auth,
                                                                       admin_services: Services) -> None:  # noqa: F811
    auth.login(ADMIN)
    auth.post("/admin/units/VP/rename", {"value": "  "}, page="/admin/units")
    assert "tên đơn vị phải có từ 1 đến 500 ký tự" in client.get("/admin/units").get_data(as_text=True)
    broken = (io.BytesIO(b"units:\n  - code: [broken\n"), "so-do-to-chuc.yaml")
    auth.post("/admin/org/import", {"file": broken}, page="/admin/units", content_type="multipart/form-data")
    page = client.get("/admin/units").get_data(as_text=True)
    assert "so-do-to-chuc.yaml:3: không phải YAML hợp lệ" in page  # their file's name and line
    assert "organisation.yaml" not in page and "/tmp" not in page  # not the server's temporary copy


@pytest.mark.parametrize("who", ["chuyenvien"])
def test_changing_ones_own_password(client: FlaskClient, auth: Auth, web_services: Services, who: str) -> None:
    auth.login(who)
    wrong = auth.post("/account/password", {"old": "sai", "new": "mat-khau-moi-1", "again": "mat-khau-moi-1"})
    assert wrong.status_code == 422
    short = auth.post("/account/password", {"old": PASSWORD, "new": "ngan", "again": "ngan"})
    assert short.status_code == 422
    # what the password lacks, in the page's language, on the field and marked as its error
    assert re.search(r'<p class="field__error" id="pw-new-error">Ít nhất 8 ký tự\.</p>', short.get_data(as_text=True))
    assert "at least 8 characters" not in short.get_data(as_text=True)
    done = auth.post("/account/password", {"old": PASSWORD, "new": "mat-khau-moi-1", "again": "mat-khau-moi-1"})
    assert done.status_code == 302 and client.get("/inbox/").status_code == 200  # still signed in
    web_services.accounts.authenticate(who, "mat-khau-moi-1")

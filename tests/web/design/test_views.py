"""The designers' pages: who gets in, upload and lint, bad uploads, the modeler's JSON calls, deploy, versions
with their cases, the differences between two versions, and scenario runs with coverage.

The designer is ``thietke`` (group ``thiet_ke``), the administrator ``quantri``; ``chuyenvien`` is neither.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.designer.workbench.service import DesignService
from engine.services import Services
from tests.conftest import FIXTURES
from tests.web.conftest import PASSWORD, Auth, csrf_token

DESIGNER = "thietke"
ADMIN = "quantri"
APPROVE = (FIXTURES / "approve.bpmn").read_bytes()
# approve with a new task between review and the gateway, the review's deadline changed and end_no gone
APPROVE_V2 = (APPROVE.replace(b'camunda:dueDate="&quot;P2D&quot;"', b'camunda:dueDate="&quot;P3D&quot;"')
              .replace(b'<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="decision" />',
                       b'<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="check" />'
                       b'<bpmn:task id="check" name="Kiem tra"><bpmn:incoming>f2</bpmn:incoming>'
                       b'<bpmn:outgoing>f2b</bpmn:outgoing></bpmn:task>'
                       b'<bpmn:sequenceFlow id="f2b" sourceRef="check" targetRef="decision" />')
              .replace(b'<bpmn:incoming>f2</bpmn:incoming>\n      <bpmn:outgoing>f_yes',
                       b'<bpmn:incoming>f2b</bpmn:incoming>\n      <bpmn:outgoing>f_yes'))


@pytest.fixture
def design_services(web_services: Services) -> Services:
    web_services.org.import_structure({
        "groups": [{"code": "quan_tri", "name": "Quản trị hệ thống"}, {"code": "thiet_ke", "name": "Thiết kế"}],
        "users": [{"username": ADMIN, "full_name": "Đinh Văn Trị", "groups": ["quan_tri"]},
                  {"username": DESIGNER, "full_name": "Lý Thị Ngọc", "groups": ["thiet_ke"]}],
    })
    web_services.accounts.set_password(ADMIN, PASSWORD)
    web_services.accounts.set_password(DESIGNER, PASSWORD)
    return web_services


@pytest.fixture
def designer(app: Flask, design_services: Services, client: FlaskClient) -> Auth:
    auth = Auth(client)
    auth.login(DESIGNER)
    return auth


def _upload(auth: Auth, files: list[tuple[str, bytes]], title: str = "") -> object:
    data: dict[str, object] = {"files": [(io.BytesIO(content), name) for name, content in files], "title": title,
                               "csrf_token": csrf_token(auth.client, "/design/")}
    return auth.client.post("/design/upload", data=data, content_type="multipart/form-data")


def _draft_id(response: object) -> str:
    location = response.headers["Location"]  # type: ignore[attr-defined]
    found = re.search(r"/design/drafts/([0-9a-f]{16})", location)
    assert found, location
    return found.group(1)


def _json_post(auth: Auth, path: str, body: object) -> object:
    token = csrf_token(auth.client, "/design/")
    return auth.client.post(path, data=json.dumps(body), content_type="application/json",
                            headers={"X-CSRFToken": token})


# -- permissions ---------------------------------------------------------------------------------------------
ROUTES = [("get", "/design/"), ("post", "/design/upload"), ("post", "/design/new"),
          ("get", "/design/drafts/0123456789abcdef"), ("post", "/design/drafts/0123456789abcdef/deploy"),
          ("post", "/design/drafts/0123456789abcdef/delete"), ("get", "/design/drafts/0123456789abcdef/model"),
          ("post", "/design/drafts/0123456789abcdef/save"), ("post", "/design/lint"),
          ("get", "/design/processes/approve"), ("get", "/design/processes/approve/versions/1"),
          ("post", "/design/processes/approve/versions/1/draft"), ("get", "/design/processes/approve/diff?old=1&new=1"),
          ("post", "/design/processes/approve/scenarios")]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_signed_out_people_are_sent_to_sign_in(design_services: Services, client: FlaskClient, method: str,
                                                path: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code in (302, 401, 400)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_staff_who_are_not_designers_get_403(design_services: Services, auth: Auth, method: str, path: str) -> None:
    auth.login("chuyenvien")
    token = csrf_token(auth.client, "/inbox/")
    response = (auth.client.get(path) if method == "get"
                else auth.client.post(path, data={"csrf_token": token}))
    assert response.status_code == 403


def test_the_menu_shows_design_to_designers_and_administrators_only(design_services: Services, auth: Auth) -> None:
    auth.login("chuyenvien")
    assert 'id="nav-design"' not in auth.client.get("/inbox/").get_data(as_text=True)
    auth.logout()
    auth.login(ADMIN)
    assert 'id="nav-design"' in auth.client.get("/inbox/").get_data(as_text=True)
    assert auth.client.get("/design/").status_code == 200


def test_a_post_without_csrf_token_is_refused(designer: Auth) -> None:
    response = designer.client.post("/design/upload", data={"files": (io.BytesIO(APPROVE), "approve.bpmn")},
                                    content_type="multipart/form-data")
    assert response.status_code == 400
    assert designer.client.post("/design/lint", json={"name": "a.bpmn", "xml": "<x/>"}).status_code == 400


# -- upload, lint, deploy ------------------------------------------------------------------------------------
def test_upload_lint_and_deploy_a_new_version(designer: Auth, design_services: Services) -> None:
    response = _upload(designer, [("approve.bpmn", APPROVE_V2)], title="Phê duyệt v2")
    assert response.status_code == 302
    draft_id = _draft_id(response)
    page = designer.client.get(f"/design/drafts/{draft_id}").get_data(as_text=True)
    assert "Phê duyệt v2" in page and 'id="design-diagram"' in page
    data = json.loads(re.search(r'<script type="application/json" id="design-data">(.*?)</script>', page, re.S)
                      .group(1))
    assert data["file"] == "approve.bpmn" and "check" in data["xml"]
    # the new plain task reaches nobody? no: it is a task, not a user task; the lint gives its warnings in place
    assert all(p["file"] == "approve.bpmn" for p in data["problems"])
    response = designer.post(f"/design/drafts/{draft_id}/deploy", page=f"/design/drafts/{draft_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/design/processes/approve")
    versions = designer.client.get("/design/processes/approve").get_data(as_text=True)
    assert 'id="version-2"' in versions and 'id="version-1"' in versions
    assert 'id="diff-1-2"' in versions


def test_a_refused_deployment_lists_the_located_errors(designer: Auth) -> None:
    broken = APPROVE.replace(b'targetRef="end_ok"', b'targetRef="nowhere"')
    draft_id = _draft_id(_upload(designer, [("approve.bpmn", broken)]))
    page = designer.client.get(f"/design/drafts/{draft_id}").get_data(as_text=True)
    assert 'class="problem problem--error"' in page and "nowhere" in page
    response = designer.post(f"/design/drafts/{draft_id}/deploy", page=f"/design/drafts/{draft_id}")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "approve.bpmn:" in text and "f3" in text


def test_a_zip_of_models_is_unpacked(designer: Auth) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("models/approve.bpmn", APPROVE_V2)
        archive.writestr("__MACOSX/._approve.bpmn", b"junk")
    draft_id = _draft_id(_upload(designer, [("models.zip", packed.getvalue())]))
    page = designer.client.get(f"/design/drafts/{draft_id}").get_data(as_text=True)
    assert "approve.bpmn" in page and "._approve" not in page


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("notes.txt", b"hello", "notes.txt"),
    ("empty.bpmn", b"  ", "empty.bpmn"),
    ("bad.zip", b"PK not a zip", "bad.zip"),
])
def test_bad_uploads_are_refused_naming_the_file(designer: Auth, name: str, content: bytes, expected: str) -> None:
    response = _upload(designer, [(name, content)])
    assert response.status_code == 422
    assert expected in response.get_data(as_text=True)


def test_a_zip_bomb_is_refused_before_it_is_inflated(designer: Auth) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.bpmn", b"\0" * (30 * 1024 * 1024))
    response = _upload(designer, [("bomb.zip", packed.getvalue())])
    assert response.status_code == 422
    assert "bomb.zip" in response.get_data(as_text=True)


def test_malformed_xml_is_a_located_problem_not_a_crash(designer: Auth) -> None:
    draft_id = _draft_id(_upload(designer, [("broken.bpmn", b"<bpmn:definitions>\n  <unclosed>\n")]))
    page = designer.client.get(f"/design/drafts/{draft_id}")
    assert page.status_code == 200
    assert "broken.bpmn:" in page.get_data(as_text=True)
    response = designer.post(f"/design/drafts/{draft_id}/deploy", page=f"/design/drafts/{draft_id}")
    assert response.status_code == 422


def test_a_refused_deployment_keeps_the_warnings_beside_the_errors(designer: Auth) -> None:
    model = (FIXTURES / "lint" / "dead_end.bpmn").read_bytes().replace(b'kind == "stuck"', b"kind ==")
    draft_id = _draft_id(_upload(designer, [("dead_end.bpmn", model)]))
    linted = designer.client.get(f"/design/drafts/{draft_id}").get_data(as_text=True)
    assert "W111" in linted
    response = designer.post(f"/design/drafts/{draft_id}/deploy", page=f"/design/drafts/{draft_id}")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "W111" in page and "cảnh báo: 0" not in page  # the count and the list still show the warnings
    assert re.search(r"E0\d\d", page)


def test_a_drafts_forms_are_checked_and_count_for_its_models(designer: Auth) -> None:
    model = APPROVE.replace(b'formKey="approve"', b'formKey="chi_trong_ban_nhap"')
    form = (FIXTURES / "forms_used" / "approve.form").read_bytes().replace(b'"id": "approve"',
                                                                             b'"id": "chi_trong_ban_nhap"')

    def draft_page(files: list[tuple[str, bytes]]) -> str:
        return designer.client.get(f"/design/drafts/{_draft_id(_upload(designer, files))}").get_data(as_text=True)

    assert "W104" in draft_page([("approve.bpmn", model)])  # the task's form is in no folder
    # it comes with the draft and deploys with it: not missing
    together = _draft_id(_upload(designer, [("approve.bpmn", model), ("chi_trong_ban_nhap.form", form)]))
    assert "W104" not in designer.client.get(f"/design/drafts/{together}").get_data(as_text=True)
    deployed = designer.post(f"/design/drafts/{together}/deploy", page=f"/design/drafts/{together}")
    assert deployed.status_code == 302
    broken = draft_page([("broken.form", b'{"components": [\n')])
    assert "F001" in broken and "Lỗi: 1" in broken  # what deploy would refuse, said before deploying


def test_a_missing_draft_is_404(designer: Auth) -> None:
    assert designer.client.get("/design/drafts/0123456789abcdef").status_code == 404
    assert designer.client.get("/design/drafts/..%2F..%2Fetc").status_code == 404


# -- the modeler -----------------------------------------------------------------------------------------------
def test_new_diagram_opens_the_modeler(designer: Auth) -> None:
    response = designer.post("/design/new", {"process_id": "quy_trinh_moi", "name": "Quy trình mới"},
                             page="/design/")
    assert response.status_code == 302 and "/model" in response.headers["Location"]
    page = designer.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "bpmn-modeler.production.min.js" in page and 'id="properties-panel"' in page
    assert 'id=\\"quy_trinh_moi\\"' in page or "quy_trinh_moi" in page


def test_new_diagram_with_a_bad_id_is_refused_in_place(designer: Auth) -> None:
    response = designer.post("/design/new", {"process_id": "1 bad id", "name": "x"}, page="/design/")
    assert response.status_code == 422
    assert 'id="design-error"' in response.get_data(as_text=True)


def test_live_lint_and_save(designer: Auth) -> None:
    draft_id = _draft_id(_upload(designer, [("approve.bpmn", APPROVE)]))
    no_group = APPROVE.replace(b' camunda:candidateGroups="lanh_dao"', b"").decode()
    answer = _json_post(designer, "/design/lint", {"name": "approve.bpmn", "xml": no_group, "draft": draft_id})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    problems = answer.get_json()["problems"]  # type: ignore[attr-defined]
    assert any(p["code"] == "W102" and p["element_id"] == "review" for p in problems)
    saved = _json_post(designer, f"/design/drafts/{draft_id}/save", {"name": "approve.bpmn", "xml": no_group})
    assert saved.get_json()["saved"] is True  # type: ignore[attr-defined]
    page = designer.client.get(f"/design/drafts/{draft_id}").get_data(as_text=True)
    assert "W102" in page


def test_the_modeler_calls_refuse_bad_input_as_json(designer: Auth) -> None:
    draft_id = _draft_id(_upload(designer, [("approve.bpmn", APPROVE)]))
    answer = _json_post(designer, "/design/lint", {"name": "approve.bpmn", "xml": "<a><b></a>"})
    problem = answer.get_json()["problems"][0]  # type: ignore[attr-defined]
    assert problem["code"] == "E001" and problem["line"] == 1
    refused = _json_post(designer, f"/design/drafts/{draft_id}/save", {"name": "../x.bpmn", "xml": "<a/>"})
    assert refused.status_code == 422 and "name" in refused.get_json()["fields"]  # type: ignore[attr-defined]
    refused = _json_post(designer, "/design/lint", ["not", "an", "object"])
    assert refused.status_code == 422  # type: ignore[attr-defined]
    bad_xml = _json_post(designer, f"/design/drafts/{draft_id}/save", {"name": "approve.bpmn", "xml": "<a>"})
    assert bad_xml.status_code == 422  # type: ignore[attr-defined]


# -- versions and their differences --------------------------------------------------------------------------
def test_versions_count_their_cases_and_show_what_changed(designer: Auth, design_services: Services) -> None:
    design_services.runtime.start("approve", data={"title": "Một"}, user="chuyenvien")
    design_services.deployment.deploy([_source("approve.bpmn", APPROVE_V2)], deployed_by=DESIGNER)
    design_services.runtime.start("approve", data={"title": "Hai"}, user="chuyenvien")
    design_services.runtime.start("approve", data={"title": "Ba"}, user="chuyenvien")
    page = designer.client.get("/design/processes/approve").get_data(as_text=True)
    row1 = re.search(r'<tr id="version-1">(.*?)</tr>', page, re.S).group(1)
    row2 = re.search(r'<tr id="version-2">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="version-open">1</td>' in row1 and '<td class="version-open">2</td>' in row2
    assert "Lý Thị Ngọc" in row2 and DESIGNER not in row2  # who deployed it, by name
    diff = designer.client.get("/design/processes/approve/diff?old=1&new=2").get_data(as_text=True)
    assert 'id="diff-added-check"' in diff and 'id="diff-added-f2b"' in diff
    assert 'id="diff-changed-review"' in diff and "camunda:dueDate" in diff
    assert 'id="diff-changed-f2"' in diff and "targetRef" in diff
    assert 'id="diff-removed-' not in diff
    latest = designer.client.get("/design/processes/approve/diff")  # no versions named: the last two
    assert latest.status_code == 200 and 'id="diff-added-check"' in latest.get_data(as_text=True)
    back = designer.client.get("/design/processes/approve/diff?old=2&new=1").get_data(as_text=True)
    assert 'id="diff-removed-check"' in back
    assert designer.client.get("/design/processes/approve/diff?old=1&new=9").status_code == 404
    assert designer.client.get("/design/processes/approve/diff?old=x&new=1").status_code in (400, 422)
    assert designer.client.get("/design/processes/nope").status_code == 404
    version = designer.client.get("/design/processes/approve/versions/2")
    assert version.status_code == 200 and 'data-role="view"' in version.get_data(as_text=True)


def test_the_migration_link_appears_only_when_migration_is_installed(designer: Auth, app: Flask,
                                                                     design_services: Services) -> None:
    design_services.deployment.deploy([_source("approve.bpmn", APPROVE_V2)])
    page = designer.client.get("/design/processes/approve").get_data(as_text=True)
    if "migration.plan" in app.view_functions:
        assert re.search(r'<a [^>]*id="migrate-1"', page)
    else:
        assert re.search(r'<span [^>]*id="migrate-1"', page)


def test_a_version_becomes_a_draft_in_the_modeler(designer: Auth) -> None:
    response = designer.post("/design/processes/approve/versions/1/draft", page="/design/processes/approve")
    assert response.status_code == 302 and "/model?file=approve.bpmn" in response.headers["Location"]


def test_deleting_a_draft(designer: Auth) -> None:
    draft_id = _draft_id(_upload(designer, [("approve.bpmn", APPROVE)]))
    page = designer.client.get(f"/design/drafts/{draft_id}").get_data(as_text=True)
    # the delete button is behind a disclosure that says what is lost: one stray click does not delete
    assert re.search(r'<details [^>]*id="delete-draft-details">\s*<summary', page)
    assert "Đồng ý xóa bản nháp" in page
    response = designer.post(f"/design/drafts/{draft_id}/delete", page=f"/design/drafts/{draft_id}")
    assert response.status_code == 302
    assert designer.client.get(f"/design/drafts/{draft_id}").status_code == 404


# -- scenarios ---------------------------------------------------------------------------------------------------
def test_scenarios_run_from_the_page_with_coverage(designer: Auth, app: Flask, design_services: Services) -> None:
    scenarios = FIXTURES / "scenarios"
    design_services.deployment.deploy([_source("waiting.bpmn", (scenarios / "waiting.bpmn").read_bytes())])
    settings = replace(design_services.settings, processes_dir=scenarios)
    app.extensions["procflow_design"] = DesignService(db=design_services.db, clock=design_services.clock,
                                                      deployment=design_services.deployment, settings=settings)
    page = designer.client.get("/design/processes/wait_and_confirm").get_data(as_text=True)
    assert "waiting.scenarios.yaml" in page
    # they play the folder's model, not the deployed version: the page says so
    assert re.search(r'id="scenarios-models">[^<]*thư mục quy trình', page)
    response = designer.post("/design/processes/wait_and_confirm/scenarios",
                             page="/design/processes/wait_and_confirm")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    data = json.loads(re.search(r'id="design-data">(.*?)</script>', text, re.S).group(1))
    assert "wait_hour" in data["reached"] and data["taken"]
    assert 'class="scenario--passed"' in text


def test_a_process_without_scenarios_says_so(designer: Auth) -> None:
    page = designer.client.get("/design/processes/approve").get_data(as_text=True)
    assert 'id="scenarios-none"' in page
    response = designer.post("/design/processes/approve/scenarios", page="/design/processes/approve")
    assert response.status_code == 302


def _source(name: str, content: bytes) -> object:
    from engine.bpmn.validation import SourceFile

    return SourceFile(name, content)


def test_drafts_live_under_the_home_folder(designer: Auth, design_services: Services) -> None:
    draft_id = _draft_id(_upload(designer, [("approve.bpmn", APPROVE)]))
    assert (Path(design_services.settings.home) / "drafts" / draft_id / "approve.bpmn").read_bytes() == APPROVE


def test_dmn_and_form_files_open_in_their_editors_and_forms_must_be_json(designer: Auth) -> None:
    form = (FIXTURES / "forms_used" / "approve.form").read_bytes()
    draft_id = _draft_id(_upload(designer, [("urgency.dmn", (FIXTURES / "urgency.dmn").read_bytes()),
                                            ("approve.form", form)]))
    dmn = designer.client.get(f"/design/drafts/{draft_id}/model?file=urgency.dmn").get_data(as_text=True)
    assert "dmn-modeler.production.min.js" in dmn and 'data-kind="dmn"' in dmn
    page = designer.client.get(f"/design/drafts/{draft_id}/model?file=approve.form").get_data(as_text=True)
    assert "form-editor.umd.js" in page and 'data-kind="form"' in page
    assert 'id="problems-pending"' in page  # "Problems" is not an empty heading before the first save
    saved = _json_post(designer, f"/design/drafts/{draft_id}/save", {"name": "approve.form", "xml": form.decode()})
    assert saved.status_code == 200  # type: ignore[attr-defined]
    broken = _json_post(designer, f"/design/drafts/{draft_id}/save", {"name": "approve.form", "xml": '{"a": [1,'})
    assert broken.status_code == 422  # type: ignore[attr-defined]
    assert broken.get_json()["problems"][0]["code"] == "E002"  # type: ignore[attr-defined]
    not_a_form = _json_post(designer, f"/design/drafts/{draft_id}/save", {"name": "approve.form", "xml": "[]"})
    assert not_a_form.status_code == 422  # type: ignore[attr-defined]
    assert designer.client.get("/vendor/dmn-js/dmn-modeler.production.min.js").status_code == 200
    assert designer.client.get("/vendor/form-js/form-editor.umd.js").status_code == 200


def test_scenarios_run_on_a_draft_play_the_drafts_model(designer: Auth, app: Flask,
                                                          design_services: Services) -> None:
    scenarios = FIXTURES / "scenarios"
    settings = replace(design_services.settings, processes_dir=scenarios)
    app.extensions["procflow_design"] = DesignService(db=design_services.db, clock=design_services.clock,
                                                      deployment=design_services.deployment, settings=settings)
    model = (scenarios / "waiting.bpmn").read_bytes()
    same = _draft_id(_upload(designer, [("waiting.bpmn", model)]))
    page = designer.client.get(f"/design/drafts/{same}").get_data(as_text=True)
    assert 'id="draft-scenarios-wait_and_confirm"' in page
    passed = designer.post(f"/design/drafts/{same}/scenarios", {"process": "wait_and_confirm"},
                           page=f"/design/drafts/{same}").get_data(as_text=True)
    assert 'id="scenarios-draft"' in passed and 'class="scenario--failed"' not in passed
    renamed = _draft_id(_upload(designer, [("waiting.bpmn", model.replace(b"wait_more", b"wait_longer"))]))
    failed = designer.post(f"/design/drafts/{renamed}/scenarios", {"process": "wait_and_confirm"},
                           page=f"/design/drafts/{renamed}").get_data(as_text=True)
    assert 'class="scenario--failed"' in failed and "wait_longer" in failed
    assert (scenarios / "waiting.bpmn").read_bytes() == model  # the folder itself is never written
    refused = designer.post(f"/design/drafts/{same}/scenarios", {"process": "approve"}, page=f"/design/drafts/{same}")
    assert refused.status_code == 302

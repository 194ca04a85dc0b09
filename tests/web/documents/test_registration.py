"""Registering an incoming document on the start page: the PDF is attached there and becomes the document's main
file; dates follow the form's rules (with HTML min/max); refusals are field messages in Vietnamese on the page."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from flask.testing import FlaskClient

from engine.services import Services
from engine.signing.sample import sample_document
from tests.web.conftest import Auth

FORM = {"so_ky_hieu": "125/UBND-VP", "ngay_ban_hanh": "2026-04-27", "ngay_den": "2026-04-29",
        "co_quan_ban_hanh": "Ủy ban nhân dân tỉnh", "loai_van_ban": "cong_van",
        "trich_yeu": "Về việc báo cáo kết quả chuyển đổi số quý I năm 2026", "hinh_thuc_nhan": "dien_tu",
        "do_khan": "thuong", "do_mat": "thuong", "so_trang": "3", "da_kiem_tra_xac_thuc": "true"}


def _post(auth: Auth, data: dict[str, Any], **files: tuple[bytes, str]) -> Any:
    sent: dict[str, Any] = dict(data)
    for name, (content, filename) in files.items():
        sent[name] = (io.BytesIO(content), filename)
    return auth.post("/start/incoming_document", sent, content_type="multipart/form-data")


def _error(page: str, field: str) -> str:
    found = re.search(rf'id="field-{field}-error">(.*?)</p>', page, re.S)
    return found.group(1).strip() if found else ""


def test_the_clerk_registers_the_document_with_its_pdf(doc_services: Services, doc_auth: Auth,
                                                       doc_client: FlaskClient) -> None:
    doc_auth.login("vanthu")
    page = doc_client.get("/start/incoming_document").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file" id="field-tep_van_ban" name="tep_van_ban"' in page
    # the date rules reach the browser too: no later than today (the virtual clock's), not before 1945
    assert re.search(r'name="ngay_ban_hanh" value="" min="1945-01-01" max="2026-04-2\d"', page)
    pdf = sample_document().pdf
    response = _post(doc_auth, FORM, tep_van_ban=(pdf, "cv-125.pdf"))
    assert response.status_code == 302, response.get_data(as_text=True)
    [case] = doc_services.queries.instances()
    [row] = doc_services.documents.documents_of_case(case.id, "vanthu")
    [main] = doc_services.documents.page(row.id, "vanthu").files
    assert (main.role, main.filename, main.content_type) == ("main", "cv-125.pdf", "application/pdf")
    document_page = doc_client.get(f"/documents/{row.id}").get_data(as_text=True)
    assert "cv-125.pdf" in document_page and 'id="document-pdf"' in document_page


def test_refusals_are_field_messages_in_vietnamese_on_the_same_page(doc_services: Services, doc_auth: Auth,
                                                                   doc_client: FlaskClient) -> None:
    doc_auth.login("vanthu")
    missing = _post(doc_auth, FORM)
    assert missing.status_code == 422
    assert _error(missing.get_data(as_text=True), "tep_van_ban") == "Trường này là bắt buộc."
    text = _post(doc_auth, FORM, tep_van_ban=(b"just text", "cv-125.txt"))
    page = text.get_data(as_text=True)
    assert text.status_code == 422 and 'id="start-form"' in page  # the form again, not an error page
    assert _error(page, "tep_van_ban").startswith("cv-125.txt: ")
    assert "Hãy chọn lại tệp" in _error(page, "tep_van_ban") and "the file" not in _error(page, "tep_van_ban")
    dates = _post(doc_auth, {**FORM, "ngay_ban_hanh": "9999-12-31", "ngay_den": "0001-01-01"},
                  tep_van_ban=(sample_document().pdf, "cv-125.pdf"))
    page = dates.get_data(as_text=True)
    assert dates.status_code == 422
    assert _error(page, "ngay_ban_hanh") == "Ngày không được sau ngày hôm nay."
    assert "Năm phải trong khoảng từ 1945 đến 2100." in _error(page, "ngay_den")
    before = _post(doc_auth, {**FORM, "ngay_den": "2026-04-20"}, tep_van_ban=(sample_document().pdf, "cv.pdf"))
    assert _error(before.get_data(as_text=True), "ngay_den") == "Ngày không được trước Ngày ban hành."
    assert doc_services.queries.instances() == []


def test_the_api_starts_with_the_file_as_multipart(doc_services: Services, doc_client: FlaskClient) -> None:
    from tests.web.api.conftest import Tokens

    clerk = Tokens(doc_services).header("vanthu", "cases")
    url = "/api/v1/processes/incoming_document/cases"
    data = json.dumps({k: v for k, v in FORM.items() if k != "so_trang"} | {"da_kiem_tra_xac_thuc": True})
    missing = doc_client.post(url, headers=clerk, data={"data": data}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.json["errors"]["tep_van_ban"] == ["Trường này là bắt buộc."]
    started = doc_client.post(url, headers=clerk, content_type="multipart/form-data", data={
        "data": data, "tep_van_ban": (io.BytesIO(sample_document().pdf), "cv-125.pdf")})
    assert started.status_code == 201, started.json
    [row] = doc_services.documents.documents_of_case(started.json["id"], "vanthu")
    assert [f.filename for f in doc_services.documents.page(row.id, "vanthu").files] == ["cv-125.pdf"]
    broken = doc_client.post(url, headers=clerk, data={"data": "{nope"}, content_type="multipart/form-data")
    assert broken.status_code == 422 and "data" in broken.json["errors"]

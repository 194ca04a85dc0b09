"""The document page, its files and printable PDFs, and the registers, with the cases' visibility rule."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine.documents.demo import seed_outgoing_document
from engine.services import Services
from tests.web.conftest import Auth


def _issued(services: Services) -> int:
    case = seed_outgoing_document(services.runtime, services.attachments, services.queries)
    [row] = services.documents.documents_of_case(case, "vanthu")
    return row.id


def test_the_document_page_shows_the_record_the_signatures_and_the_steps(doc_services: Services, doc_auth: Auth,
                                                                         doc_client: FlaskClient):
    document_id = _issued(doc_services)
    doc_auth.login("chuyenvien1")
    page = doc_client.get(f"/documents/{document_id}").get_data(as_text=True)
    assert "01-BC/TU" in page and "Báo cáo kết quả thực hiện chuyển đổi số" in page
    assert page.count('data-valid="true"') == 2 and 'data-valid="false"' not in page
    assert "Nguyễn Văn An" in page and "Văn phòng Tỉnh ủy Hà Giang" in page
    assert "Ký số văn bản" in page and "Đồng ý trình ký." in page  # a step and the head's opinion
    assert 'id="document-pdf"' in page and "pdf.min.mjs" in page
    accesses = page.split('id="document-accesses"')[1]  # who read it: this very reading, by full name
    assert "Ai đã đọc" in accesses and "Hoàng Văn Em" in accesses and "xem văn bản" in accesses
    # the case page links to its document
    case_page = doc_client.get(f"/cases/{doc_services.documents.page(document_id, None).cases[0].instance_id}")
    assert f'href="/documents/{document_id}"' in case_page.get_data(as_text=True)


def test_files_and_printables_download_for_those_who_may_see_the_case(doc_services: Services, doc_auth: Auth,
                                                                       doc_client: FlaskClient):
    document_id = _issued(doc_services)
    page = doc_services.documents.page(document_id, None)
    issued = page.files[0]
    doc_auth.login("vanthu")
    response = doc_client.get(f"/documents/{document_id}/files/{issued.id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment")
    summary = doc_client.get(f"/documents/{document_id}/summary.pdf")
    assert summary.status_code == 200 and summary.data.startswith(b"%PDF")
    assert doc_client.get(f"/documents/{document_id}/slip.pdf").status_code == 404  # outgoing: no slip
    assert doc_client.get(f"/documents/{document_id}/files/99999").status_code == 404


def test_someone_who_may_not_see_the_cases_gets_the_same_404_as_for_a_missing_document(
        doc_services: Services, doc_auth: Auth, doc_client: FlaskClient):
    document_id = _issued(doc_services)
    file_id = doc_services.documents.page(document_id, None).files[0].id
    doc_auth.login("chuyenvien2")  # not involved in the case, heads nobody
    hidden = doc_client.get(f"/documents/{document_id}")
    missing = doc_client.get("/documents/99999")
    assert hidden.status_code == missing.status_code == 404
    assert doc_client.get(f"/documents/{document_id}/files/{file_id}").status_code == 404
    assert doc_client.get(f"/documents/{document_id}/summary.pdf").status_code == 404
    register = doc_client.get("/documents/registers/outgoing?year=2026").get_data(as_text=True)
    assert "01-BC/TU" not in register and 'id="register-empty"' in register


def test_the_register_page_filters_and_exports(doc_services: Services, doc_auth: Auth, doc_client: FlaskClient):
    document_id = _issued(doc_services)
    doc_auth.login("vanthu")
    page = doc_client.get("/documents/registers/outgoing").get_data(as_text=True)  # this year by default
    assert f'id="register-row-{document_id}"' in page and "Nguyễn Văn An" in page
    assert 'id="register-empty"' in doc_client.get("/documents/registers/outgoing?q=hội+nghị").get_data(as_text=True)
    assert 'id="register-empty"' in doc_client.get("/documents/registers/incoming").get_data(as_text=True)
    stale = doc_client.get("/documents/registers/outgoing?year=abc&status=nonsense")  # a stale link still shows
    assert stale.status_code == 200 and f'id="register-row-{document_id}"' in stale.get_data(as_text=True)
    assert doc_client.get("/documents/registers/sideways").status_code == 404
    pdf = doc_client.get("/documents/registers/outgoing/export.pdf?year=2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = doc_client.get("/documents/registers/outgoing/export.xlsx?year=2026")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None and sheet["A3"].value == "01-BC/TU"


def test_pdfjs_is_served_from_node_modules(doc_auth: Auth, doc_client: FlaskClient):
    doc_auth.login("vanthu")
    response = doc_client.get("/vendor/pdfjs-dist/pdf.min.mjs")
    assert response.status_code == 200 and "javascript" in response.headers["Content-Type"]

"""Documents through the API: a register's page, a document, its files and their verification, for those who may
see a case handling it (the same 404 as a missing document for anyone else); reads are in the access chain."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.documents.demo import seed_outgoing_document
from engine.persistence.audit_models import AccessLogEntry
from engine.services import Services
from tests.web.api.conftest import Tokens

PROBLEM = "application/problem+json"


def _issued(services: Services) -> int:
    case = seed_outgoing_document(services.runtime, services.attachments, services.queries)
    [row] = services.documents.documents_of_case(case, "vanthu")
    return row.id


def test_the_register_lists_documents_the_caller_may_see_a_page_at_a_time(doc_client: FlaskClient,
                                                                          doc_services: Services) -> None:
    document_id = _issued(doc_services)
    tokens = Tokens(doc_services)
    clerk = tokens.header("vanthu", "documents")
    listed = doc_client.get("/api/v1/documents/?register=outgoing", headers=clerk).json
    assert listed["total"] == 1 and listed["items"][0]["id"] == document_id
    assert listed["items"][0]["notation"] == "01-BC/TU" and listed["per_page"] == 25
    year = listed["items"][0]["year"]
    assert doc_client.get(f"/api/v1/documents/?register=outgoing&year={year}&q=BC", headers=clerk).json["total"] == 1
    assert doc_client.get("/api/v1/documents/?register=outgoing&q=hội+nghị", headers=clerk).json["total"] == 0
    assert doc_client.get("/api/v1/documents/?register=incoming", headers=clerk).json["items"] == []
    assert doc_client.get("/api/v1/documents/?register=outgoing&page=2", headers=clerk).json["items"] == []
    outsider = tokens.header("chuyenvien2", "documents")
    assert doc_client.get("/api/v1/documents/?register=outgoing", headers=outsider).json["total"] == 0
    for bad in ("", "register=sideways", "register=outgoing&year=1800", "register=outgoing&status=lost",
                "register=outgoing&per_page=0"):
        refused = doc_client.get(f"/api/v1/documents/?{bad}", headers=clerk)
        assert refused.status_code == 422 and refused.mimetype == PROBLEM and refused.json["errors"], bad


def test_a_document_its_files_and_their_verification(doc_client: FlaskClient, doc_services: Services) -> None:
    document_id = _issued(doc_services)
    tokens = Tokens(doc_services)
    drafter = tokens.header("chuyenvien1", "documents")
    shown = doc_client.get(f"/api/v1/documents/{document_id}", headers=drafter)
    assert shown.status_code == 200
    body = shown.json
    assert body["document"]["notation"] == "01-BC/TU" and body["cases"][0]["process_id"] == "outgoing_document"
    issued = next(f for f in body["files"] if f["signatures"])
    assert "stored_path" not in issued and any(s["name"] for s in body["steps"])

    download = doc_client.get(f"/api/v1/documents/{document_id}/files/{issued['id']}", headers=drafter)
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith("attachment")
    checked = doc_client.get(f"/api/v1/documents/{document_id}/files/{issued['id']}/verification",
                             headers=drafter).json
    assert checked["signed"] and checked["valid"] and len(checked["signatures"]) == 2
    assert {s["role"] for s in checked["signatures"]} == {"competent_person", "agency"}
    assert checked["sha256"] == issued["sha256"]

    case = body["cases"][0]["instance_id"]
    with doc_services.db.connect() as conn:
        actions = conn.execute(select(AccessLogEntry.action).where(AccessLogEntry.instance_id == case,
                                                                   AccessLogEntry.username == "chuyenvien1")).scalars()
        assert {"document_viewed", "document_file_downloaded"} <= set(actions)


def test_documents_of_cases_one_may_not_see_are_missing(doc_client: FlaskClient, doc_services: Services) -> None:
    document_id = _issued(doc_services)
    file_id = doc_services.documents.page(document_id, None).files[0].id
    tokens = Tokens(doc_services)
    outsider = tokens.header("chuyenvien2", "documents")
    for url in (f"/api/v1/documents/{document_id}", f"/api/v1/documents/{document_id}/files/{file_id}",
                f"/api/v1/documents/{document_id}/files/{file_id}/verification"):
        hidden = doc_client.get(url, headers=outsider)
        missing = doc_client.get(url.replace(str(document_id), "99999", 1), headers=outsider)
        assert hidden.status_code == missing.status_code == 404 and hidden.mimetype == PROBLEM, url
    drafter = tokens.header("chuyenvien1", "documents")
    assert doc_client.get(f"/api/v1/documents/{document_id}/files/99999", headers=drafter).status_code == 404
    assert doc_client.get(f"/api/v1/documents/{document_id}/files/99999/verification",
                          headers=drafter).status_code == 404
    assert doc_client.get(f"/api/v1/documents/{2**31}", headers=drafter).status_code == 404
    assert doc_client.get(f"/api/v1/documents/{document_id}",
                          headers=tokens.header("chuyenvien1", "cases,tasks")).status_code == 403

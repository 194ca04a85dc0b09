"""POST /api/v1/exchange/edxml: the statuses an agency gets for each kind of package, as problems, and what is kept;
the administrators' directory page; the exchange panel of the document page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.documents import records
from engine.documents.demo import DemoKeys
from engine.exchange.package import Organ, ResponseFor, StatusPackage, build_status
from engine.exchange.service import outbox
from engine.persistence.models import Instance
from engine.services import Services
from tests.engine.exchange.conftest import (  # noqa: F401 - fixtures
    A,
    B,
    agency,
    doc_settings,
    exchange_settings,
    keys,
    package_from_a,
    sealed,
    signed_pdf,
)
from tests.engine.exchange.test_delivery import C, Receiver, receiver  # noqa: F401 - fixture
from tests.web.conftest import PASSWORD, Auth
from web import create_app

URL = "/api/v1/exchange/edxml"
XML = {"Content-Type": "application/xml"}


@pytest.fixture
def exchange_app(agency: Services, translations: Path) -> Flask:  # noqa: F811
    agency.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    for username in ("quantri", "vanthu"):
        agency.accounts.set_password(username, PASSWORD)
    return create_app({"TESTING": True, "PROCFLOW_SERVICES": agency, "SECRET_KEY": "test-secret",
                       "BABEL_TRANSLATION_DIRECTORIES": str(translations)})


@pytest.fixture
def api(exchange_app: Flask) -> FlaskClient:
    return exchange_app.test_client()


def _bearer(services: Services, scopes: str = "exchange", user: str = "vanthu",
            agencies: frozenset[str] = frozenset({A.code})) -> dict[str, str]:
    bound = agencies if {"exchange", "all"} & set(scopes.split(",")) else frozenset()
    name = f"tinh_uy_{scopes.replace(',', '_')}_{'_'.join(sorted(agencies)).replace('*', 'any').replace('.', '')}"
    secret = services.tokens.create(name, frozenset(scopes.split(",")), user, bound)
    return {"Authorization": f"Bearer {secret}"}


def _counts(services: Services) -> tuple[int, int]:
    with services.db.connect() as conn:
        return (int(conn.execute(select(func.count()).select_from(Instance.__table__)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(records.documents)).scalar_one()))


def test_a_valid_package_is_202_with_the_document_and_the_case(api: FlaskClient, agency: Services,  # noqa: F811
                                                               signed_pdf: bytes, keys: DemoKeys) -> None:  # noqa: F811
    answer = api.post(URL, data=sealed(package_from_a(signed_pdf), keys), headers={**XML, **_bearer(agency)})
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert body["edxml_id"] == "000.00.31.H37.17" and body["status_id"] is None
    page = agency.documents.page(body["document_id"], None)
    assert [c.instance_id for c in page.cases] == [body["case_id"]]
    # the same again: 409, nothing more
    again = api.post(URL, data=sealed(package_from_a(signed_pdf), keys), headers={**XML, **_bearer(agency, "all")})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert _counts(agency) == (1, 1)


def test_a_malformed_package_is_400_naming_the_element_and_line(api: FlaskClient, agency: Services,  # noqa: F811
                                                                signed_pdf: bytes, keys: DemoKeys) -> None:  # noqa: F811
    xml = sealed(package_from_a(signed_pdf), keys).replace(b"<edXML:CodeNumber>17<", b"<edXML:CodeNumber>XVII<")
    line = xml[:xml.index(b"<edXML:CodeNumber>")].count(b"\n") + 1
    answer = api.post(URL, data=xml, headers={**XML, **_bearer(agency)})
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    problem = answer.get_json()
    assert f"edXML:CodeNumber, dòng {line}" in problem["detail"]  # Vietnamese by default
    assert problem["errors"]["edXML:CodeNumber"][0].startswith(f"line {line}: ")
    assert _counts(agency) == (0, 0)
    assert agency.exchange.refusals()[0]["status"] == 400
    not_xml = api.post(URL, data=b"hello", headers={**XML, **_bearer(agency, "exchange,cases")})
    assert not_xml.status_code == 400 and "edXML, dòng 1" in not_xml.get_json()["detail"]


def test_who_may_send(api: FlaskClient, agency: Services, signed_pdf: bytes, keys: DemoKeys) -> None:  # noqa: F811
    xml = sealed(package_from_a(signed_pdf), keys)
    assert api.post(URL, data=xml, headers=XML).status_code == 401
    assert api.post(URL, data=xml, headers={**XML, **_bearer(agency, "cases")}).status_code == 403
    stranger = sealed(package_from_a(signed_pdf, sender=Organ("000.00.99.H37", "Cơ quan lạ")), keys)
    refused = api.post(URL, data=stranger, headers={**XML, **_bearer(agency, agencies=frozenset({"*"}))})
    assert refused.status_code == 403 and "000.00.99.H37" in refused.get_json()["detail"]
    assert _counts(agency) == (0, 0)


def test_other_refusals(api: FlaskClient, agency: Services, signed_pdf: bytes, keys: DemoKeys) -> None:  # noqa: F811
    bearer = _bearer(agency)
    xml = sealed(package_from_a(signed_pdf), keys)
    assert api.post(URL, data=xml, headers={**bearer, "Content-Type": "application/json"}).status_code == 415
    elsewhere = sealed(package_from_a(signed_pdf, recipients=[Organ("000.00.40.H37", "Sở Tài chính")]), keys)
    assert api.post(URL, data=elsewhere, headers={**XML, **bearer}).status_code == 422
    assert _counts(agency) == (0, 0)


def test_an_exchange_token_speaks_only_for_the_agencies_it_is_bound_to(api: FlaskClient, agency: Services,  # noqa: F811
                                                                       signed_pdf: bytes,  # noqa: F811
                                                                       keys: DemoKeys) -> None:  # noqa: F811
    xml = sealed(package_from_a(signed_pdf), keys)
    other = api.post(URL, data=xml, headers={**XML, **_bearer(agency, agencies=frozenset({"000.00.40.H37"}))})
    assert other.status_code == 403 and other.mimetype == "application/problem+json"
    assert "000.00.40.H37" in other.get_json()["detail"] and A.code in other.get_json()["detail"]
    unbound = api.post(URL, data=xml, headers={**XML, **_bearer(agency, agencies=frozenset())})
    assert unbound.status_code == 403 and "procflow tokens bind" in unbound.get_json()["detail"]
    assert _counts(agency) == (0, 0)
    assert [(r["status"], r["sender_code"]) for r in agency.exchange.refusals()] == [(403, A.code), (403, A.code)]
    adapter = api.post(URL, data=xml, headers={**XML, **_bearer(agency, agencies=frozenset({"*"}))})
    assert adapter.status_code == 202, adapter.get_json()


def test_a_header_changed_after_signing_is_422(api: FlaskClient, agency: Services, signed_pdf: bytes,  # noqa: F811
                                               keys: DemoKeys) -> None:  # noqa: F811
    package = package_from_a(signed_pdf)
    changed = sealed(package, keys).replace(package.subject.encode(), "Trích yếu đã bị sửa".encode(), 1)
    answer = api.post(URL, data=changed, headers={**XML, **_bearer(agency)})
    assert answer.status_code == 422 and "thay đổi sau khi ký" in answer.get_json()["detail"]
    assert _counts(agency) == (0, 0)
    with agency.db.connect() as conn:
        told = conn.execute(select(outbox.c.status_code, outbox.c.agency_code)).all()
    assert [tuple(r) for r in told] == [("02", A.code)]


def test_a_status_package_is_200(api: FlaskClient, agency: Services) -> None:  # noqa: F811
    from datetime import UTC, datetime

    with agency.db.transaction() as conn:  # a document we sent to A
        document_id = records.create(conn, "outgoing", {"notation": "01-BC/SNV"}, status="issued", user=None,
                                     now=agency.clock.now())
        conn.execute(outbox.insert().values(key="package:x", kind="package", agency_code=A.code,
                                            document_id=document_id, edxml_id=f"{B.code}.{document_id}",
                                            state="delivered", attempts=1, created_at=agency.clock.now()))
    status = StatusPackage(ResponseFor(B.code, f"{B.code}.{document_id}"), A, "03",
                           datetime(2026, 4, 29, 2, 0, tzinfo=UTC), "Đã tiếp nhận")
    answer = api.post(URL, data=build_status(status), headers={**XML, **_bearer(agency)})
    assert answer.status_code == 200 and answer.get_json()["status_id"] is not None
    assert [s.status_code for s in agency.exchange.statuses_of(document_id)] == ["03"]


def test_the_directory_page_lists_adds_and_imports(exchange_app: Flask, agency: Services) -> None:  # noqa: F811
    client = exchange_app.test_client()
    auth = Auth(client)
    auth.login("quantri")
    page = client.get("/admin/agencies")
    assert page.status_code == 200 and A.code in page.text and B.code in page.text  # A listed; B is us
    answer = auth.post("/admin/agencies", {"code": "000.00.40.H37", "name": "Sở Tài chính",
                                           "endpoint": "https://stc.example.vn/api/v1/exchange", "token": "x",
                                           "active": "1"})
    assert answer.status_code == 302
    assert agency.directory.get("000.00.40.H37").has_token
    fingerprint = "ab" * 32
    answer = auth.post("/admin/agencies", {"code": "000.00.40.H37", "name": "Sở Tài chính",
                                           "endpoint": "https://stc.example.vn/api/v1/exchange",
                                           "certificate": fingerprint.upper(), "active": "1"})
    assert agency.directory.get("000.00.40.H37").certificates == (fingerprint,)
    assert f'data-fingerprint="{fingerprint}"' in client.get("/admin/agencies").text
    kept = auth.post("/admin/agencies", {"code": "000.00.40.H37", "name": "Sở Tài chính",
                                         "endpoint": "https://stc.example.vn/api/v1/exchange", "active": "1"})
    assert kept.status_code == 302 and agency.directory.get("000.00.40.H37").certificates == (fingerprint,)
    wrong = auth.post("/admin/agencies", {"code": "000.00.40.H37", "name": "Sở Tài chính",
                                          "endpoint": "https://stc.example.vn/api/v1/exchange", "certificate": "xyz",
                                          "active": "1"}, follow_redirects=True)
    assert "xyz" in wrong.text and agency.directory.get("000.00.40.H37").certificates == (fingerprint,)
    bad = auth.post("/admin/agencies", {"code": "nope", "name": "X", "endpoint": "ftp://x", "active": "1"},
                    follow_redirects=True)
    assert "nope" in bad.text
    csv = b"code,name,endpoint,token\n000.00.41.H37,S\xe1\xbb\x9f Y t\xe1\xba\xbf,http://127.0.0.1:1/api/v1/exchange,t\n"
    answer = auth.post("/admin/agencies/import", {"file": (io.BytesIO(csv), "agencies.csv")},
                       content_type="multipart/form-data")
    assert answer.status_code == 302
    assert agency.directory.get("000.00.41.H37").name == "Sở Y tế"
    auth.logout()
    auth.login("vanthu")
    assert client.get("/admin/agencies").status_code == 403


def test_the_document_page_shows_where_it_came_from_and_the_statuses_sent(api: FlaskClient, exchange_app: Flask,
                                                                          agency: Services,  # noqa: F811
                                                                          signed_pdf: bytes, keys: DemoKeys) -> None:  # noqa: F811
    body = api.post(URL, data=sealed(package_from_a(signed_pdf), keys),
                    headers={**XML, **_bearer(agency)}).get_json()
    client = exchange_app.test_client()
    Auth(client).login("vanthu")
    page = client.get(f"/documents/{body['document_id']}")
    assert page.status_code == 200
    assert 'id="exchange-receipt"' in page.text and "000.00.31.H37.17" in page.text
    assert page.text.count('data-state="pending"') == 2  # statuses 01 and 03 to A


def test_the_outgoing_register_and_the_document_page_show_each_recipients_delivery(
        exchange_app: Flask, agency: Services, receiver: Receiver) -> None:  # noqa: F811
    from datetime import UTC, datetime

    from engine.documents.demo import DemoDocument, seed_outgoing_document

    agency.directory.save(C.code, name=C.name, endpoint=receiver.url, token="t")
    who = DemoDocument(proposal={**DemoDocument().proposal, "noi_nhan": f"{C.name}; {A.code}"})
    case = seed_outgoing_document(agency.runtime, agency.attachments, agency.queries, who)
    [row] = agency.documents.documents_of_case(case, "vanthu")
    to_c = next(d for d in agency.exchange.deliveries_of(row.id) if d.agency_code == C.code)
    assert agency.exchange.deliver(to_c.id) == "delivered"
    agency.exchange.receive(build_status(StatusPackage(ResponseFor(B.code, f"{B.code}.{row.id}"), C, "03",
                                                       datetime(2026, 4, 29, 3, 0, tzinfo=UTC))), user="vanthu")
    client = exchange_app.test_client()
    Auth(client).login("vanthu")
    register = client.get("/documents/registers/outgoing?year=2026").text
    assert f'data-agency="{C.code}" data-state="delivered">{C.code}: Đã gửi thành công · 03' in register
    assert f'data-agency="{A.code}" data-state="pending"' in register  # A's endpoint is not reachable yet
    page = client.get(f"/documents/{row.id}").text
    assert f'id="delivery-{to_c.id}" data-state="delivered"' in page
    assert 'data-code="03"' in page and "đã tiếp nhận" in page

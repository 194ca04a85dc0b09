"""Receiving a package: a registered incoming document with its files and verified signatures, the incoming
procedure started, statuses queued for the sender; every refusal creates nothing but its record."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from engine.documents import records
from engine.documents.demo import DemoKeys
from engine.errors import Conflict, PermissionDenied
from engine.exchange.package import Attachment, MalformedPackage, Organ
from engine.exchange.service import Refused, outbox, receipts, refusals
from engine.persistence.models import Instance
from engine.services import Services
from engine.signing.sample import sample_document
from tests.engine.exchange.conftest import A, B, package_from_a, sealed


def _count(services: Services, table) -> int:  # type: ignore[no-untyped-def]
    with services.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _cases(services: Services) -> int:
    return _count(services, Instance.__table__)


def test_a_valid_package_becomes_a_registered_document_and_starts_the_incoming_procedure(agency: Services,
                                                                                       signed_pdf: bytes,
                                                                                       keys: DemoKeys) -> None:
    appendix = sample_document(title="PHỤ LỤC").pdf
    package = package_from_a(signed_pdf, attachments=[
        Attachment("bao-cao.pdf", "application/pdf", signed_pdf, zipped=True),  # as the national axis sends it
        Attachment("phu-luc.pdf", "application/pdf", appendix)])
    receipt = agency.exchange.receive(sealed(package, keys), user="vanthu")

    page = agency.documents.page(receipt.document_id, None)
    doc = page.document
    assert (doc.kind, doc.status, doc.register, doc.number) == ("incoming", "registered", "van_ban_den", 1)
    assert (doc.notation, doc.issuing_agency, doc.summary) == ("17-BC/TU", A.name, package.subject)
    assert (doc.doc_type, doc.urgency, doc.signer) == ("bao_cao", "khan", "Nguyễn Văn An")
    assert [c.instance_id for c in page.cases] == [receipt.instance_id]
    assert page.cases[0].process_id == "incoming_document"
    files = {f.role: f for f in page.files}
    assert files["main"].filename == "bao-cao.pdf" and files["appendix"].filename == "phu-luc.pdf"
    _, content = agency.documents.open_file(doc.id, files["main"].id, None)
    assert content == signed_pdf  # unpacked from its ZIP
    assert [s["role"] for s in files["main"].signatures] == ["competent_person"]
    assert files["main"].signatures[0]["valid"] and files["main"].signatures[0]["intact"]
    assert files["appendix"].signatures == []  # verified: no signature
    # the case waits at the leader's direction (electronic: no stamping), with the package's data
    case = agency.queries.instance(receipt.instance_id, with_history=False)
    assert [t.element_id for t in agency.queries.tasks(instance_id=receipt.instance_id)] == ["leader_direction"]
    assert case.data["hinh_thuc_nhan"] == "dien_tu" and "000.00.31.H37.17" in case.data["ghi_chu_tiep_nhan"]
    # statuses 01 (arrived) and 03 (accepted) wait in the outbox for A
    with agency.db.connect() as conn:
        rows = conn.execute(select(outbox.c.kind, outbox.c.agency_code, outbox.c.status_code, outbox.c.state)
                            .order_by(outbox.c.id)).all()
    assert [tuple(r) for r in rows] == [("status", A.code, "01", "pending"), ("status", A.code, "03", "pending")]


def test_the_same_document_twice_is_409_and_creates_nothing(agency: Services, signed_pdf: bytes,
                                                            keys: DemoKeys) -> None:
    agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu")
    cases, documents = _cases(agency), _count(agency, records.documents)
    with pytest.raises(Conflict, match="already received"):
        agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu")
    # another DocumentId, but the same number, notation and issuing agency in the year
    with pytest.raises(Conflict, match="already registered"):
        agency.exchange.receive(sealed(package_from_a(signed_pdf, document_id="other-17"), keys), user="vanthu")
    assert (_cases(agency), _count(agency, records.documents), _count(agency, receipts)) == (cases, documents, 1)
    assert _count(agency, refusals) == 2


def test_an_unknown_sender_is_403(agency: Services, signed_pdf: bytes, keys: DemoKeys) -> None:
    stranger = Organ("000.00.99.H37", "Cơ quan lạ")
    with pytest.raises(PermissionDenied, match="not in the agency directory"):
        agency.exchange.receive(sealed(package_from_a(signed_pdf, sender=stranger), keys), user="vanthu")
    assert (_cases(agency), _count(agency, records.documents), _count(agency, refusals)) == (0, 0, 1)
    assert _count(agency, outbox) == 0  # nothing is told to a sender we do not know


@pytest.mark.parametrize(("changes", "message"), [
    ({"recipients": [Organ("000.00.40.H37", "Sở Tài chính")]}, "addressed to 000.00.40.H37"),
    ({"security_level": 1}, "confidential"),
])
def test_a_package_not_for_us_or_confidential_is_refused_and_the_sender_told(agency: Services, signed_pdf: bytes,
                                                                           keys: DemoKeys, changes: dict,
                                                                           message: str) -> None:
    with pytest.raises(Refused, match=message):
        agency.exchange.receive(sealed(package_from_a(signed_pdf, **changes), keys), user="vanthu")
    assert (_cases(agency), _count(agency, records.documents)) == (0, 0)
    with agency.db.connect() as conn:
        told = conn.execute(select(outbox.c.status_code, outbox.c.agency_code)).all()
    assert [tuple(r) for r in told] == [("02", A.code)]


def test_a_signed_pdf_altered_in_transit_is_refused(agency: Services, signed_pdf: bytes, keys: DemoKeys) -> None:
    # one byte of the signed revision changed (the page's size), as a faulty or hostile relay might
    altered = signed_pdf.replace(b"/MediaBox [0 0 595.28 841.89]", b"/MediaBox [0 0 595.29 841.89]", 1)
    assert altered != signed_pdf
    with pytest.raises(Refused, match="changed after signing"):
        agency.exchange.receive(sealed(package_from_a(altered), keys), user="vanthu")
    assert (_cases(agency), _count(agency, records.documents), _count(agency, receipts)) == (0, 0, 0)


def test_a_malformed_package_is_refused_naming_element_and_line_and_only_the_refusal_is_kept(agency: Services,
                                                                                          signed_pdf: bytes,
                                                                                          keys: DemoKeys) -> None:
    xml = sealed(package_from_a(signed_pdf), keys).replace(b"<edXML:PromulgationDate>2026/04/27",
                                                            b"<edXML:PromulgationDate>27/04/2026")
    with pytest.raises(MalformedPackage) as caught:
        agency.exchange.receive(xml, user="vanthu")
    assert caught.value.element == "edXML:PromulgationDate" and caught.value.line > 1
    assert (_cases(agency), _count(agency, records.documents), _count(agency, receipts)) == (0, 0, 0)
    [refusal] = agency.exchange.refusals()
    assert refusal["status"] == 400 and "PromulgationDate" in refusal["reason"]


def test_the_stages_of_the_incoming_procedure_are_reported_to_the_sender(agency: Services, signed_pdf: bytes,
                                                                        keys: DemoKeys) -> None:
    receipt = agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu")
    case = receipt.instance_id

    def complete(element: str, user: str, data: dict) -> None:
        task = next(t for t in agency.queries.tasks(instance_id=case) if t.element_id == element)
        agency.runtime.complete_task(task.id, user=user, data=data)

    complete("leader_direction", "bithu", {"huong_xu_ly": "giao_xu_ly", "y_kien_chi_dao": "Giao Phòng Tổng hợp",
                                           "don_vi_chu_tri": "PTH", "han_xu_ly": None, "don_vi_phoi_hop": [],
                                           "bao_cao_ket_qua": "khong"})
    with agency.db.connect() as conn:
        codes = conn.execute(select(outbox.c.status_code).order_by(outbox.c.id)).scalars().all()
    assert codes == ["01", "03", "04"]
    status = agency.exchange.deliveries_of(receipt.document_id)[-1]
    assert (status.kind, status.status_code, status.agency_code) == ("status", "04", A.code)


def test_without_an_agency_code_the_exchange_refuses(agency: Services, signed_pdf: bytes, keys: DemoKeys) -> None:
    agency.exchange.settings = replace(agency.exchange.settings, agency_code="")
    with pytest.raises(Refused, match="PROCFLOW_AGENCY_CODE"):
        agency.exchange.receive(sealed(package_from_a(signed_pdf), keys), user="vanthu")
    assert B.code  # (the fixture's agency is B)

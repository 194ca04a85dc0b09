"""Documents made by procedures through the procflow:document extension, and the registers: numbers from 1 each
year without gaps (also when cases register at the same moment), listing, searching, XLSX and PDF."""

from __future__ import annotations

import hashlib
import io
import itertools
import shutil
import subprocess
import threading
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from engine.cases.attachments import Upload
from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.documents import printing
from engine.errors import InvalidInput, NotFound
from engine.services import Services
from engine.signing.sample import sample_document
from tests.conftest import FIXTURES

INCOMING = {"so_ky_hieu": "125/UBND-VP", "ngay_ban_hanh": "2026-04-27", "ngay_den": "2026-04-29",
            "co_quan_ban_hanh": "Ủy ban nhân dân tỉnh", "loai_van_ban": "cong_van",
            "trich_yeu": "Về việc báo cáo kết quả chuyển đổi số quý I năm 2026", "hinh_thuc_nhan": "dien_tu",
            "do_khan": "khan", "do_mat": "thuong", "so_trang": 3, "da_kiem_tra_xac_thuc": True,
            "ghi_chu_tiep_nhan": ""}


_serial = itertools.count(200)


def _receive(docs: Services, **changes) -> int:
    """Register an incoming document (each one with its own number and notation: duplicates are refused); an
    electronic one comes with its PDF."""
    data = {**INCOMING, "so_ky_hieu": f"{next(_serial)}/UBND-VP", **changes}
    if data["hinh_thuc_nhan"] == "giay":
        return docs.runtime.start("incoming_document", data=data, user="vanthu")
    pdf = Upload(f"cv-{data['so_ky_hieu'].split('/')[0]}.pdf", io.BytesIO(sample_document().pdf))
    return docs.starter.start("incoming_document", data=data, files={"tep_van_ban": [pdf]}, user="vanthu")


def test_the_incoming_procedure_registers_its_document_with_an_arrival_number(docs: Services):
    case = _receive(docs, so_ky_hieu="125/UBND-VP")
    [row] = docs.documents.documents_of_case(case, "vanthu")
    assert (row.kind, row.status, row.register, row.year, row.number) == ("incoming", "registered", "van_ban_den",
                                                                          2026, 1)
    assert (row.notation, row.issuing_agency, row.urgency, row.pages) == ("125/UBND-VP", "Ủy ban nhân dân tỉnh",
                                                                         "khan", 3)
    assert str(row.arrival_date) == "2026-04-29" and str(row.doc_date) == "2026-04-27"
    assert docs.queries.instance(case, with_history=False).data["so_den"] == row.number  # one number, shared


def test_the_leaders_direction_is_kept_on_the_record_and_shown_as_a_remark(docs: Services):
    case = _receive(docs)
    task = docs.queries.tasks(instance_id=case)[0]
    docs.runtime.complete_task(task.id, user="chanhvp", data={
        "huong_xu_ly": "giao_xu_ly", "y_kien_chi_dao": "Giao Phòng Tổng hợp chủ trì.", "don_vi_chu_tri": "PTH",
        "han_xu_ly": "2026-05-08", "don_vi_phoi_hop": ["PHC"], "bao_cao_ket_qua": "khong"})
    [row] = docs.documents.documents_of_case(case, "vanthu")
    page = docs.documents.page(row.id, "vanthu")
    assert (page.document.lead_unit, str(page.document.handling_deadline)) == ("PTH", "2026-05-08")
    [remark] = page.remarks
    assert (remark.kind, remark.text, remark.author_name) == ("y_kien_chi_dao", "Giao Phòng Tổng hợp chủ trì.",
                                                              "Trần Thị Bình")
    assert [s.name for s in page.steps] == ["Cho ý kiến chỉ đạo (bút phê)"]
    slip = printing.processing_slip_pdf(page, agency="Văn phòng Tỉnh ủy")
    assert "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN" in _pdf_text(slip) and "Giao Phòng Tổng hợp chủ trì." in _pdf_text(slip)


def test_paper_documents_get_their_scan_at_the_stamp_step(docs: Services):
    case = _receive(docs, hinh_thuc_nhan="giay")
    scan = docs.attachments.add(case, "vanthu", "cv-125.pdf", io.BytesIO(sample_document().pdf)).file_value()
    task = docs.queries.tasks(instance_id=case)[0]
    docs.runtime.complete_task(task.id, user="vanthu", data={"da_dong_dau_den": True, "tep_van_ban": [scan],
                                                             "so_trang": 2})
    [row] = docs.documents.documents_of_case(case, "vanthu")
    page = docs.documents.page(row.id, "vanthu")
    [main] = page.files
    assert (main.role, main.sha256, main.signatures) == ("main", scan["sha256"], [])  # verified: not signed
    assert page.document.pages == 2


def test_numbers_run_from_one_each_year_without_gaps(docs: Services, clock: VirtualClock):
    assert [_number(docs, _receive(docs)) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(InvalidInput):
        _receive(docs, ngay_den="not a date")  # refused by the form: no number is used up
    assert _number(docs, _receive(docs)) == 4
    clock.advance(timedelta(days=250))  # January 2027
    assert [_number(docs, _receive(docs)) for _ in range(2)] == [1, 2]
    assert [(r.year, r.number) for r in docs.documents.register("incoming")] == [
        (2027, 1), (2027, 2), (2026, 1), (2026, 2), (2026, 3), (2026, 4)]
    assert len(docs.documents.register("incoming", year=2026)) == 4


def _number(docs: Services, case: int) -> int:
    [row] = docs.documents.documents_of_case(case, "vanthu")
    assert row.number is not None
    return row.number


def test_cases_registering_at_the_same_moment_get_distinct_consecutive_numbers(docs: Services):
    errors: list[BaseException] = []

    def register() -> None:
        try:
            for _ in range(3):
                _receive(docs)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.number for r in docs.documents.register("incoming", year=2026)) == list(range(1, 13))


def test_a_new_procedure_uses_the_extension_with_its_own_register_and_fields(docs: Services):
    docs.deployment.deploy(collect_sources([FIXTURES / "documents" / "letters.bpmn"]))
    first = docs.runtime.start("letters", data={"noi_dung": "Thư góp ý", "nguoi_gui": "Ông A"}, user="vanthu")
    second = docs.runtime.start("letters", data={"noi_dung": "Thư cảm ơn", "nguoi_gui": "Bà B"}, user="vanthu")
    rows = docs.documents.register("incoming", year=2026)
    assert [(r.register, r.number, r.summary, r.issuing_agency) for r in rows] == [
        ("thu_den", 1, "Thư góp ý", "Ông A"), ("thu_den", 2, "Thư cảm ơn", "Bà B")]
    scan = docs.attachments.add(second, "vanthu", "thu.pdf", io.BytesIO(sample_document().pdf)).file_value()
    task = docs.queries.tasks(instance_id=second)[0]
    docs.runtime.complete_task(task.id, user="vanthu", data={"co_ban_quet": True, "ban_quet": scan})
    task = docs.queries.tasks(instance_id=first)[0]
    docs.runtime.complete_task(task.id, user="vanthu", data={"co_ban_quet": False})
    assert [len(docs.documents.page(r.id, None).files) for r in rows] == [0, 1]


def test_a_confidential_document_is_refused_and_nothing_is_registered(docs: Services):
    docs.deployment.deploy(collect_sources([FIXTURES / "documents" / "letters.bpmn"]))
    with pytest.raises(InvalidInput, match="confidential"):
        docs.runtime.start("letters", data={"noi_dung": "Thư mật", "do_mat": "mat"}, user="vanthu")
    assert docs.documents.register("incoming") == [] and docs.queries.instances() == []


def test_the_register_searches_and_is_only_whole_for_the_clerical_office(docs: Services):
    _receive(docs)
    _receive(docs, trich_yeu="Về việc tổ chức hội nghị", co_quan_ban_hanh="Sở Nội vụ")
    assert [r.summary for r in docs.documents.register("incoming", search="hội nghị")] == [
        "Về việc tổ chức hội nghị"]
    assert [r.number for r in docs.documents.register("incoming", search="nội vụ")] == [2]
    assert len(docs.documents.register("incoming", user="vanthu")) == 2
    assert docs.documents.register("incoming", user="chuyenvien2") == []  # sees none of the cases
    with pytest.raises(InvalidInput):
        docs.documents.register("sideways")


def test_a_document_is_not_found_for_someone_who_may_not_see_its_cases(docs: Services):
    case = _receive(docs)
    [row] = docs.documents.documents_of_case(case, "vanthu")
    assert docs.documents.page(row.id, "bithu").document.id == row.id  # a leader of a top-level unit sees all
    with pytest.raises(NotFound) as missing:
        docs.documents.page(999, "chuyenvien2")
    with pytest.raises(NotFound) as hidden:
        docs.documents.page(row.id, "chuyenvien2")
    assert type(missing.value) is type(hidden.value)


def test_the_registers_export_as_xlsx_and_as_a_printable_pdf(docs: Services):
    _receive(docs)
    _receive(docs, so_ky_hieu="88/SNV-TCCB", co_quan_ban_hanh="Sở Nội vụ", trich_yeu="Về việc tuyển dụng công chức")
    rows = docs.documents.register("incoming", year=2026)
    book = load_workbook(io.BytesIO(printing.register_xlsx("incoming", 2026, rows)))
    sheet = book.active
    assert sheet is not None
    assert sheet["A1"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN NĂM 2026"
    assert [c.value for c in sheet[2]][:4] == ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu"]
    assert [c.value for c in sheet[4]][1:4] == ["2", "Sở Nội vụ", "88/SNV-TCCB"]
    text = _pdf_text(printing.register_pdf("incoming", 2026, rows, agency="Văn phòng Tỉnh ủy"))
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN NĂM 2026" in text and "88/SNV-TCCB" in text and "Sở Nội vụ" in text
    assert "tuyển dụng công chức" in text


def _pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("poppler-utils (pdftotext) is needed")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
                          ).stdout.decode()


def test_reading_a_document_and_its_file_is_in_the_access_chain_of_its_case(docs: Services):
    from sqlalchemy import select

    from engine.audit.access import DOCUMENT_DOWNLOADED, DOCUMENT_VIEWED
    from engine.persistence.audit_models import AccessLogEntry
    from engine.persistence.base import table_of

    case = _receive(docs, hinh_thuc_nhan="giay")
    scan = docs.attachments.add(case, "vanthu", "cv-125.pdf", io.BytesIO(sample_document().pdf)).file_value()
    task = docs.queries.tasks(instance_id=case)[0]
    docs.runtime.complete_task(task.id, user="vanthu", data={"da_dong_dau_den": True, "tep_van_ban": [scan],
                                                             "so_trang": 2})
    [row] = docs.documents.documents_of_case(case, "vanthu")
    [main] = docs.documents.page(row.id, "vanthu").files
    docs.documents.open_file(row.id, main.id, "vanthu")
    log = table_of(AccessLogEntry)
    with docs.db.engine.connect() as conn:
        seen = conn.execute(select(log.c.username, log.c.action).where(log.c.instance_id == case)
                            .order_by(log.c.seq)).all()
    assert [tuple(r) for r in seen][-2:] == [("vanthu", DOCUMENT_VIEWED), ("vanthu", DOCUMENT_DOWNLOADED)]
    assert docs.verifier.verify().intact  # the access chain still verifies (engine/audit)


def test_the_document_page_lists_who_read_it_and_downloaded_its_files(docs: Services, clock: VirtualClock):
    from engine.audit.access import DOCUMENT_DOWNLOADED, DOCUMENT_VIEWED

    case = _receive(docs, hinh_thuc_nhan="giay")
    scan = docs.attachments.add(case, "vanthu", "cv-126.pdf", io.BytesIO(sample_document().pdf)).file_value()
    task = docs.queries.tasks(instance_id=case)[0]
    docs.runtime.complete_task(task.id, user="vanthu", data={"da_dong_dau_den": True, "tep_van_ban": [scan],
                                                             "so_trang": 2})
    [row] = docs.documents.documents_of_case(case, "vanthu")
    first = docs.documents.page(row.id, "vanthu")
    assert [(a.username, a.action) for a in first.accesses] == [("vanthu", DOCUMENT_VIEWED)]  # this reading
    clock.advance(timedelta(minutes=5))
    docs.documents.open_file(row.id, first.files[0].id, "vanthu")
    clock.advance(timedelta(minutes=5))
    page = docs.documents.page(row.id, "chanhvp")
    assert [(a.username, a.full_name, a.action) for a in page.accesses] == [
        ("chanhvp", "Trần Thị Bình", DOCUMENT_VIEWED), ("vanthu", "Vũ Thị Hoa", DOCUMENT_DOWNLOADED),
        ("vanthu", "Vũ Thị Hoa", DOCUMENT_VIEWED)]
    assert page.as_dict()["accesses"][0]["username"] == "chanhvp"
    assert docs.verifier.verify().intact  # rows with a document still chain


def test_an_electronic_document_is_registered_with_its_pdf_as_the_main_file(docs: Services):
    pdf, annex = sample_document().pdf, sample_document(title="PHỤ LỤC").pdf
    data = {**INCOMING, "so_ky_hieu": f"{next(_serial)}/UBND-VP"}
    case = docs.starter.start("incoming_document", data=data, user="vanthu", files={
        "tep_van_ban": [Upload("cong-van.pdf", io.BytesIO(pdf))],
        "tep_dinh_kem": [Upload("phu-luc.pdf", io.BytesIO(annex))]})
    [row] = docs.documents.documents_of_case(case, "vanthu")
    page = docs.documents.page(row.id, "vanthu")
    assert [(f.role, f.filename, f.sha256) for f in page.files] == [
        ("main", "cong-van.pdf", hashlib.sha256(pdf).hexdigest()),
        ("appendix", "phu-luc.pdf", hashlib.sha256(annex).hexdigest())]
    assert page.files[0].signatures == []  # verified as any upload: this one carries no signature
    assert [a.filename for a in docs.attachments.list_for(case, "vanthu")] == ["cong-van.pdf", "phu-luc.pdf"]
    assert docs.queries.instance(case).data["tep_van_ban"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    added = [h for h in docs.queries.history(case) if h.kind == "attachment_added"]
    assert [h.actor for h in added] == ["vanthu", "vanthu"]
    # every later step shows it: the leader's direction form holds the same file value
    task = docs.queries.tasks(instance_id=case)[0]
    assert docs.desk.page("chanhvp", case, task.id).opening["tep_van_ban"]["name"] == "cong-van.pdf"


def test_registering_an_electronic_document_without_its_pdf_or_with_another_file_is_refused(docs: Services):
    data = {**INCOMING, "so_ky_hieu": f"{next(_serial)}/UBND-VP"}
    with pytest.raises(InvalidInput) as missing:
        docs.starter.start("incoming_document", data=data, user="vanthu")
    assert missing.value.fields == {"tep_van_ban": ["Trường này là bắt buộc."]}
    with pytest.raises(InvalidInput) as word:  # a real Word file: allowed in general, not by this form
        docs.starter.start("incoming_document", data=data, user="vanthu", files={
            "tep_van_ban": [Upload("cong-van.docx", io.BytesIO(_docx()))]})
    assert word.value.fields == {"tep_van_ban": ["Loại tệp không được phép; chỉ nhận: .pdf."]}
    with pytest.raises(InvalidInput) as fake:  # text dressed as a PDF
        docs.starter.start("incoming_document", data=data, user="vanthu", files={
            "tep_van_ban": [Upload("cong-van.pdf", io.BytesIO(b"not a pdf at all"))]})
    assert fake.value.render("vi") == "Một số tệp không đính kèm được; hãy kiểm tra các trường được đánh dấu."
    assert fake.value.fields == {"tep_van_ban": ["cong-van.pdf: nội dung không phải tệp .pdf hợp lệ"]}
    assert docs.queries.instances() == []  # nothing started


def _docx() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return out.getvalue()

"""The outgoing procedure signs its document: the competent person, then the clerical office's number, date and
agency signature; each refusal leaves the case where it was."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile

import pytest

from engine.documents.demo import DemoDocument, seed_outgoing_document
from engine.errors import InvalidInput, PermissionDenied
from engine.services import Services
from engine.signing.sample import sample_document


def _page(docs: Services, case: int):
    [row] = docs.documents.documents_of_case(case, "vanthu")
    return docs.documents.page(row.id, None)


def test_the_whole_outgoing_procedure_issues_a_document_with_two_valid_signatures(docs: Services, tmp_path):
    case = seed_outgoing_document(docs.runtime, docs.attachments, docs.queries)

    page = _page(docs, case)
    doc = page.document
    assert (doc.kind, doc.status, doc.register, doc.year, doc.number) == ("outgoing", "issued", "van_ban_di", 2026, 1)
    assert doc.notation == "01-BC/TU" and doc.signer == "Nguyễn Văn An" and doc.issued_at is not None
    main = [f for f in page.files if f.role == "main"]
    assert [f.version for f in main] == [2, 1]  # the issued revision over the person's signed one
    issued = main[0]
    assert [s["role"] for s in issued.signatures] == ["competent_person", "agency"]
    assert all(s["valid"] for s in issued.signatures), issued.signatures
    assert len({s["fingerprint"] for s in issued.signatures}) == 2  # two different holders
    assert [f.role for f in page.files].count("draft") == 1
    # the case's data has the issued file and the date, as the clerk's form shows them
    data = docs.queries.instance(case, with_history=False).data
    assert data["tep_phat_hanh"]["sha256"] == issued.sha256 and data["ngay_ban_hanh"] == "2026-04-29"

    _, content = docs.documents.open_file(doc.id, issued.id, None)
    # pyHanko verified both above (the stored results); poppler checks the bytes independently
    if shutil.which("pdfsig") is None:
        pytest.fail("poppler-utils (pdfsig) is needed")
    path = tmp_path / "issued.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 2, out


def _to_signing(docs: Services, pdf: bytes | None = None) -> int:
    who = DemoDocument()
    case = docs.runtime.start("outgoing_document", data=dict(who.proposal), user=who.drafter)
    content = pdf if pdf is not None else sample_document().pdf
    draft = docs.attachments.add(case, who.drafter, "du-thao.pdf" if content.startswith(b"%PDF") else "du-thao.docx",
                                 io.BytesIO(content)).file_value()
    _complete(docs, case, "draft_document", who.drafter, {"ky_hieu": "BC/TU", "tep_du_thao": draft,
                                                          "tai_lieu_kem_theo": [], "giai_trinh": ""})
    _complete(docs, case, "head_review", who.head, {"ket_luan_truong_phong": "dong_y", "y_kien_truong_phong": ""})
    _complete(docs, case, "legal_check", who.clerk, {"dung_the_thuc": True, "dung_tham_quyen": True,
                                                     "ket_qua_kiem_tra": "dat", "y_kien_kiem_tra": ""})
    return case


def _complete(docs: Services, case: int, element: str, user: str, data: dict) -> None:
    task = next(t for t in docs.queries.tasks(instance_id=case) if t.element_id == element)
    docs.runtime.complete_task(task.id, user=user, data=data)


def _open(docs: Services, case: int) -> list[str]:
    return [t.element_id for t in docs.queries.tasks(instance_id=case)]


SIGN = {"quyet_dinh_ky": "ky", "tham_quyen_ky": "thay_mat", "y_kien_lanh_dao": ""}


def test_an_unsigned_upload_is_refused_and_the_step_stays_open(docs: Services):
    case = _to_signing(docs)
    unsigned = docs.attachments.add(case, "bithu", "ban-ky.pdf", io.BytesIO(sample_document().pdf)).file_value()
    with pytest.raises(InvalidInput, match="no digital signature"):
        _complete(docs, case, "sign_document", "bithu", {**SIGN, "tep_da_ky": unsigned})
    assert _open(docs, case) == ["sign_document"]


def test_a_pdf_signed_by_someone_else_is_refused(docs: Services):
    case = _to_signing(docs)
    # chanhvp signs with their own key (server-side), then bithu uploads that file as if it were theirs
    signer = docs.runtime.hooks[0]._require_signer()  # type: ignore[attr-defined]
    signed = signer.sign_as_person(sample_document().pdf, "chanhvp")
    upload = docs.attachments.add(case, "bithu", "ban-ky.pdf", io.BytesIO(signed)).file_value()
    with pytest.raises(InvalidInput, match="not signed by 'bithu'"):
        _complete(docs, case, "sign_document", "bithu", {**SIGN, "tep_da_ky": upload})
    assert _open(docs, case) == ["sign_document"]


def test_a_pdf_signed_outside_procflow_by_the_assignee_is_accepted(docs: Services):
    case = _to_signing(docs)
    signer = docs.runtime.hooks[0]._require_signer()  # type: ignore[attr-defined]
    signed = signer.sign_as_person(sample_document().pdf, "bithu")  # as their token would, elsewhere
    upload = docs.attachments.add(case, "bithu", "ban-ky.pdf", io.BytesIO(signed)).file_value()
    _complete(docs, case, "sign_document", "bithu", {**SIGN, "tep_da_ky": upload})
    assert _open(docs, case) == ["issue_document"]
    assert _page(docs, case).document.status == "signed"


def test_a_leader_without_a_key_must_upload(docs: Services):
    case = _to_signing(docs)
    with pytest.raises(InvalidInput, match="no signing key is configured for 'truongban_tc'"):
        _complete(docs, case, "sign_document", "truongban_tc", SIGN)


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def test_a_docx_draft_goes_through_review_but_cannot_be_signed(docs: Services):
    case = _to_signing(docs, _docx())
    with pytest.raises(InvalidInput, match="must be a PDF"):
        _complete(docs, case, "sign_document", "bithu", SIGN)
    assert _open(docs, case) == ["sign_document"]


def test_only_the_clerical_office_applies_the_agency_signature(docs: Services):
    case = _to_signing(docs)
    _complete(docs, case, "sign_document", "bithu", SIGN)
    task = next(t for t in docs.queries.tasks(instance_id=case) if t.element_id == "issue_document")
    with pytest.raises(PermissionDenied):
        # an administrator may see everything, but the agency key is the clerical office's
        docs.runtime.complete_task(task.id, user="quantri", data={"da_kiem_tra_chu_ky": True,
                                                                   "da_ky_so_co_quan": True,
                                                                   "phuong_thuc_gui": ["lien_thong"]})

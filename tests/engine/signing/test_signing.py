"""The signing sequence end to end: person (PKCS#12), number and date, agency (SoftHSM2 token), appendix; checked
by pyHanko and independently by poppler's pdfsig; a changed byte caught by both."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from engine.errors import InvalidInput, InvalidState
from engine.settings import KeySpec
from engine.signing.keys import KeyUnavailable, open_signer
from engine.signing.prepare import DATE_FIELD, NUMBER_FIELD
from engine.signing.sign import fill_fields, sign_appendix, sign_as_agency, sign_as_person
from engine.signing.verify import Verifier
from tests.engine.signing.conftest import Images, People, p12

AGENCY = "Ủy ban nhân dân tỉnh Hà Giang"
NUMBER = "Số: 12/QĐ-UBND"


def issued_document(prepared: bytes, people: People, images: Images, agency_key: KeySpec) -> bytes:
    """The whole sequence: person signs, clerk fills number and date, agency signs the document and its appendix."""
    with open_signer(p12(people.an)) as signer:
        pdf = sign_as_person(prepared, signer, image=images.signature, reason="Chủ tịch")
    pdf = fill_fields(pdf, {NUMBER_FIELD: NUMBER, DATE_FIELD: "Hà Giang, ngày 05 tháng 3 năm 2025"})
    with open_signer(agency_key) as signer:
        pdf = sign_as_agency(pdf, signer, seal=images.seal, agency_name=AGENCY)
        return sign_appendix(pdf, signer, appendix=1, number=NUMBER, agency_name=AGENCY)


def pdfsig(pdf: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """poppler's view: (field name, validation line) per signature. -nocert: poppler checks the signed bytes and
    the signature value; it has no NSS database with our test root, so the chain is pyHanko's to check."""
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, check=False).stdout
    return list(zip(re.findall(r"Signature Field Name: (\S+)", out),
                    re.findall(r"Signature Validation: (.+?)\.?$", out, flags=re.M), strict=True))


def test_person_then_agency_on_a_token_gives_valid_signatures_for_pyhanko_and_pdfsig(
        prepared: bytes, people: People, images: Images, softhsm: KeySpec, verifier: Verifier,
        tmp_path: Path) -> None:
    pdf = issued_document(prepared, people, images, softhsm)

    results = verifier.verify_pdf(pdf)
    assert [(r.field, r.role, r.signer_name, r.valid) for r in results] == [
        ("chu_ky_nguoi_co_tham_quyen", "competent_person", "Nguyễn Văn An", True),
        ("chu_ky_co_quan", "agency", AGENCY, True),
        ("chu_ky_phu_luc_1", "appendix", AGENCY, True)]
    person = results[0]
    # The number, date and later signatures are changes the person's DocMDP-2 certification permits.
    assert person.modifications == "form_filling" and person.intact and person.trusted
    assert person.fingerprint == people.an.fingerprint
    assert person.signed_at is not None and person.signed_at.utcoffset().total_seconds() == 7 * 3600
    assert results[1].fingerprint == people.agency.fingerprint  # the key on the token signed
    assert pdfsig(pdf, tmp_path) == [("chu_ky_nguoi_co_tham_quyen", "Signature is Valid"),
                                     ("chu_ky_co_quan", "Signature is Valid"),
                                     ("chu_ky_phu_luc_1", "Signature is Valid")]


def test_the_filled_number_and_the_agency_text_are_in_the_pdf(prepared: bytes, people: People, images: Images,
                                                              tmp_path: Path) -> None:
    pdf = issued_document(prepared, people, images, p12(people.agency))
    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert NUMBER in text and "Hà Giang, ngày 05 tháng 3 năm 2025" in text
    # The appendix signature: number, ISO 8601 time in Vietnam time, agency name.
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", text)
    assert AGENCY in text


def test_a_byte_changed_after_signing_is_caught_by_pyhanko_and_pdfsig(
        prepared: bytes, people: People, images: Images, verifier: Verifier, tmp_path: Path) -> None:
    pdf = bytearray(issued_document(prepared, people, images, p12(people.agency)))
    at = pdf.index(b"stream", 2000) + 40  # inside the first revision's page content, covered by every signature
    pdf[at] ^= 0x01

    results = verifier.verify_pdf(bytes(pdf))
    assert [(r.valid, r.intact, r.problems) for r in results] == [(False, False, ("not_intact",))] * 3
    assert {line for _, line in pdfsig(bytes(pdf), tmp_path)} == {"Digest Mismatch"}


def test_content_appended_after_the_signatures_is_not_a_permitted_change(
        prepared: bytes, people: People, images: Images, verifier: Verifier) -> None:
    from io import BytesIO

    from pyhanko.pdf_utils.generic import StreamObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    pdf = issued_document(prepared, people, images, p12(people.agency))
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    writer.add_stream_to_page(0, writer.add_object(StreamObject(stream_data=b"0 0 1 rg 100 100 200 50 re f")))
    out = BytesIO()
    writer.write(out)

    results = verifier.verify_pdf(out.getvalue())
    assert all(r.intact for r in results)  # the signed byte ranges are untouched ...
    assert [r.problems for r in results] == [("illegal_changes",)] * 3  # ... but the page was changed after


def test_the_agency_cannot_sign_before_the_competent_person(prepared: bytes, people: People, images: Images) -> None:
    with open_signer(p12(people.agency)) as signer, pytest.raises(InvalidState, match="after the competent person"):
        sign_as_agency(prepared, signer, seal=images.seal, agency_name=AGENCY)


def test_a_document_without_prepared_fields_is_refused_with_a_clear_message(sample, people: People,
                                                                            images: Images) -> None:
    with open_signer(p12(people.an)) as signer, pytest.raises(InvalidInput, match="no prepared field"):
        sign_as_person(sample.pdf, signer, image=images.signature)


def test_a_second_person_signature_is_refused(prepared: bytes, people: People, images: Images) -> None:
    with open_signer(p12(people.an)) as signer:
        pdf = sign_as_person(prepared, signer, image=images.signature)
        with pytest.raises(InvalidState, match="already carries a signature"):
            sign_as_person(pdf, signer, image=images.signature)


def test_not_a_pdf_and_not_a_png_are_refused(prepared: bytes, people: People, verifier: Verifier) -> None:
    with pytest.raises(InvalidInput, match="not a PDF"):
        verifier.verify_pdf(b"GIF89a...")
    with open_signer(p12(people.an)) as signer, pytest.raises(InvalidInput, match="not a readable PNG"):
        sign_as_person(prepared, signer, image=b"not an image")


def test_keys_that_cannot_be_opened_say_why(people: People, softhsm: KeySpec, tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="wrong passphrase"), open_signer(KeySpec("pkcs12", people.an.p12, "x")):
        pass
    with pytest.raises(KeyUnavailable, match="does not exist"), open_signer(KeySpec("pkcs12", tmp_path / "no.p12")):
        pass
    wrong_pin = KeySpec("pkcs11", softhsm.path, "0000", token_label=softhsm.token_label, key_label="agency")
    with pytest.raises(KeyUnavailable, match="wrong PIN"), open_signer(wrong_pin):
        pass
    no_token = KeySpec("pkcs11", softhsm.path, softhsm.secret, token_label="khong-co", key_label="agency")
    with pytest.raises(KeyUnavailable, match="khong-co"), open_signer(no_token):
        pass

"""edXML packages: built valid, read back, and every kind of bad package refused naming the element and line."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from engine.exchange.package import (
    NS,
    XSD,
    Attachment,
    MalformedPackage,
    Package,
    ResponseFor,
    StatusPackage,
    build_package,
    build_status,
    parse,
)
from tests.engine.exchange.conftest import A, B, package_from_a

PDF = b"%PDF-1.7\n% a tiny pdf for the package tests\n%%EOF\n"


def _line_of(xml: bytes, needle: bytes) -> int:
    return xml[:xml.index(needle)].count(b"\n") + 1


def test_a_built_package_is_valid_against_the_xsd_and_reads_back_the_same() -> None:
    package = package_from_a(PDF, attachments=[Attachment("bao-cao.pdf", "application/pdf", PDF),
                                               Attachment("phu-luc.pdf", "application/pdf", PDF + b"1", zipped=True)],
                             due_date=date(2026, 5, 10), to_places=["Sở Nội vụ"], appendixes=["phu-luc.pdf"])
    xml = build_package(package)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.fromstring(xml)), schema.error_log
    assert xml.count(f'xmlns:edXML="{NS}"'.encode()) == 1
    read = parse(xml)
    assert isinstance(read, Package)
    assert (read.sender, read.recipients, read.document_id) == (A, [B], "000.00.31.H37.17")
    assert (read.number, read.notation, read.date, read.due_date) == ("17", "BC/TU", date(2026, 4, 27),
                                                                        date(2026, 5, 10))
    assert (read.subject, read.signer_name, read.priority, read.pages) == (package.subject, "Nguyễn Văn An", 1, 2)
    assert [(a.name, a.content, a.zipped) for a in read.attachments] == [("bao-cao.pdf", PDF, False),
                                                                         ("phu-luc.pdf", PDF + b"1", True)]
    assert read.traces[0].code == A.code and read.traces[0].at == datetime(2026, 4, 28, 1, 0, tzinfo=UTC)


def test_a_zip_attachment_as_the_axis_sends_it_is_unpacked_but_a_docx_is_kept_as_it_is() -> None:
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    package = package_from_a(PDF, attachments=[Attachment("a.pdf", "application/pdf", PDF, zipped=True),
                                               Attachment("b.docx", "application/msword", docx.getvalue())])
    read = parse(build_package(package))
    assert isinstance(read, Package)
    assert read.attachments[0].content == PDF and read.attachments[0].zipped
    assert read.attachments[1].content == docx.getvalue() and not read.attachments[1].zipped


def test_an_invalid_element_is_named_with_its_line() -> None:
    xml = build_package(package_from_a(PDF))
    bad = xml.replace(b"<edXML:CodeNumber>17</edXML:CodeNumber>", b"<edXML:CodeNumber>17a</edXML:CodeNumber>")
    with pytest.raises(MalformedPackage) as caught:
        parse(bad)
    assert caught.value.element == "edXML:CodeNumber"
    assert caught.value.line == _line_of(bad, b"<edXML:CodeNumber>")
    assert "17a" in caught.value.problem


def test_a_missing_required_element_is_named() -> None:
    xml = build_package(package_from_a(PDF))
    start, end = xml.index(b"<edXML:Subject>"), xml.index(b"</edXML:Subject>") + len(b"</edXML:Subject>")
    with pytest.raises(MalformedPackage) as caught:
        parse(xml[:start] + xml[end:])
    assert "Subject" in caught.value.problem


def test_not_xml_entities_and_oversize_are_refused_before_validation() -> None:
    with pytest.raises(MalformedPackage) as caught:
        parse(b"<edXML:edXML xmlns:edXML='x'>\n<open></edXML:edXML>")
    assert caught.value.line == 2
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE edXML [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;">\n]>'
            b"\n<edXML>&b;</edXML>")
    with pytest.raises(MalformedPackage) as caught:
        parse(bomb)
    assert caught.value.element == "DOCTYPE" and caught.value.line == 3
    with pytest.raises(MalformedPackage, match="larger than 1 MB"):
        parse(b" " * (1024 * 1024 + 1), max_bytes=1024 * 1024)


def test_an_attachment_missing_from_the_manifest_or_not_base64_is_refused() -> None:
    xml = build_package(package_from_a(PDF))
    with pytest.raises(MalformedPackage) as caught:
        parse(xml.replace(b"<edXML:ContentId>cid:1</edXML:ContentId>\n      <edXML:AttachmentName>",
                          b"<edXML:ContentId>cid:9</edXML:ContentId>\n      <edXML:AttachmentName>"))
    assert caught.value.element == "edXML:ContentId" and "cid:9" in caught.value.problem
    encoded = base64.encodebytes(PDF).decode().strip().encode()
    with pytest.raises(MalformedPackage) as caught:
        parse(xml.replace(encoded, b"@@@@" + encoded))
    assert caught.value.element == "edXML:ContentTransferEncoded"


def test_a_zip_without_the_named_file_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("one.pdf", PDF)
        out.writestr("two.pdf", PDF)
    xml = build_package(package_from_a(PDF, attachments=[Attachment("bao-cao.pdf", "application/pdf",
                                                                     archive.getvalue())]))
    with pytest.raises(MalformedPackage, match="does not hold 'bao-cao.pdf'"):
        parse(xml)


def test_a_status_package_reads_back() -> None:
    status = StatusPackage(ResponseFor(A.code, "000.00.31.H37.17", "17/BC/TU", date(2026, 4, 27)), B, "04",
                           datetime(2026, 4, 29, 3, 15, tzinfo=UTC), "Đã phân công", department="Phòng Tổng hợp",
                           staff="Trần Thị Bình")
    read = parse(build_status(status))
    assert read == status
    with pytest.raises(MalformedPackage) as caught:
        parse(build_status(status).replace(b">04<", b">07<"))
    assert caught.value.element == "edXML:StatusCode"

"""Attachments on the real database and a real folder: allow-list by name and content, size limit, access."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from engine.cases.attachments import CHUNK, AttachmentService
from engine.errors import InvalidInput, NotFound
from engine.services import Services
from engine.storage import LocalStorage
from tests.engine.inbox.inbox_support import prepare, start_document, task_of

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, content in members.items():
            out.writestr(name, content)
    return buffer.getvalue()


DOCX = archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = archive({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = archive({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"})
DOCM = archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"})


@pytest.fixture
def org(services: Services) -> Services:
    return prepare(services)


@pytest.fixture
def case(org: Services) -> int:
    return start_document(org, "VB-1", user="vanthu")


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("Công văn 12.pdf", PDF, "application/pdf"),
    ("signed.PDF", b"\xef\xbb\xbf" + PDF, "application/pdf"),
    ("anh.png", PNG, "image/png"),
    ("anh.jpeg", JPEG, "image/jpeg"),
    ("to_trinh.doc", OLE2, "application/msword"),
    ("bang.xls", OLE2, "application/vnd.ms-excel"),
    ("du_thao.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("so_lieu.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("bao_cao.odt", ODT, "application/vnd.oasis.opendocument.text"),
])
def test_accepted_documents_are_stored_by_digest(org: Services, case: int, name: str, content: bytes,
                                                 content_type: str) -> None:
    added = org.attachments.add(case, "vanthu", name, io.BytesIO(content))
    digest = hashlib.sha256(content).hexdigest()
    assert (added.filename, added.content_type, added.size, added.sha256) == (name, content_type, len(content), digest)
    stored = org.settings.home / "attachments" / digest[:2] / digest
    assert stored.read_bytes() == content
    with org.attachments.open(added.id, "chanhvp") as download:
        assert download.stream.read() == content
        assert download.view == added


@pytest.mark.parametrize(("name", "content", "message"), [
    ("virus.exe", b"MZ\x90\x00", "not accepted"),
    ("ho_so.zip", DOCX, "not accepted"),
    ("trang.html", b"<html></html>", "not accepted"),
    ("khong_co_duoi", PDF, "not accepted"),
    ("gia.pdf", b"<html><body>not a pdf</body></html>", "content is not a valid .pdf"),
    ("doi_ten.docx", PDF, "content is not a valid .docx"),
    ("macro.docx", DOCM, "content is not a valid .docx"),
    ("bang.xlsx", DOCX, "content is not a valid .xlsx"),
    ("sai.odt", archive({"mimetype": b"application/zip"}), "content is not a valid .odt"),
    ("hong.docx", b"PK\x03\x04 broken", "content is not a valid .docx"),
    ("anh.png", JPEG, "content is not a valid .png"),
])
def test_refused_by_name_or_by_content(org: Services, case: int, name: str, content: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        org.attachments.add(case, "vanthu", name, io.BytesIO(content))
    assert org.attachments.list_for(case, "vanthu") == []
    assert _files(org.settings.home / "attachments") == []


class Endless:
    """A stream that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = (b"%PDF-" + b"0" * (size - 5)) if self.read_bytes == 0 else b"0" * size
        self.read_bytes += len(chunk)
        return chunk


def test_the_size_limit_is_enforced_while_streaming(org: Services, case: int, tmp_path: Path) -> None:
    small = AttachmentService(db=org.db, clock=org.clock, access=org.access, storage=LocalStorage(tmp_path / "att"),
                              max_bytes=200_000)
    stream = Endless()
    with pytest.raises(InvalidInput, match="larger than 0.2 MB") as err:
        small.add(case, "vanthu", "lon.pdf", stream)
    assert err.value.fields == {"file": ["at most 0.2 MB"]}
    assert stream.read_bytes <= 200_000 + CHUNK
    assert _files(tmp_path / "att") == []
    exact = small.add(case, "vanthu", "vua.pdf", io.BytesIO(PDF + b"0" * (200_000 - len(PDF))))
    assert exact.size == 200_000


def test_the_users_file_name_never_becomes_a_path(org: Services, case: int) -> None:
    added = org.attachments.add(case, "vanthu", "../../etc/passwd\x00.pdf", io.BytesIO(PDF))
    assert added.filename == "passwd.pdf"
    again = org.attachments.add(case, "vanthu", "..\\..\\khac.pdf", io.BytesIO(PDF))
    assert again.filename == "khac.pdf"
    root = org.settings.home / "attachments"
    assert _files(root) == [f"{added.sha256[:2]}/{added.sha256}"]  # the same content is kept once
    for bad in ("", "..", "/", "x" * 252 + ".pdf"):
        with pytest.raises(InvalidInput, match="name"):
            org.attachments.add(case, "vanthu", bad, io.BytesIO(PDF))


def test_only_those_who_may_see_the_case_attach_list_and_download(org: Services, case: int) -> None:
    task = task_of(org, case)
    added = org.attachments.add(case, "chuyenvien", "du_thao.docx", io.BytesIO(DOCX), task_id=task.id)
    assert [a.task_id for a in org.attachments.list_for(case, "bithu")] == [task.id]
    assert added.file_value() == {"name": "du_thao.docx", "size": len(DOCX), "sha256": added.sha256,
                                  "content_type": added.content_type}
    history = [h for h in org.cases.history(case, "vanthu") if h.kind == "attachment_added"]
    assert [(h.actor, h.data["attachment_id"]) for h in history] == [("chuyenvien", added.id)]
    for outsider in ("khach", "truongban", "ghost"):
        with pytest.raises(NotFound):
            org.attachments.open(added.id, outsider)
        with pytest.raises(NotFound):
            org.attachments.list_for(case, outsider)
        with pytest.raises(NotFound):
            org.attachments.add(case, outsider, "x.pdf", io.BytesIO(PDF))
    with pytest.raises(NotFound):
        org.attachments.open(99999, "bithu")
    with pytest.raises(NotFound):
        org.attachments.add(99999, "bithu", "x.pdf", io.BytesIO(PDF))
    other = task_of(org, start_document(org, "VB-2"))
    with pytest.raises(InvalidInput, match="not a task of case"):
        org.attachments.add(case, "vanthu", "x.pdf", io.BytesIO(PDF), task_id=other.id)


def test_missing_content_is_not_found_rather_than_an_error(org: Services, case: int) -> None:
    added = org.attachments.add(case, "vanthu", "a.pdf", io.BytesIO(PDF))
    (org.settings.home / "attachments" / added.sha256[:2] / added.sha256).unlink()
    with pytest.raises(NotFound, match="missing"):
        org.attachments.open(added.id, "vanthu")


def _files(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

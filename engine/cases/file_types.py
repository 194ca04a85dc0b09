"""Which document types procflow stores, recognised by file name extension AND by content (magic bytes).

The allow-list is :data:`engine.forms.files.FILE_TYPES` (PDF, Word, Excel, OpenDocument text and spreadsheet,
JPEG, PNG), the same types a form's file field accepts. Both checks must agree: a renamed executable, a
macro-enabled Office file saved as ``.docx``, or an HTML page called ``.pdf`` is refused. Archives (``.zip``)
are not accepted: their content cannot be checked, and every document of a case should be visible by itself.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from engine.errors import InvalidInput
from engine.forms.files import FILE_TYPES, type_names
from engine.i18n import N_

HEAD_BYTES = 8192
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of legacy .doc and .xls files
ZIP = b"PK\x03\x04"
_BY_EXTENSION = {ext: content_type for content_type, exts in FILE_TYPES.items() for ext in exts}
_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("word/document.xml", "word/"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xl/workbook.xml", "xl/"),
}


def clean_filename(raw: str) -> str:
    """The file name to show and download as: its last path part, NFC, without control characters."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/"))
    name = "".join(c for c in PurePosixPath(name).name if unicodedata.category(c)[0] != "C").strip()
    if not name or name in (".", "..") or len(name) > 255:
        raise InvalidInput(N_("give the file a name of 1 to 255 characters"), {"file": ["invalid file name"]})
    return name


def type_by_name(filename: str) -> str:
    """The content type the file name's extension stands for; InvalidInput if it is not on the allow-list."""
    content_type = _BY_EXTENSION.get(PurePosixPath(filename.lower()).suffix)
    if content_type is None:
        accepted = type_names(FILE_TYPES)
        raise InvalidInput(N_("{filename}: this type of file is not accepted (accepted: {accepted})"),
                           {"file": [f"accepted types: {accepted}"]}, filename=filename, accepted=accepted)
    return content_type


def detect(path: Path, filename: str, head: bytes) -> str:
    """The content type of a stored upload, if its content matches its extension; else InvalidInput."""
    content_type = type_by_name(filename)
    if not _CHECKS[content_type](path, head, content_type):
        raise InvalidInput(N_("{filename}: the content is not a valid {suffix} file"),
                           {"file": ["content does not match the file type"]}, filename=filename,
                           suffix=PurePosixPath(filename).suffix)
    return content_type


def _pdf(path: Path, head: bytes, content_type: str) -> bool:
    return b"%PDF-" in head[:1024]  # the header may follow a few bytes of junk (PDF 1.7, 7.5.2)


def _ole2(path: Path, head: bytes, content_type: str) -> bool:
    return head.startswith(OLE2)


def _ooxml(path: Path, head: bytes, content_type: str) -> bool:
    main, folder = _OOXML_MAIN[content_type]
    names = _zip_names(path, head)
    # vbaProject.bin: macros, which .docx/.xlsx must not carry (.docm/.xlsm are not accepted).
    return "[Content_Types].xml" in names and main in names and f"{folder}vbaProject.bin" not in names


def _opendocument(path: Path, head: bytes, content_type: str) -> bool:
    if "mimetype" not in _zip_names(path, head):
        return False
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("mimetype")
        return info.file_size < 100 and archive.read(info).strip() == content_type.encode()


def _starts(magic: bytes) -> Callable[[Path, bytes, str], bool]:
    return lambda path, head, content_type: head.startswith(magic)


def _zip_names(path: Path, head: bytes) -> set[str]:
    """The member names of a ZIP file (empty if it is not one); only the central directory is read."""
    if not head.startswith(ZIP):
        return set()
    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()


_CHECKS: dict[str, Callable[[Path, bytes, str], bool]] = {
    "application/pdf": _pdf,
    "application/msword": _ole2,
    "application/vnd.ms-excel": _ole2,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _ooxml,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _ooxml,
    "application/vnd.oasis.opendocument.text": _opendocument,
    "application/vnd.oasis.opendocument.spreadsheet": _opendocument,
    "image/jpeg": _starts(b"\xff\xd8\xff"),
    "image/png": _starts(b"\x89PNG\r\n\x1a\n"),
}

"""Attached files: the value a file picker submits, the file types procflow accepts, and the size limit.

A file value is what the web layer reports after it has stored an upload itself::

    {"name": "cong-van-123.pdf", "size": 183204, "content_type": "application/pdf",
     "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}

``sha256`` is the hex digest of the content: it names the stored content, lets anyone check its integrity, and
makes a second upload of the same document recognisable. ``content_type`` must be what the server detected, not
what the browser claimed. A form can only narrow the accepted types and the size limit, never widen them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from marshmallow import ValidationError

from engine.forms.messages import message

# content type -> the file name extensions a designer may write for it in ``accept``
FILE_TYPES: Mapping[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "application/msword": (".doc",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.ms-excel": (".xls",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
DEFAULT_MAX_FILE_SIZE = 20 * 1024 * 1024
FILE_KEYS = ("name", "size", "content_type", "sha256")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BAD_NAME = re.compile(r"[/\\\x00-\x1f]")


def accepted_types(spec: str) -> tuple[tuple[str, ...], list[str]]:
    """Read an ``accept``-style list (``".pdf, image/*, application/msword"``) into known content types.

    Returns:
        The content types it names, in :data:`FILE_TYPES` order, and the entries procflow does not accept.
    """
    found: set[str] = set()
    unknown: list[str] = []
    for entry in (part.strip().lower() for part in spec.split(",")):
        if not entry:
            continue
        matches = _matching_types(entry)
        found.update(matches)
        if not matches:
            unknown.append(entry)
    return tuple(t for t in FILE_TYPES if t in found), unknown


def _matching_types(entry: str) -> list[str]:
    """Return the known content types one ``accept`` entry stands for."""
    if entry.startswith("."):
        return [t for t, extensions in FILE_TYPES.items() if entry in extensions]
    if entry.endswith("/*"):
        return [t for t in FILE_TYPES if t.startswith(entry[:-1])]
    return [entry] if entry in FILE_TYPES else []


def type_names(content_types: Iterable[str]) -> str:
    """Name content types the way users know them: ``".pdf, .docx"``."""
    return ", ".join(FILE_TYPES[t][0] for t in content_types)


def check_file(value: Any, *, content_types: Sequence[str], max_size: int, locale: str) -> dict[str, Any]:
    """Return the cleaned file value, or raise ``ValidationError`` with every problem it has."""
    if not isinstance(value, Mapping) or set(value) != set(FILE_KEYS):
        raise ValidationError(message("file", locale))
    name, size, content_type, digest = (value[key] for key in FILE_KEYS)
    if not _valid_parts(name, size, content_type, digest):
        raise ValidationError(message("file", locale))
    content_type = content_type.split(";", 1)[0].strip().lower()
    errors = []
    if content_type not in content_types:
        errors.append(message("file_type", locale, types=type_names(content_types)))
    if size > max_size:
        errors.append(message("file_size", locale, limit=round(max_size / (1024 * 1024), 1)))
    if errors:
        raise ValidationError(errors)
    return {"name": name.strip(), "size": size, "content_type": content_type, "sha256": digest.lower()}


def _valid_parts(name: Any, size: Any, content_type: Any, digest: Any) -> bool:
    """Say whether the four parts of a file value have the right types and forms."""
    return (isinstance(name, str) and bool(name.strip()) and len(name) <= 255 and not _BAD_NAME.search(name)
            and isinstance(size, int) and not isinstance(size, bool) and size >= 0
            and isinstance(content_type, str)
            and isinstance(digest, str) and bool(_SHA256.fullmatch(digest.lower())))

"""Model files uploaded by designers: BPMN, DMN and form files given one by one or packed in a zip.

Nothing here trusts the upload: a name must end in a model suffix, a zip is read entry by entry with limits on
the number of entries, each entry's size and the whole (a zip bomb is refused before it is inflated, from the
sizes its directory declares, and again while inflating in case the directory lies), names are reduced to
their last part, and every refusal names the file (and the zip entry) it is about.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from engine.bpmn.validation import SourceFile
from engine.errors import InvalidInput
from engine.i18n import N_

MODEL_SUFFIXES = (".bpmn", ".bpmn20.xml", ".dmn", ".form")
MAX_FILES = 50
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_RATIO = 200  # a model compresses well, but not a thousandfold


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as the browser sent it and its bytes."""

    name: str
    content: bytes


def read_uploads(uploads: Iterable[Upload]) -> list[SourceFile]:
    """The model files among ``uploads`` (zips unpacked), in the order given.

    Raises:
        InvalidInput: a file of another kind, an empty or unreadable zip, too many or too large files, or one
            name given twice; the message names the file.
    """
    found: list[SourceFile] = []
    for upload in uploads:
        name = _base_name(upload.name)
        if not name:
            continue  # the browser's empty file input
        if name.lower().endswith(".zip"):
            found.extend(_unzip(name, upload.content))
        else:
            found.append(_model_file(name, upload.content))
    if not found:
        raise InvalidInput(N_("nothing to deploy: give .bpmn, .dmn or .form files or a .zip of them"))
    if len(found) > MAX_FILES:
        raise InvalidInput(N_("too many files: at most {n} at once"), n=MAX_FILES)
    if sum(len(f.content) for f in found) > MAX_TOTAL_BYTES:
        raise InvalidInput(N_("the files are too large together: at most {n} MB"), n=MAX_TOTAL_BYTES // 2**20)
    seen: set[str] = set()
    for source in found:
        if source.name in seen:
            raise InvalidInput(N_("{name}: the same file name is given twice"), name=source.name)
        seen.add(source.name)
    return found


def _base_name(name: str) -> str:
    """The last part of a path a browser or zip gives (never a folder above)."""
    return PurePosixPath(name.replace("\\", "/")).name.strip()


def _model_file(name: str, content: bytes, within: str | None = None) -> SourceFile:
    where = f"{within}: {name}" if within else name
    if not name.lower().endswith(MODEL_SUFFIXES):
        raise InvalidInput(N_("{name}: not a model file: give .bpmn, .dmn or .form files (or a .zip of them)"),
                           name=where)
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(N_("{name}: too large: at most {n} MB per file"), name=where, n=MAX_FILE_BYTES // 2**20)
    if not content.strip():
        raise InvalidInput(N_("{name}: the file is empty"), name=where)
    return SourceFile(name, content)


def _unzip(name: str, content: bytes) -> list[SourceFile]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        entries = [e for e in archive.infolist() if not e.is_dir() and not _ignored(e.filename)]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(N_("{name}: not a readable zip file ({error})"), name=name, error=exc) from exc
    if len(entries) > MAX_FILES:
        raise InvalidInput(N_("{name}: too many files: at most {n} at once"), name=name, n=MAX_FILES)
    declared = sum(e.file_size for e in entries)
    if declared > MAX_TOTAL_BYTES:
        raise InvalidInput(N_("{name}: unpacks to {size} MB, more than the {n} MB allowed"), name=name,
                           size=declared // 2**20, n=MAX_TOTAL_BYTES // 2**20)
    files = []
    for entry in entries:
        entry_name = _base_name(entry.filename)
        if entry.file_size > MAX_FILE_BYTES or entry.file_size > MAX_RATIO * max(entry.compress_size, 1024):
            raise InvalidInput(N_("{name}: {entry} unpacks to too much (a zip bomb?)"), name=name, entry=entry_name)
        files.append(_model_file(entry_name, _read_entry(archive, entry, name), within=name))
    return files


def _read_entry(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, name: str) -> bytes:
    """The entry's bytes, stopping as soon as it inflates beyond what its header declared."""
    limit = min(entry.file_size, MAX_FILE_BYTES)
    try:
        with archive.open(entry) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise InvalidInput(N_("{name}: {entry} cannot be read ({error})"), name=name,
                           entry=_base_name(entry.filename), error=exc) from exc
    if len(data) > limit:
        raise InvalidInput(N_("{name}: {entry} unpacks to too much (a zip bomb?)"), name=name,
                           entry=_base_name(entry.filename))
    return data


def _ignored(filename: str) -> bool:
    """Entries zip tools add that are no model (macOS resource forks, hidden files)."""
    parts = PurePosixPath(filename.replace("\\", "/")).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)

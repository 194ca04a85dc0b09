"""Drafts: model files a designer uploaded or drew in the browser and has not deployed yet.

A draft is a folder ``<PROCFLOW_HOME>/drafts/<id>/`` holding its files and a ``draft.json`` (title, owner,
times). Files rather than a table: a draft is work in progress that a deployment turns into versions (which are
in the database), it is read and written whole, and a designer may copy a draft's files out by hand. Every
write goes to a temporary file renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.bpmn.validation import SourceFile
from engine.errors import InvalidInput, NotFound
from engine.i18n import N_

_ID = re.compile(r"^[0-9a-f]{16}$")
_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,200}$")
META = "draft.json"


@dataclass(frozen=True)
class Draft:
    """A draft's description and files."""

    id: str
    title: str
    owner: str
    created_at: datetime
    updated_at: datetime
    files: tuple[SourceFile, ...]

    def file(self, name: str) -> SourceFile | None:
        """The file called ``name``, if the draft has one."""
        return next((f for f in self.files if f.name == name), None)

    @property
    def bpmn_files(self) -> list[SourceFile]:
        """The BPMN files, which the pages draw."""
        return [f for f in self.files if f.name.lower().endswith((".bpmn", ".bpmn20.xml"))]


class DraftStore:
    """The drafts under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self, *, title: str, owner: str, files: list[SourceFile], now: datetime) -> Draft:
        """A new draft with ``files``."""
        draft_id = secrets.token_hex(8)
        folder = self.root / draft_id
        folder.mkdir(parents=True, mode=0o700)
        self._write_meta(folder, {"title": title, "owner": owner, "created_at": now.isoformat(),
                                  "updated_at": now.isoformat()})
        for source in files:
            self._write(folder, source)
        return self.get(draft_id)

    def get(self, draft_id: str) -> Draft:
        """The draft ``draft_id``.

        Raises:
            NotFound: no such draft (or a malformed id).
        """
        folder = self._folder(draft_id)
        try:
            meta = json.loads((folder / META).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NotFound(N_("no draft '{id}'"), id=draft_id) from exc
        files = tuple(SourceFile(p.name, p.read_bytes()) for p in sorted(folder.iterdir())
                      if p.is_file() and p.name != META and not p.name.startswith("."))
        return Draft(draft_id, meta["title"], meta["owner"], datetime.fromisoformat(meta["created_at"]),
                     datetime.fromisoformat(meta["updated_at"]), files)

    def all(self) -> list[Draft]:
        """Every draft, most recently changed first."""
        if not self.root.is_dir():
            return []
        drafts = [self.get(p.name) for p in self.root.iterdir() if _ID.match(p.name) and (p / META).is_file()]
        return sorted(drafts, key=lambda d: d.updated_at, reverse=True)

    def save_file(self, draft_id: str, source: SourceFile, *, now: datetime) -> Draft:
        """Write (or replace) one file of the draft."""
        folder = self._folder(draft_id)
        draft = self.get(draft_id)
        self._write(folder, source)
        self._write_meta(folder, {"title": draft.title, "owner": draft.owner,
                                  "created_at": draft.created_at.isoformat(), "updated_at": now.isoformat()})
        return self.get(draft_id)

    def delete(self, draft_id: str) -> None:
        """Remove the draft and its files."""
        shutil.rmtree(self._folder(draft_id), ignore_errors=True)

    # -- helpers -------------------------------------------------------------------------------------
    def _folder(self, draft_id: str) -> Path:
        if not _ID.match(draft_id or "") or not (self.root / draft_id).is_dir():
            raise NotFound(N_("no draft '{id}'"), id=draft_id)
        return self.root / draft_id

    def _write(self, folder: Path, source: SourceFile) -> None:
        if not _NAME.match(source.name) or source.name in (META, ".", "..") or source.name.startswith("."):
            raise InvalidInput(N_("{name}: not a usable file name"), name=source.name)
        _atomic(folder / source.name, source.content)

    def _write_meta(self, folder: Path, meta: dict[str, str]) -> None:
        _atomic(folder / META, json.dumps(meta, ensure_ascii=False).encode())


def _atomic(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

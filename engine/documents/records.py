"""The document record in SQL: create, update, link to cases, add files; every function works in the caller's
transaction (a step's, or a service's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from engine.documents.store import StoredFile
from engine.errors import InvalidInput
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.document_models import Document, DocumentCase, DocumentFile

documents = table_of(Document)
files = table_of(DocumentFile)
links = table_of(DocumentCase)

KINDS = ("incoming", "outgoing")
ROLES = ("main", "appendix", "draft", "attachment")
NOT_CONFIDENTIAL = ("", "thuong", "khong_mat", "normal", None)

# The record's columns and the data field each is read from by default (the shipped forms' names); a model
# maps others with ``<procflow:field name="summary" from="noi_dung"/>``.
DEFAULT_FIELDS = {
    "notation": "so_ky_hieu",
    "issuing_agency": "co_quan_ban_hanh",
    "doc_type": "loai_van_ban",
    "doc_date": "ngay_ban_hanh",
    "place": "dia_danh",
    "summary": "trich_yeu",
    "signer": "nguoi_ky",
    "signer_position": "chuc_vu_nguoi_ky",
    "urgency": "do_khan",
    "confidentiality": "do_mat",
    "pages": "so_trang",
    "recipients": "noi_nhan",
    "arrival_date": "ngay_den",
    "handling_deadline": "han_xu_ly",
    "lead_unit": "don_vi_chu_tri",
    "notes": "ghi_chu",
}
DATES = ("doc_date", "arrival_date", "handling_deadline")
INTEGERS = ("pages",)
TEXT_LIMITS = {"notation": 100, "issuing_agency": 300, "doc_type": 50, "place": 100, "signer": 200,
               "signer_position": 200, "urgency": 20, "confidentiality": 20, "lead_unit": 50}


@dataclass(frozen=True)
class FileRow:
    """A stored file of a document."""

    id: int
    document_id: int
    role: str
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
    stored_path: str
    instance_id: int | None
    task_id: str | None
    username: str | None
    signatures: list[dict[str, Any]] | None
    verified_at: datetime | None
    created_at: datetime


def values_from(data: dict[str, Any], mapping: dict[str, str]) -> dict[str, Any]:
    """The record's columns read from a step's ``data`` (only the fields present), converted and checked.

    Raises:
        InvalidInput: a confidential document (mật, tối mật, tuyệt mật), a date or a number that is not one.
    """
    names = {**DEFAULT_FIELDS, **{k: v for k, v in mapping.items() if k in DEFAULT_FIELDS}}
    values: dict[str, Any] = {}
    for column, field in names.items():
        if field not in data:
            continue
        value = data[field]
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        values[column] = _convert(column, value)
    if values.get("confidentiality") not in NOT_CONFIDENTIAL:
        raise InvalidInput(N_("confidential documents (mật, tối mật, tuyệt mật) are not handled in this system; "
                              "follow the state secrets rules"))
    return values


def _convert(column: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    if column in DATES:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError as exc:
            raise InvalidInput(N_("'{value}' is not a date"), value=value) from exc
    if column in INTEGERS:
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(N_("'{value}' is not a whole number"), value=value) from exc
    text = str(value).strip()
    limit = TEXT_LIMITS.get(column)
    return text[:limit] if limit else text


def document_of_case(conn: Connection, instance_id: int, kind: str) -> int | None:
    """The document of ``kind`` a case handles (the first linked), if any."""
    return conn.execute(select(links.c.document_id).join(documents, documents.c.id == links.c.document_id)
                        .where(links.c.instance_id == instance_id, documents.c.kind == kind)
                        .order_by(links.c.document_id).limit(1)).scalar()


def create(conn: Connection, kind: str, values: dict[str, Any], *, status: str, user: str | None,
           now: datetime) -> int:
    """Insert a document record; return its id."""
    if kind not in KINDS:
        raise InvalidInput(N_("a document is incoming or outgoing, not '{kind}'"), kind=kind)
    row = {"kind": kind, "status": status, "extra": {}, "created_by": user, "created_at": now, "updated_at": now,
           **values}
    return int(conn.execute(insert(documents).values(**row).returning(documents.c.id)).scalar_one())


def change(conn: Connection, document_id: int, values: dict[str, Any], now: datetime) -> None:
    """Update some columns of a document."""
    conn.execute(update(documents).where(documents.c.id == document_id).values(**values, updated_at=now))


def link(conn: Connection, document_id: int, instance_id: int, relation: str, now: datetime) -> None:
    """Record that case ``instance_id`` handles the document (once)."""
    exists = conn.execute(select(links.c.document_id).where(links.c.document_id == document_id,
                                                            links.c.instance_id == instance_id)).first()
    if exists is None:
        conn.execute(insert(links).values(document_id=document_id, instance_id=instance_id, relation=relation,
                                          created_at=now))


def add_file(conn: Connection, document_id: int, role: str, stored: StoredFile, *, instance_id: int | None,
             task_id: str | None, user: str | None, now: datetime,
             signatures: list[dict[str, Any]] | None = None) -> int:
    """Add a file to a document as the next version of its role; content it already has in that role is kept once."""
    same = conn.execute(select(files.c.id).where(files.c.document_id == document_id, files.c.role == role,
                                                 files.c.sha256 == stored.sha256)).scalar()
    if same is not None:
        return int(same)
    last = conn.execute(select(files.c.id, files.c.version)
                        .where(files.c.document_id == document_id, files.c.role == role)
                        .order_by(files.c.version.desc()).limit(1)).first()
    version = (int(last.version) + 1) if last is not None and role in ("main", "draft") else 1
    if role in ("appendix", "attachment"):
        version = int(conn.execute(select(func.count()).select_from(files).where(
            files.c.document_id == document_id, files.c.role == role)).scalar_one()) + 1
    return int(conn.execute(insert(files).values(
        document_id=document_id, role=role, version=version, filename=stored.filename,
        content_type=stored.content_type, size=stored.size, sha256=stored.sha256, stored_path=stored.stored_path,
        instance_id=instance_id, task_id=task_id, username=user, signatures=signatures,
        verified_at=now if signatures is not None else None, created_at=now).returning(files.c.id)).scalar_one())


def set_signatures(conn: Connection, document_id: int, sha256: str, signatures: list[dict[str, Any]],
                   now: datetime) -> None:
    """Record the verification of the document's files with content ``sha256`` that have none yet."""
    unverified = [r.id for r in conn.execute(select(files.c.id, files.c.signatures).where(
        files.c.document_id == document_id, files.c.sha256 == sha256)) if r.signatures is None]  # JSON null or NULL
    if unverified:
        conn.execute(update(files).where(files.c.id.in_(unverified)).values(signatures=signatures, verified_at=now))


def current_main(conn: Connection, document_id: int) -> FileRow | None:
    """The latest version of the document's main file."""
    row = conn.execute(select(files).where(files.c.document_id == document_id, files.c.role == "main")
                       .order_by(files.c.version.desc()).limit(1)).first()
    return FileRow(**row._mapping) if row is not None else None


def files_of(conn: Connection, document_id: int) -> list[FileRow]:
    """Every file of a document: main versions newest first, then appendices, drafts and related files."""
    order = {role: n for n, role in enumerate(ROLES)}
    rows = [FileRow(**r._mapping) for r in conn.execute(select(files).where(files.c.document_id == document_id))]
    return sorted(rows, key=lambda f: (order.get(f.role, 9), -f.version if f.role in ("main", "draft")
                                       else f.version))

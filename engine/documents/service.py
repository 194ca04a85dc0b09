"""Reading documents: a document's page (record, files, signatures, handling cases and steps, directions and
comments), its files, and the registers, for users allowed to see them.

Whoever may see a case handling a document may see the document (engine/cases/visibility.py); for anyone else a
document does not exist (the same NotFound as for a missing one). The registers list every numbered document to
the clerical office (the register group, ``van_thu``) and administrators; others see the rows they may see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from engine.audit.access import DOCUMENT_DOWNLOADED, DOCUMENT_VIEWED, AccessLog, append
from engine.cases.visibility import CaseAccess
from engine.clock import Clock
from engine.documents import records
from engine.documents.records import FileRow
from engine.documents.store import ContentStore
from engine.errors import InvalidInput, NotFound
from engine.i18n import N_
from engine.persistence import repository
from engine.persistence.audit_models import AccessLogEntry
from engine.persistence.base import table_of
from engine.persistence.case_models import Comment
from engine.persistence.db import Database
from engine.persistence.models import HistoryEvent, Instance, ProcessVersion, User

_history = table_of(HistoryEvent)
_access_log = table_of(AccessLogEntry)
_comments = table_of(Comment)
_instances = table_of(Instance)
_versions = table_of(ProcessVersion)
_users = table_of(User)
# Data fields that carry a leader's direction (bút phê) or a reviewer's opinion, shown on the document's page.
DIRECTION_FIELDS = ("y_kien_chi_dao", "y_kien_phan_cong", "y_kien_truong_phong", "y_kien_lanh_dao",
                    "y_kien_lanh_dao_ket_qua", "y_kien_kiem_tra", "ket_qua_xu_ly")
REGISTERS = {"incoming": "van_ban_den", "outgoing": "van_ban_di"}


@dataclass(frozen=True)
class DocumentRow:
    """A document as registers and lists show it."""

    id: int
    kind: str
    status: str
    register: str | None
    year: int | None
    number: int | None
    notation: str | None
    issuing_agency: str | None
    doc_type: str | None
    doc_date: date | None
    summary: str | None
    signer: str | None
    signer_position: str | None
    urgency: str | None
    confidentiality: str | None
    pages: int | None
    recipients: str | None
    arrival_date: date | None
    issued_at: datetime | None
    handling_deadline: date | None
    lead_unit: str | None
    notes: str | None
    place: str | None
    created_by: str | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class CaseLink:
    """A case handling the document."""

    instance_id: int
    process_id: str
    status: str
    summary: str | None
    relation: str


@dataclass(frozen=True)
class Step:
    """A completed step of a handling case."""

    instance_id: int
    element_id: str
    name: str
    actor: str | None
    actor_name: str | None
    at: datetime


@dataclass(frozen=True)
class Remark:
    """A direction (bút phê), an opinion given in a step, or a comment on a handling case."""

    instance_id: int
    kind: str  # the data field (y_kien_chi_dao ...) or "comment"
    text: str
    author: str | None
    author_name: str | None
    at: datetime


@dataclass(frozen=True)
class Access:
    """Someone viewed the document's page or downloaded one of its files (``action``: DOCUMENT_VIEWED or
    DOCUMENT_DOWNLOADED)."""

    username: str
    full_name: str | None
    action: str
    at: datetime


@dataclass(frozen=True)
class DocumentPage:
    """Everything the document's page shows."""

    document: DocumentRow
    files: list[FileRow]
    cases: list[CaseLink]
    steps: list[Step] = field(default_factory=list)
    remarks: list[Remark] = field(default_factory=list)
    # Who read the document or downloaded its files, newest first (rows of the handling cases' access chains).
    accesses: list[Access] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the files without where they are stored)."""
        return {
            "document": self.document.as_dict(),
            "files": [_file_dict(f) for f in self.files],
            "cases": [asdict(c) for c in self.cases],
            "steps": [{**asdict(s), "at": s.at.isoformat()} for s in self.steps],
            "remarks": [{**asdict(r), "at": r.at.isoformat()} for r in self.remarks],
            "accesses": [{**asdict(a), "at": a.at.isoformat()} for a in self.accesses],
        }


def _file_dict(row: FileRow) -> dict[str, Any]:
    out = asdict(row)
    out.pop("stored_path")
    for key in ("verified_at", "created_at"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


class DocumentService:
    """Reads documents and registers for the users allowed to see them.

    Args:
        db: the database.
        clock: the engine's clock.
        access: the cases' visibility rule.
        store: where the files are.
        register_group: the clerical office's group, who keep the registers (sees every row).
        admin_group: administrators (see every row).
    """

    def __init__(self, *, db: Database, clock: Clock, access: CaseAccess, store: ContentStore,
                 register_group: str = "van_thu", admin_group: str = "quan_tri",
                 access_log: AccessLog | None = None) -> None:
        self.access_log = access_log or AccessLog(db=db, clock=clock)
        self.db = db
        self.clock = clock
        self.access = access
        self.store = store
        self.register_group = register_group
        self.admin_group = admin_group

    def page(self, document_id: int, user: str | None) -> DocumentPage:
        """The document's page for ``user`` (None: the command line, which sees everything).

        Raises:
            NotFound: no such document, or ``user`` may see none of the cases handling it.
        """
        with self.db.transaction() as conn:  # the page is read and its reading recorded together
            doc = self._require(conn, document_id, user)
            cases = _cases(conn, document_id)
            ids, now = [c.instance_id for c in cases], self.clock.now()
            for instance_id in ids:  # who read the document, in the access chain of each case handling it
                append(conn, instance_id, user or "", DOCUMENT_VIEWED, self.clock, document_id=document_id, at=now)
            return DocumentPage(doc, records.files_of(conn, document_id), cases, _steps(conn, ids),
                                _remarks(conn, ids), _accesses(conn, document_id))

    def open_file(self, document_id: int, file_id: int, user: str | None) -> tuple[FileRow, bytes]:
        """A file of the document and its content.

        Raises:
            NotFound: no such document or file, or not for ``user``.
        """
        with self.db.connect() as conn:
            self._require(conn, document_id, user)
            found = [f for f in records.files_of(conn, document_id) if f.id == file_id]
        if not found:
            raise NotFound(N_("no file {file_id} of document {document_id}"), file_id=file_id,
                           document_id=document_id)
        content = self.store.read(found[0].stored_path)
        with self.db.transaction() as conn:
            now = self.clock.now()
            for instance_id in [c.instance_id for c in _cases(conn, document_id)]:
                append(conn, instance_id, user or "", DOCUMENT_DOWNLOADED, self.clock, document_id=document_id,
                       at=now)
        return found[0], content

    def documents_of_case(self, instance_id: int, user: str) -> list[DocumentRow]:
        """The documents a case handles, if ``user`` may see the case (else NotFound or PermissionDenied)."""
        with self.db.connect() as conn:
            self.access.require(conn, user, instance_id)
            ids = conn.execute(select(records.links.c.document_id)
                               .where(records.links.c.instance_id == instance_id)).scalars().all()
            rows = conn.execute(select(records.documents).where(records.documents.c.id.in_(ids))
                                .order_by(records.documents.c.id))
            return [_row(r) for r in rows]

    def register(self, kind: str, *, year: int | None = None, user: str | None = None, search: str = "",
                 status: str | None = None) -> list[DocumentRow]:
        """The register of ``kind`` (incoming or outgoing): numbered documents of ``year`` by number.

        Args:
            year: the register's year (None: every year, newest first).
            user: whose view (None: everything, for the command line).
            search: words looked for in the number and notation, summary, issuing agency, signer, recipients.
            status: only documents in this status.

        Raises:
            InvalidInput: an unknown kind.
        """
        if kind not in records.KINDS:
            raise InvalidInput(N_("a register is incoming or outgoing, not '{kind}'"), kind=kind)
        d = records.documents
        query = select(d).where(d.c.kind == kind, d.c.number.is_not(None))
        if year is not None:
            query = query.where(d.c.year == year)
        if status:
            query = query.where(d.c.status == status)
        for word in search.split()[:10]:
            like = f"%{word}%"
            query = query.where(or_(d.c.notation.ilike(like), d.c.summary.ilike(like), d.c.issuing_agency.ilike(like),
                                    d.c.signer.ilike(like), d.c.recipients.ilike(like)))
        query = query.order_by(d.c.year.desc(), d.c.number)
        with self.db.connect() as conn:
            rows = [_row(r) for r in conn.execute(query)]
            if user is None or self.keeps_registers(conn, user):
                return rows
            return [r for r in rows if self._may_see(conn, r.id, user)]

    def keeps_registers(self, conn: Connection, user: str) -> bool:
        """Whether ``user`` keeps the registers (the clerical office) or administers procflow."""
        groups = repository.user_groups(conn, user) or set()
        return bool(groups & {self.register_group, self.admin_group})

    def _require(self, conn: Connection, document_id: int, user: str | None) -> DocumentRow:
        row = conn.execute(select(records.documents).where(records.documents.c.id == document_id)).first()
        if row is None or (user is not None and not self._may_see(conn, document_id, user)):
            raise NotFound(N_("no document {document_id}"), document_id=document_id)
        return _row(row)

    def _may_see(self, conn: Connection, document_id: int, user: str) -> bool:
        cases = conn.execute(select(records.links.c.instance_id)
                             .where(records.links.c.document_id == document_id)).scalars().all()
        return any(self._sees(conn, user, case) for case in cases)

    def _sees(self, conn: Connection, user: str, instance_id: int) -> bool:
        try:
            return self.access.sees(conn, user, instance_id)
        except NotFound:
            return False


def _row(row: Any) -> DocumentRow:
    names = DocumentRow.__dataclass_fields__
    return DocumentRow(**{k: v for k, v in row._mapping.items() if k in names})


def _cases(conn: Connection, document_id: int) -> list[CaseLink]:
    i, link = _instances, records.links
    rows = conn.execute(select(i.c.id, i.c.process_id, i.c.status, i.c.summary, link.c.relation)
                        .join(link, link.c.instance_id == i.c.id).where(link.c.document_id == document_id)
                        .order_by(i.c.id))
    return [CaseLink(r.id, r.process_id, str(r.status), r.summary, r.relation) for r in rows]


def _accesses(conn: Connection, document_id: int, limit: int = 200) -> list[Access]:
    """The latest reads of the document: one per read, though each is recorded in every handling case's chain."""
    log = _access_log
    rows = conn.execute(select(log.c.username, log.c.action, log.c.at)
                        .where(log.c.document_id == document_id)
                        .group_by(log.c.username, log.c.action, log.c.at)
                        .order_by(log.c.at.desc()).limit(limit)).all()
    names = _names(conn, {r.username for r in rows if r.username})
    return [Access(r.username, names.get(r.username), r.action, r.at) for r in rows]


def _names(conn: Connection, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    rows = conn.execute(select(_users.c.username, _users.c.full_name).where(_users.c.username.in_(usernames)))
    return {r.username: r.full_name for r in rows}


def _steps(conn: Connection, instance_ids: list[int]) -> list[Step]:
    if not instance_ids:
        return []
    h = _history
    rows = conn.execute(select(h.c.instance_id, h.c.element_id, h.c.actor, h.c.at)
                        .where(h.c.instance_id.in_(instance_ids), h.c.kind == "task_completed")
                        .order_by(h.c.at, h.c.id)).all()
    names = _names(conn, {r.actor for r in rows if r.actor})
    labels = _element_names(conn, instance_ids)
    return [Step(r.instance_id, r.element_id or "", labels.get((r.instance_id, r.element_id or ""), r.element_id or ""),
                 r.actor, names.get(r.actor or ""), r.at) for r in rows]


def _element_names(conn: Connection, instance_ids: list[int]) -> dict[tuple[int, str], str]:
    rows = conn.execute(select(_instances.c.id, _versions.c.tasks_meta)
                        .join(_versions, _versions.c.id == _instances.c.process_version_id)
                        .where(_instances.c.id.in_(instance_ids)))
    return {(r.id, element): str(meta.get("name") or element) for r in rows
            for element, meta in ((r.tasks_meta or {}).get("tasks") or {}).items()}


def _remarks(conn: Connection, instance_ids: list[int]) -> list[Remark]:
    if not instance_ids:
        return []
    h, c = _history, _comments
    found: list[Remark] = []
    for r in conn.execute(select(h.c.instance_id, h.c.actor, h.c.at, h.c.data)
                          .where(h.c.instance_id.in_(instance_ids), h.c.kind == "task_completed")):
        submitted = ((r.data or {}).get("data") or {}) if isinstance(r.data, dict) else {}
        found += [Remark(r.instance_id, key, str(submitted[key]), r.actor, None, r.at)
                  for key in DIRECTION_FIELDS if isinstance(submitted.get(key), str) and submitted[key].strip()]
    for r in conn.execute(select(c.c.instance_id, c.c.username, c.c.text, c.c.created_at)
                          .where(c.c.instance_id.in_(instance_ids))):
        found.append(Remark(r.instance_id, "comment", r.text, r.username, None, r.created_at))
    names = _names(conn, {r.author for r in found if r.author})
    return sorted((Remark(r.instance_id, r.kind, r.text, r.author, names.get(r.author or ""), r.at) for r in found),
                  key=lambda r: r.at)

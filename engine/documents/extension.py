"""The ``procflow:document`` BPMN extension: what a model's elements do to the case's document when they complete.

On any flow node (start event, user task, script task), in its ``bpmn:extensionElements``:

    <procflow:document kind="incoming" register="van_ban_den" number="so_den" file="tep_van_ban"/>

Attributes (all optional but ``kind``):

* ``action``: ``save`` (default) creates the case's document of ``kind`` (``incoming`` or ``outgoing``), or updates
  it, from the step's data; ``sign``: the competent person signs (the step's assignee); ``issue``: the clerical
  office fills the number and date and applies the agency's signature.
* ``register`` and ``number``: the register (a yearly series of engine/registers, e.g. ``van_ban_den``) and the
  data field holding the number a script took with ``next_number``; when that field is empty the action takes the
  next number of the register itself. The year is the current year in the agency's time zone.
* ``file``: data fields (comma-separated) whose files are added to the document, as ``role`` (``main``,
  ``appendix``, ``draft`` or ``attachment``; default ``main``).
* ``status``: the document's status after the action (default: ``registered`` for a new incoming document,
  ``draft`` for a new outgoing one, ``signed`` after ``sign``, ``issued`` after ``issue``).
* ``if``: a condition on the data; the action is skipped when it is false (e.g. ``quyet_dinh_ky == "ky"``).
* ``sign``: ``file`` names the field holding the version to sign (a PDF), ``upload`` a field where the signer may
  give a PDF they signed outside procflow instead (it must carry their valid signature), ``output`` the field
  given the signed file. Without an upload the signer's configured key signs (engine/documents/keys.py).
* ``issue``: ``output`` names the field given the issued file, ``date`` the field given the date of issue;
  ``group`` the group whose members may apply the agency's key (default ``van_thu``).

Child elements ``<procflow:field name="summary" from="noi_dung"/>`` map the record's fields to other data fields
than the defaults (records.DEFAULT_FIELDS: ``so_ky_hieu``, ``trich_yeu``, ``co_quan_ban_hanh`` ...).
A confidential document (``do_mat`` other than ``thuong``) is refused, and the step with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.documents import records
from engine.documents.store import PDF, ContentStore, StoredFile
from engine.errors import InvalidInput, PermissionDenied
from engine.i18n import N_
from engine.persistence import repository
from engine.persistence.models import User
from engine.registers.numbers import take
from engine.runtime.hooks import ElementEvent

if TYPE_CHECKING:  # pyHanko is slow to import: the signer is built on first use, not with the services
    from engine.documents.signing import DocumentSigner

ACTIONS = ("save", "sign", "issue")
NEW_STATUS = {"incoming": "registered", "outgoing": "draft"}


@dataclass
class DocumentActions:
    """The runtime hook carrying out ``procflow:document`` actions in the step's transaction.

    Args:
        store: where files are kept (the attachments folder).
        signer: makes the signing configuration on first use; None: ``sign`` and ``issue`` actions are refused.
        clock: the engine's clock.
        evaluate: evaluates an ``if`` expression on a dict of data (the script engine's environment).
        timezone: the agency's time zone (for the register's year and the date of issue).
    """

    store: ContentStore
    signer: Callable[[], DocumentSigner] | None
    clock: Clock
    evaluate: Callable[[str, dict[str, Any]], Any]
    timezone: str = "Asia/Ho_Chi_Minh"
    _signer: DocumentSigner | None = field(default=None, init=False, repr=False)

    def task_completing(self, event: ElementEvent) -> dict[str, Any]:
        """Carry out a human task's actions; the data it completes with may gain the signed or issued file."""
        data = dict(event.data)
        for action in event.actions:
            merged = {**event.case_data, **data}
            if self._applies(action, merged):
                data.update(self._run(event, action, merged))
        return data

    def element_completed(self, event: ElementEvent) -> None:
        """Carry out an engine element's actions (a start event, a script task)."""
        for action in event.actions:
            if self._applies(action, event.data):
                self._run(event, action, event.data)

    def _applies(self, action: dict[str, Any], data: dict[str, Any]) -> bool:
        condition = action.get("if")
        if not condition:
            return True
        try:
            return bool(self.evaluate(condition, dict(data)))
        except Exception as exc:  # noqa: BLE001 - a model's expression may fail in any way; say which one
            raise InvalidInput(N_("the document condition '{condition}' cannot be evaluated: {error}"),
                               condition=condition, error=str(exc)) from exc

    def _run(self, event: ElementEvent, action: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        kind = action.get("kind", "")
        name = action.get("action", "save")
        if name not in ACTIONS or kind not in records.KINDS:
            raise InvalidInput(N_("procflow:document on {element_id}: action must be save, sign or issue and kind "
                                  "incoming or outgoing"), element_id=event.element_id)
        now = self.clock.now()
        document_id = self._save(event, action, kind, data, now, with_files=name == "save")
        if name == "sign":
            return self._sign(event, action, document_id, data, now)
        if name == "issue":
            return self._issue(event, action, document_id, data, now)
        return {}

    # -- save ---------------------------------------------------------------------------------
    def _save(self, event: ElementEvent, action: dict[str, Any], kind: str, data: dict[str, Any],
              now: datetime, *, with_files: bool) -> int:
        conn = event.conn
        values = records.values_from(data, action.get("fields") or {})
        if action.get("status"):
            values["status"] = action["status"]
        document_id = records.document_of_case(conn, event.instance_id, kind)
        if document_id is None:
            status = values.pop("status", NEW_STATUS[kind])
            document_id = records.create(conn, kind, values, status=status, user=event.user, now=now)
            records.link(conn, document_id, event.instance_id, "registered" if kind == "incoming" else "drafted",
                         now)
        elif values:
            records.change(conn, document_id, values, now)
        if action.get("register"):
            self._number(conn, document_id, action, data, now)
        for name in _names(action.get("file")) if with_files else ():
            for index, value in enumerate(_file_values(data.get(name))):
                stored = self.store.case_file(conn, event.instance_id, value)
                role = action.get("role", "main")
                role = "appendix" if role == "main" and index else role  # one main file; the others go with it
                signatures = self._verified(stored, conn) if role == "main" else None
                records.add_file(conn, document_id, role if role in records.ROLES else "main", stored,
                                 instance_id=event.instance_id, task_id=event.task_id, user=event.user, now=now,
                                 signatures=signatures)
        return document_id

    def _number(self, conn: Connection, document_id: int, action: dict[str, Any], data: dict[str, Any],
                now: datetime) -> None:
        row = conn.execute(select(records.documents.c.number, records.documents.c.year)
                           .where(records.documents.c.id == document_id)).one()
        if row.number is not None:
            return  # numbered once, for good
        register = str(action["register"])
        year = now.astimezone(ZoneInfo(self.timezone)).year
        given = data.get(action["number"]) if action.get("number") else None
        number = _whole(given) or take(conn, register, year)
        records.change(conn, document_id, {"register": register, "year": year, "number": number}, now)

    def _verified(self, stored: StoredFile, conn: Connection) -> list[dict[str, Any]] | None:
        if self.signer is None or stored.content_type != PDF:
            return None
        try:
            return self._require_signer().verify(self.store.read(stored.stored_path, conn))
        except Exception:  # noqa: BLE001 - an unreadable PDF has no signatures to show; it is still kept
            return []

    # -- sign ---------------------------------------------------------------------------------
    def _sign(self, event: ElementEvent, action: dict[str, Any], document_id: int, data: dict[str, Any],
              now: datetime) -> dict[str, Any]:
        from engine.documents.signing import identity_of

        signer, conn, user = self._require_signer(), event.conn, event.user or ""
        uploads = _file_values(data.get(action.get("upload", "")) if action.get("upload") else None)
        if uploads:
            stored = self.store.case_file(conn, event.instance_id, uploads[-1])
            signer.require_person(self.store.read(stored.stored_path, conn), identity_of(conn, user))
        else:
            sources = [v for f in _names(action.get("file")) for v in _file_values(data.get(f))]
            if not sources:
                raise InvalidInput(N_("there is no version to sign: attach the PDF to sign"))
            source = self.store.case_file(conn, event.instance_id, sources[-1])
            who = _person(conn, user)
            signed = signer.sign_as_person(self.store.read(source.stored_path, conn), user, reason=who[1] or who[0])
            stored = self.store.put(signed, _signed_name(source.filename), PDF, conn)
            self.store.attach(conn, event.instance_id, stored, user=user, task_id=event.task_id, now=now)
            signer.require_person(signed, identity_of(conn, user))  # the configured key must be the person's
        name, title = _person(conn, user)
        records.add_file(conn, document_id, "main", stored, instance_id=event.instance_id, task_id=event.task_id,
                         user=user, now=now, signatures=signer.verify(self.store.read(stored.stored_path, conn)))
        records.change(conn, document_id, {"status": action.get("status", "signed"), "signer": name,
                                           "signer_position": title}, now)
        return {action["output"]: stored.file_value()} if action.get("output") else {}

    # -- issue --------------------------------------------------------------------------------
    def _issue(self, event: ElementEvent, action: dict[str, Any], document_id: int, data: dict[str, Any],
               now: datetime) -> dict[str, Any]:
        signer, conn = self._require_signer(), event.conn
        group = action.get("group", "van_thu")
        if group not in (repository.user_groups(conn, event.user or "") or set()):
            raise PermissionDenied(N_("only the clerical office ({group}) applies the agency's signature"),
                                   group=group)
        main = records.current_main(conn, document_id)
        if main is None:
            raise InvalidInput(N_("the document has no signed main file to issue"))
        doc = conn.execute(select(records.documents).where(records.documents.c.id == document_id)).one()
        if not doc.notation:
            raise InvalidInput(N_("the document has no number yet: the register gives it before issue"))
        issued = signer.issue(self.store.read(main.stored_path, conn), number=f"Số: {doc.notation}",
                              date_line=signer.date_line(now), when=now)
        stored = self.store.put(issued, _issued_name(doc.notation, main.filename), PDF, conn)
        self.store.attach(conn, event.instance_id, stored, user=event.user, task_id=event.task_id, now=now)
        records.add_file(conn, document_id, "main", stored, instance_id=event.instance_id, task_id=event.task_id,
                         user=event.user, now=now, signatures=signer.verify(issued))
        local = now.astimezone(ZoneInfo(self.timezone)).date()
        records.change(conn, document_id, {"status": action.get("status", "issued"), "issued_at": now,
                                           "doc_date": local}, now)
        out: dict[str, Any] = {}
        if action.get("output"):
            out[action["output"]] = stored.file_value()
        if action.get("date"):
            out[action["date"]] = local.isoformat()
        return out

    def _require_signer(self) -> DocumentSigner:
        if self.signer is None:
            raise InvalidInput(N_("digital signing is not configured"))
        if self._signer is None:
            self._signer = self.signer()
        return self._signer


def _whole(value: Any) -> int | None:
    """A number a script took (an int, or a form's number), or None when there is none."""
    try:
        return int(value) if value not in (None, "") and int(value) > 0 else None
    except (TypeError, ValueError):
        return None


def _names(value: Any) -> list[str]:
    return [n.strip() for n in str(value or "").split(",") if n.strip()]


def _file_values(value: Any) -> list[dict[str, Any]]:
    """A file field's value as a list of file values (one, several or none)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _person(conn: Connection, username: str) -> tuple[str, str]:
    row = conn.execute(select(User.full_name, User.title).where(User.username == username)).first()
    return (row.full_name, row.title or "") if row is not None else (username, "")


def _signed_name(filename: str) -> str:
    stem = filename.rsplit(".", 1)[0]
    return f"{stem}-da-ky.pdf"[:255]


def _issued_name(notation: str, filename: str) -> str:
    """The issued file's name: the number and notation before the signed file's name."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in notation)
    return f"{safe}-{filename.rsplit('.', 1)[0]}.pdf"[:255]

"""Receiving and sending edXML packages (docs/exchange.md).

Receiving (:meth:`ExchangeService.receive`): the package is parsed safely and validated, its sender must be one the
caller's token may speak for and in the directory, the envelope's XML signature must hold and be made with a
certificate the directory pins for the sender (engine/exchange/seal.py), it must be addressed to this agency, not
be a duplicate (the same DocumentId from the same sender, or the same number and notation from the same issuing
agency in the year) and not confidential; signed PDFs are verified and a broken signature refuses the package. A
valid package becomes a registered incoming document with its files and starts the incoming procedure; anything
refused leaves only a record of the refusal.

Sending: an outgoing document issued by a procedure to agencies of the directory gets one delivery per recipient in
the outbox (``exchange_outbox``, in the step's own transaction: nothing is lost); RQ jobs deliver each
(:meth:`ExchangeService.deliver`), claiming the row first so that no delivery runs twice at once, and after a
failure wait twice as long each time (``retry_seconds`` doubling up to ``retry_max_seconds``). Receivers are
idempotent by DocumentId, so a delivery whose answer was lost is recognised when sent again.

Statuses go the same way: a status package to the sender on receipt (01 arrived, 03 accepted) and at the stages of
the incoming procedure (04 assigned, 05 in progress, 06 done), and 02 refused when a package from a known sender is
refused; statuses other agencies send back about our documents are kept (``exchange_statuses``).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from engine.clock import Clock
from engine.documents import records
from engine.documents.store import PDF, ContentStore
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied, ProcflowError
from engine.exchange.directory import AgencyDirectory, AgencyView, Endpoint
from engine.exchange.package import (
    Attachment,
    MalformedPackage,
    Organ,
    Package,
    ResponseFor,
    StatusPackage,
    Trace,
    build_package,
    build_status,
    parse,
)
from engine.exchange.seal import EnvelopeCheck
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.exchange_models import ExchangeOutbox, ExchangeReceipt, ExchangeRefusal, ExchangeStatus
from engine.persistence.models import Unit, User
from engine.runtime.hooks import ElementEvent, StepSaved
from engine.settings import ExchangeSettings

log = logging.getLogger("procflow.exchange")
receipts = table_of(ExchangeReceipt)
refusals = table_of(ExchangeRefusal)
outbox = table_of(ExchangeOutbox)
statuses = table_of(ExchangeStatus)
_users = table_of(User)
_units = table_of(Unit)

# Signature problems that mean the file was changed after signing (in transit or before): the package is refused.
BROKEN = {"not_intact", "bad_signature", "illegal_changes"}
# The stages of the incoming procedure reported to the sender: the element whose completion reaches each stage.
STAGES: dict[str, tuple[str, str]] = {
    "leader_direction": ("04", "Lãnh đạo đã cho ý kiến chỉ đạo, giao đơn vị chủ trì xử lý"),
    "assign_specialist": ("05", "Đơn vị đã phân công chuyên viên, văn bản đang được xử lý"),
}
DONE = ("06", "Văn bản đã được xử lý xong")
STATUS_NAMES = {"01": "đã đến", "02": "bị từ chối", "03": "đã tiếp nhận", "04": "đã phân công", "05": "đang xử lý",
                "06": "đã hoàn thành"}
URGENCY_OF_PRIORITY = {0: "thuong", 1: "khan", 2: "thuong_khan", 3: "hoa_toc", 4: "hoa_toc"}
PRIORITY_OF_URGENCY = {"thuong": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}
DOCUMENT_TYPES = {
    "cong_van": "Công văn", "quyet_dinh": "Quyết định", "chi_thi": "Chỉ thị", "nghi_quyet": "Nghị quyết",
    "ket_luan": "Kết luận", "quy_dinh": "Quy định", "thong_bao": "Thông báo", "huong_dan": "Hướng dẫn",
    "ke_hoach": "Kế hoạch", "bao_cao": "Báo cáo", "to_trinh": "Tờ trình", "giay_moi": "Giấy mời",
}
STALE_CLAIM = timedelta(minutes=10)


class Transport(Protocol):
    """Posts a package to another agency's endpoint; returns the HTTP status and the JSON answer (or {})."""

    def post(self, url: str, payload: bytes, token: str, timeout: float) -> tuple[int, dict[str, Any]]:
        """Send ``payload``; raise OSError (or a subclass) when the receiver cannot be reached."""
        ...


class HttpTransport:
    """Delivery over HTTP(S) with ``requests``: ``POST <endpoint>/edxml`` with the bearer token."""

    def post(self, url: str, payload: bytes, token: str, timeout: float) -> tuple[int, dict[str, Any]]:
        import requests

        headers = {"Content-Type": "application/xml", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            answer = requests.post(url, data=payload, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise OSError(str(exc)) from exc
        try:
            body = answer.json()
        except ValueError:
            body = {"detail": answer.text[:500]}
        return answer.status_code, body if isinstance(body, dict) else {"detail": str(body)[:500]}


class Seal(Protocol):
    """Signs our packages' envelopes and checks received ones (engine/exchange/seal.py's AgencySeal)."""

    def sign(self, content: bytes) -> bytes:
        """``content`` with the agency's envelope signature."""
        ...

    def check(self, content: bytes) -> EnvelopeCheck | None:
        """The envelope's signature checked now; None when the package carries none."""
        ...

    def certificate(self) -> Any:
        """The agency key's certificate (asn1crypto)."""
        ...


class Refused(InvalidInput):
    """A package refused for what it says (not addressed here, confidential, a broken signature): 422."""


@dataclass(frozen=True)
class Receipt:
    """A package received: the registered document and the case handling it (or the status recorded)."""

    document_id: int | None = None
    instance_id: int | None = None
    status_id: int | None = None
    edxml_id: str = ""


@dataclass(frozen=True)
class DeliveryView:
    """A delivery of the outbox as the document page shows it."""

    id: int
    kind: str
    agency_code: str
    agency_name: str
    status_code: str | None
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class StatusView:
    """A status another agency reported on one of our documents."""

    agency_code: str
    agency_name: str
    status_code: str
    status_name: str
    description: str
    staff: str
    department: str
    at: datetime


@dataclass
class ExchangeService:
    """The exchange of documents with the agencies of the directory.

    Args:
        db, clock: the database and the engine's clock.
        settings: the agency's code and the exchange's limits.
        directory: the agency directory.
        runtime: starts the incoming procedure (engine.runtime.core.Runtime).
        store: where files and packages are kept (the attachments' store).
        verify: each signature of a PDF as ``SignatureResult.to_dict()`` (None: signatures are not checked).
        transport: how packages reach other agencies (HTTP).
        kick: called after commit with outbox ids to deliver now (``at`` None) or at ``at`` (the RQ dispatcher;
            None: the workers' sweep finds them).
        timezone: the agency's time zone.
        signing_name: the agency's name in its signatures, when ``settings.agency_name`` is empty.
        seal: signs the envelopes of packages we send and checks those we receive (None: packages go unsigned and
            received envelopes are not checked — for tests of other parts only).
    """

    db: Database
    clock: Clock
    settings: ExchangeSettings
    directory: AgencyDirectory
    runtime: Any
    store: ContentStore
    verify: Callable[[bytes], list[dict[str, Any]]] | None = None
    transport: Transport = field(default_factory=HttpTransport)
    kick: Callable[[list[int], datetime | None], None] | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    signing_name: str = ""
    seal: Seal | None = None

    # -- identity ---------------------------------------------------------------------------------
    def me(self) -> Organ:
        """This agency as packages name it."""
        return Organ(self.settings.agency_code, self.settings.agency_name or self.signing_name or
                     self.settings.agency_code)

    def _require_configured(self) -> None:
        if not self.settings.agency_code:
            raise Refused(N_("the document exchange is off: PROCFLOW_AGENCY_CODE is not set"))

    # -- receiving --------------------------------------------------------------------------------
    def receive(self, content: bytes, *, user: str, token: str = "",
                speaks_for: frozenset[str] | None = None) -> Receipt:
        """Take a package (a document or a status) given by ``user`` (the API token's user, or the command line's).

        Args:
            token: the name of the API token that delivered it ("" on the command line).
            speaks_for: the agency codes that token may deliver packages of (``*``: any); None on the command line,
                where the operator vouches for the file.

        Raises:
            MalformedPackage (400): not well-formed, not valid, or inconsistent — naming the element and line.
            PermissionDenied (403): the sender is not in the directory, not one the token may speak for (or the
                token is bound to none), or no certificate is pinned for it.
            Conflict (409): a duplicate; nothing is created.
            Refused (422): not addressed to this agency, confidential, a broken signature of a PDF or of the
                envelope, an envelope signed by a certificate the directory does not pin for the sender, unsigned.
            InvalidInput (422): the procedure refused the document's data.
        """
        digest = hashlib.sha256(content).hexdigest()
        try:
            self._require_configured()
            package = parse(content, max_bytes=self.settings.max_bytes, timezone=self.timezone)
        except ProcflowError as exc:
            self._refusal(exc, digest, len(content), user, None, None)
            raise
        if isinstance(package, StatusPackage):
            try:
                self._check_token(package.sender.code, token, speaks_for)
                return self._status_received(package, user)
            except ProcflowError as exc:
                self._refusal(exc, digest, len(content), user, package.sender.code, package.response_for.document_id)
                raise
        try:
            self._check_token(package.sender.code, token, speaks_for)
            return self._document_received(package, content, digest, user)
        except ProcflowError as exc:
            self._refusal(exc, digest, len(content), user, package.sender.code, package.document_id)
            if not isinstance(exc, PermissionDenied | Conflict):  # tell a known sender why, once
                self._refused_status(package, exc)
            raise

    @staticmethod
    def _check_token(sender: str, token: str, speaks_for: frozenset[str] | None) -> None:
        """The token that delivered a package must be bound to its sender (or to any, ``*``)."""
        if speaks_for is None or "*" in speaks_for or sender in speaks_for:
            return
        if not speaks_for:
            raise PermissionDenied(N_("the token {token} is not bound to any agency: bind it to the agencies whose "
                                      "packages it delivers with `procflow tokens bind {token} --agency CODE`"),
                                   token=token or "?")
        raise PermissionDenied(N_("the token {token} delivers packages of {agencies} only, not of {code}"),
                               token=token or "?", agencies=", ".join(sorted(speaks_for)), code=sender)

    def _check_envelope(self, package: Package, content: bytes, agency: AgencyView) -> EnvelopeCheck | None:
        """The envelope must be signed (unless unsigned packages are allowed), unchanged since, by a trusted
        certificate the directory pins for the sender."""
        if self.seal is None:
            return None
        found = self.seal.check(content)
        if found is None:
            if self.settings.allow_unsigned:
                return None
            raise Refused(N_("the package's envelope is not signed: {code} must sign it with its agency key "
                             "(XML signature in edXMLHeader)"), code=package.sender.code)
        if found.problems:
            raise _envelope_refused(found)
        if not agency.certificates:
            raise PermissionDenied(N_("no certificate is pinned for {code} in the agency directory: add the "
                                      "fingerprint of its agency certificate (field certificate)"),
                                   code=package.sender.code)
        if found.fingerprint not in agency.certificates:
            raise Refused(N_("the envelope is signed by {subject} (certificate {fingerprint}), not with a certificate "
                             "the directory pins for {code}"), subject=found.subject,
                          fingerprint=found.fingerprint, code=package.sender.code)
        return found

    def _document_received(self, package: Package, content: bytes, digest: str, user: str) -> Receipt:
        me = self.me()
        with self.db.connect() as conn:
            agency = self.directory.known(conn, package.sender.code)
            if agency is None:
                raise PermissionDenied(N_("the sender {code} is not in the agency directory"),
                                       code=package.sender.code)
        envelope = self._check_envelope(package, content, agency)
        with self.db.connect() as conn:
            self._check_duplicate(conn, package)
        if me.code not in {o.code for o in package.recipients}:
            raise Refused(N_("the package is addressed to {to}, not to this agency ({code})"),
                          to=", ".join(o.code for o in package.recipients), code=me.code)
        if package.security_level:
            raise Refused(N_("confidential documents (mật, tối mật, tuyệt mật) are not handled in this system; "
                             "follow the state secrets rules"))
        checked = [(a, self._signatures(a)) for a in package.attachments]
        receipt_id = self._reserve(package, digest, user)
        # The files go in as a clerk's registration gives them: the main PDF as the start form's ``tep_van_ban``,
        # the others as ``tep_dinh_kem``, attached to the new case before the start's document actions run.
        stored = [self.store.put(a.content, a.name, _content_type(a)) for a, _ in checked]
        data = self._case_data(package, checked)
        if stored:
            data["tep_van_ban"] = stored[0].file_value()
            data["tep_dinh_kem"] = [f.file_value() for f in stored[1:]]

        def attach(conn: Connection, instance_id: int) -> None:
            for one in stored:
                self.store.attach(conn, instance_id, one, user=user, task_id=None, now=self.clock.now())

        try:
            instance_id = self.runtime.start(self.settings.process, data=data, user=user, on_created=attach)
        except BaseException:
            with self.db.transaction() as conn:
                conn.execute(delete(receipts).where(receipts.c.id == receipt_id))
            raise
        now = self.clock.now()
        with self.db.transaction() as conn:
            document_id = self._file_document(conn, package, checked, instance_id, user, now, envelope)
            conn.execute(update(receipts).where(receipts.c.id == receipt_id)
                         .values(document_id=document_id, instance_id=instance_id))
            staff = _staff(conn, user)
            ids = [self._queue_status(conn, receipt_id, "01", "Văn bản đã đến hệ thống của cơ quan", staff, now),
                   self._queue_status(conn, receipt_id, "03", "Văn bản đã được tiếp nhận, vào sổ văn bản đến",
                                      staff, now)]
        self._kick(ids)
        return Receipt(document_id=document_id, instance_id=instance_id, edxml_id=package.document_id)

    def _check_duplicate(self, conn: Connection, package: Package) -> None:
        same_id = conn.execute(select(receipts.c.document_id, receipts.c.instance_id).where(
            receipts.c.sender_code == package.sender.code, receipts.c.edxml_id == package.document_id)).first()
        if same_id is not None:
            raise Conflict(N_("the document {edxml_id} of {code} was already received"),
                           edxml_id=package.document_id, code=package.sender.code)
        year = package.date.year
        same_number = conn.execute(select(receipts.c.id).where(
            receipts.c.sender_code == package.sender.code, receipts.c.notation == package.number_and_notation,
            receipts.c.doc_date.like(f"{year}-%"))).first()
        d = records.documents
        registered = conn.execute(select(d.c.id).where(
            d.c.kind == "incoming", d.c.notation == self._notation(package),
            or_(d.c.issuing_agency == package.sender.name, d.c.issuing_agency == package.sender.code),
            d.c.doc_date >= date(year, 1, 1), d.c.doc_date <= date(year, 12, 31))).first()
        if same_number is not None or registered is not None:
            raise Conflict(N_("the document {notation} of {agency} in {year} is already registered"),
                           notation=package.number_and_notation, agency=package.sender.name, year=year)

    def _signatures(self, attachment: Attachment) -> list[dict[str, Any]] | None:
        if self.verify is None or not attachment.content.lstrip()[:5] == b"%PDF-":
            return None
        try:
            found = self.verify(attachment.content)
        except InvalidInput as exc:
            raise Refused(N_("the attachment {name} is not a readable PDF"), name=attachment.name) from exc
        broken = [s for s in found if BROKEN & set(s.get("problems") or [])]
        if broken:
            raise Refused(N_("the signature of {signer} on {name} does not match the file: it was changed after "
                             "signing"), signer=broken[0].get("signer_name") or "?", name=attachment.name)
        return found

    def _reserve(self, package: Package, digest: str, user: str) -> int:
        try:
            with self.db.transaction() as conn:
                return int(conn.execute(insert(receipts).values(
                    sender_code=package.sender.code, edxml_id=package.document_id,
                    notation=package.number_and_notation[:100], doc_date=package.date.isoformat(), sha256=digest,
                    received_by=user, received_at=self.clock.now()).returning(receipts.c.id)).scalar_one())
        except IntegrityError as exc:  # the same package arriving twice at once
            raise Conflict(N_("the document {edxml_id} of {code} was already received"),
                           edxml_id=package.document_id, code=package.sender.code) from exc

    @staticmethod
    def _notation(package: Package) -> str:
        """The number and notation as the register writes it: ``45-CV/TU`` for a party notation (``CV/TU``),
        ``123/UBND-VP`` or ``30/2020/NĐ-CP`` otherwise."""
        notation = package.notation
        if "/" in notation and not re.match(r"\d{4}/", notation):
            return f"{package.number}-{notation}"
        return f"{package.number}/{notation}"

    def _case_data(self, package: Package, checked: list[tuple[Attachment, list[dict[str, Any]] | None]],
                   ) -> dict[str, Any]:
        local = self.clock.now().astimezone(ZoneInfo(self.timezone)).date()
        signed = [s for _, found in checked for s in (found or [])]
        verdict = (f"{sum(1 for s in signed if s.get('valid'))}/{len(signed)} chữ ký số hợp lệ" if signed
                   else "không có chữ ký số")
        kind = _type_value(package.type_name)
        data: dict[str, Any] = {
            "so_ky_hieu": self._notation(package)[:50],
            "ngay_ban_hanh": min(package.date, local).isoformat(),
            "ngay_den": local.isoformat(),
            "co_quan_ban_hanh": package.sender.name[:255],
            "loai_van_ban": kind,
            "trich_yeu": package.subject,
            "hinh_thuc_nhan": "dien_tu",
            "do_khan": URGENCY_OF_PRIORITY.get(package.priority, "thuong"),
            "do_mat": "thuong",
            "da_kiem_tra_xac_thuc": True,
            "ghi_chu_tiep_nhan": (f"Nhận qua trục liên thông từ {package.sender.name} ({package.sender.code}), "
                                  f"mã văn bản {package.document_id}; {verdict}."),
        }
        if package.pages:
            data["so_trang"] = package.pages
        return data

    def _file_document(self, conn: Connection, package: Package,
                       checked: list[tuple[Attachment, list[dict[str, Any]] | None]], instance_id: int, user: str,
                       now: datetime, envelope: EnvelopeCheck | None) -> int:
        values = {"notation": self._notation(package)[:100], "issuing_agency": package.sender.name[:300],
                  "doc_type": _type_value(package.type_name), "doc_date": package.date, "place": package.place[:100],
                  "summary": package.subject, "signer": package.signer_name[:200],
                  "signer_position": package.signer_position[:200], "handling_deadline": package.due_date,
                  "urgency": URGENCY_OF_PRIORITY.get(package.priority, "thuong"),
                  "extra": {"exchange": {"sender": package.sender.code, "document_id": package.document_id,
                                         "received_at": now.isoformat(),
                                         "envelope": {"signer": envelope.subject,
                                                      "fingerprint": envelope.fingerprint} if envelope else None}}}
        document_id = records.document_of_case(conn, instance_id, "incoming")
        if document_id is None:  # a procedure without a procflow:document action: the exchange registers it
            document_id = records.create(conn, "incoming", values, status="registered", user=user, now=now)
            records.link(conn, document_id, instance_id, "registered", now)
        else:
            records.change(conn, document_id, values, now)
        if records.files_of(conn, document_id):  # the procedure's document actions filed them: keep what the
            for attachment, signatures in checked:  # exchange verified where they did not verify
                if signatures is not None:
                    records.set_signatures(conn, document_id, hashlib.sha256(attachment.content).hexdigest(),
                                           signatures, now)
            return document_id
        for index, (attachment, signatures) in enumerate(checked):
            stored = self.store.put(attachment.content, attachment.name, _content_type(attachment))
            records.add_file(conn, document_id, "appendix" if index else "main", stored, instance_id=instance_id,
                             task_id=None, user=user, now=now, signatures=signatures)
        return document_id

    def _refusal(self, exc: ProcflowError, digest: str, size: int, user: str, sender: str | None,
                 edxml_id: str | None) -> None:
        status = (400 if isinstance(exc, MalformedPackage) else 403 if isinstance(exc, PermissionDenied)
                  else 409 if isinstance(exc, Conflict) else 422)
        try:
            with self.db.transaction() as conn:
                conn.execute(insert(refusals).values(at=self.clock.now(), sender_code=(sender or "")[:50] or None,
                                                     edxml_id=(edxml_id or "")[:100] or None, status=status,
                                                     reason=exc.render("en"), sha256=digest, size=size,
                                                     caller=user[:100]))
        except Exception:  # noqa: BLE001 - the refusal itself is what the caller must see
            log.exception("could not record a refused package")

    def _refused_status(self, package: Package, exc: ProcflowError) -> None:
        """Tell a sender in the directory that its package was refused (02), once per DocumentId."""
        now = self.clock.now()
        try:
            with self.db.transaction() as conn:
                if self.directory.known(conn, package.sender.code) is None:
                    return
                status = StatusPackage(
                    ResponseFor(package.sender.code, package.document_id, package.number_and_notation, package.date),
                    self.me(), "02", now, description=exc.render("vi")[:2000], staff="procflow")
                ids = [self._put_outbox(conn, f"status-refused:{package.sender.code}:{package.document_id}",
                                        "status", package.sender.code, package.document_id, "02",
                                        build_status(status, timezone=self.timezone), None, now)]
        except Exception:  # noqa: BLE001 - the refusal stands even if its status cannot be queued
            log.exception("could not queue the refusal status")
            return
        self._kick([i for i in ids if i])

    # -- statuses ---------------------------------------------------------------------------------
    def _status_received(self, status: StatusPackage, user: str) -> Receipt:
        me = self.me()
        with self.db.transaction() as conn:
            if self.directory.known(conn, status.sender.code) is None:
                raise PermissionDenied(N_("the sender {code} is not in the agency directory"), code=status.sender.code)
            if status.response_for.code != me.code:
                raise Refused(N_("the status answers a document of {code}, not of this agency"),
                              code=status.response_for.code)
            document_id = conn.execute(select(outbox.c.document_id).where(
                outbox.c.kind == "package", outbox.c.edxml_id == status.response_for.document_id,
                outbox.c.agency_code == status.sender.code)).scalar()
            if document_id is None:
                raise NotFound(N_("no document {edxml_id} was sent to {code}"),
                               edxml_id=status.response_for.document_id, code=status.sender.code)
            exists = conn.execute(select(statuses.c.id).where(
                statuses.c.agency_code == status.sender.code, statuses.c.edxml_id == status.response_for.document_id,
                statuses.c.status_code == status.status_code, statuses.c.at == status.at)).scalar()
            if exists is not None:  # the same status delivered again: already kept
                return Receipt(document_id=document_id, status_id=int(exists),
                               edxml_id=status.response_for.document_id)
            new = conn.execute(insert(statuses).values(
                agency_code=status.sender.code, edxml_id=status.response_for.document_id, document_id=document_id,
                status_code=status.status_code, description=status.description, staff=status.staff[:300],
                department=status.department[:300], at=status.at, received_at=self.clock.now(),
            ).returning(statuses.c.id)).scalar_one()
        return Receipt(document_id=document_id, status_id=int(new), edxml_id=status.response_for.document_id)

    def _queue_status(self, conn: Connection, receipt_id: int, code: str, description: str, staff: dict[str, str],
                      now: datetime) -> int | None:
        row = conn.execute(select(receipts).where(receipts.c.id == receipt_id)).one()
        status = StatusPackage(
            ResponseFor(row.sender_code, row.edxml_id, row.notation,
                        date.fromisoformat(row.doc_date) if row.doc_date else None),
            self.me(), code, now, description=description, department=staff.get("department", ""),
            staff=staff.get("staff", ""), email=staff.get("email", ""))
        return self._put_outbox(conn, f"status:{receipt_id}:{code}", "status", row.sender_code, row.edxml_id, code,
                                build_status(status, timezone=self.timezone), row.document_id, now)

    def _put_outbox(self, conn: Connection, key: str, kind: str, agency: str, edxml_id: str, code: str | None,
                    payload: bytes | None, document_id: int | None, now: datetime) -> int | None:
        """Add a delivery to the outbox once (None when ``key`` is already there)."""
        if conn.execute(select(outbox.c.id).where(outbox.c.key == key)).first() is not None:
            return None
        stored = self.store.put(payload, "package.xml", "application/xml") if payload is not None else None
        return int(conn.execute(insert(outbox).values(
            key=key, kind=kind, agency_code=agency, document_id=document_id, edxml_id=edxml_id, status_code=code,
            payload_path=stored.stored_path if stored else None, payload_sha256=stored.sha256 if stored else None,
            state="pending", attempts=0, next_attempt_at=now, created_at=now).returning(outbox.c.id)).scalar_one())

    # -- the runtime's hook: stages of received documents, outgoing documents issued --------------
    def task_completing(self, event: ElementEvent) -> dict[str, Any]:
        """Nothing to do before a task completes (the exchange acts once the step is saved)."""
        return event.data

    def element_completed(self, event: ElementEvent) -> None:
        """Nothing to do per element (see :meth:`step_saved`)."""

    def step_saved(self, event: StepSaved) -> None:
        """In the step's transaction: queue the statuses of a received document's stages, and the deliveries of an
        outgoing document just issued to agencies of the directory."""
        if not self.settings.agency_code:
            return
        stages = list({STAGES[e["element_id"]]: None for e in event.history
                       if e.get("kind") in ("task_completed", "element_completed") and e.get("element_id") in STAGES})
        if any(e.get("kind") == "instance_completed" for e in event.history):
            stages.append(DONE)
        conn, now = event.conn, self.clock.now()
        if stages:
            receipt = conn.execute(select(receipts.c.id).where(receipts.c.instance_id == event.instance_id)).scalar()
            if receipt is not None:
                staff = _staff(conn, event.actor or "")
                for code, description in stages:
                    self._queue_status(conn, int(receipt), code, description, staff, now)
        self._plan_deliveries(conn, event.instance_id, now)

    def _plan_deliveries(self, conn: Connection, instance_id: int, now: datetime) -> None:
        d, link = records.documents, records.links
        rows = conn.execute(select(d.c.id, d.c.recipients, d.c.extra).join(link, link.c.document_id == d.c.id)
                            .where(link.c.instance_id == instance_id, d.c.kind == "outgoing", d.c.status == "issued"))
        for row in rows:
            extra = dict(row.extra or {})
            if extra.get("exchange_planned"):
                continue
            for agency in self.directory.matching(conn, row.recipients or ""):
                self._put_outbox(conn, f"package:{row.id}:{agency.code}", "package", agency.code,
                                 self.edxml_id(row.id), None, None, row.id, now)
            records.change(conn, row.id, {"extra": {**extra, "exchange_planned": True}}, now)

    def edxml_id(self, document_id: int) -> str:
        """The DocumentId of our document ``document_id`` in packages (unique for this agency)."""
        return f"{self.settings.agency_code}.{document_id}"

    def send_document(self, document_id: int, agency_code: str) -> int:
        """Queue the delivery of an issued outgoing document to an agency (an operator's resend); return its id.

        Raises:
            NotFound: no such document or agency.
            InvalidState: the document is not an issued outgoing one.
        """
        self._require_configured()
        now = self.clock.now()
        with self.db.transaction() as conn:
            self._outgoing(conn, document_id)
            if self.directory.known(conn, agency_code) is None:
                raise NotFound(N_("no agency {code} in the directory"), code=agency_code)
            key = f"package:{document_id}:{agency_code}"
            new = self._put_outbox(conn, key, "package", agency_code, self.edxml_id(document_id), None, None,
                                   document_id, now)
            if new is None:  # already planned: send it again now if it failed
                conn.execute(update(outbox).where(outbox.c.key == key, outbox.c.state == "failed")
                             .values(state="pending", next_attempt_at=now, last_error=None))
                new = int(conn.execute(select(outbox.c.id).where(outbox.c.key == key)).scalar_one())
        self._kick([new])
        return new

    def send_file(self, content: bytes, agency_code: str) -> int:
        """Queue a package file for an agency as it is (``procflow exchange send``); return the delivery's id.

        Raises:
            MalformedPackage: the file is not a valid package.
            NotFound: the agency is not in the directory.
        """
        package = parse(content, max_bytes=self.settings.max_bytes, timezone=self.timezone)
        edxml_id = package.document_id if isinstance(package, Package) else package.response_for.document_id
        kind = "package" if isinstance(package, Package) else "status"
        now = self.clock.now()
        with self.db.transaction() as conn:
            if self.directory.known(conn, agency_code) is None:
                raise NotFound(N_("no agency {code} in the directory"), code=agency_code)
            digest = hashlib.sha256(content).hexdigest()
            new = self._put_outbox(conn, f"file:{digest}:{agency_code}", kind, agency_code, edxml_id,
                                   None if isinstance(package, Package) else package.status_code, content, None, now)
            if new is None:
                raise Conflict(N_("this package was already sent to {code}"), code=agency_code)
        return new

    def _outgoing(self, conn: Connection, document_id: int) -> Any:
        row = conn.execute(select(records.documents).where(records.documents.c.id == document_id)).first()
        if row is None:
            raise NotFound(N_("no document {document_id}"), document_id=document_id)
        if row.kind != "outgoing" or row.status != "issued":
            raise Refused(N_("only an issued outgoing document is sent to other agencies"))
        return row

    def package_of(self, conn: Connection, document_id: int, agency: Endpoint) -> Package:
        """The package of our issued document ``document_id`` for ``agency``."""
        doc = self._outgoing(conn, document_id)
        number, notation = _split_notation(doc.notation or "", doc.number)
        local_issue = (doc.issued_at or self.clock.now()).astimezone(ZoneInfo(self.timezone))
        files = records.files_of(conn, document_id)
        main = records.current_main(conn, document_id)
        chosen = ([main] if main is not None else []) + [f for f in files if f.role == "appendix"]
        attachments = [Attachment(f.filename, f.content_type, self.store.read(f.stored_path),
                                  description="Văn bản" if f.role == "main" else "Phụ lục") for f in chosen]
        places = [p.strip() for p in re.split(r"[;\n]+", doc.recipients or "") if p.strip()]
        return Package(
            sender=self.me(), recipients=[Organ(agency.code, agency.name)], document_id=self.edxml_id(document_id),
            number=number, notation=notation, date=doc.doc_date or local_issue.date(), place=doc.place or "",
            type_name=DOCUMENT_TYPES.get(doc.doc_type or "", doc.doc_type or "Công văn"), subject=doc.summary or "",
            signer_name=doc.signer or "", signer_position=doc.signer_position or "", due_date=doc.handling_deadline,
            to_places=places[:200], priority=PRIORITY_OF_URGENCY.get(doc.urgency or "", 0), pages=doc.pages,
            appendixes=[a.name for a in attachments[1:]], steering_type=0,
            traces=[Trace(self.settings.agency_code, self.clock.now())], attachments=attachments)

    def signed_package(self, conn: Connection, document_id: int, agency: Endpoint) -> bytes:
        """The package of our issued document ``document_id`` for ``agency`` as sent: edXML bytes whose envelope
        is signed with the agency key.

        Raises:
            InvalidState: the agency key is not configured or cannot be opened.
        """
        payload = build_package(self.package_of(conn, document_id, agency), timezone=self.timezone)
        return self.seal.sign(payload) if self.seal is not None else payload

    def agency_certificate(self) -> Any:
        """The certificate this agency signs its packages' envelopes with (asn1crypto), whose fingerprint the
        other agencies pin in their directories.

        Raises:
            InvalidState: the agency key is not configured or cannot be opened.
        """
        if self.seal is None:
            raise InvalidState(N_("packages are not signed here"))
        return self.seal.certificate()

    # -- delivering -------------------------------------------------------------------------------
    def deliver(self, delivery_id: int) -> str:
        """Try one delivery of the outbox now; return its state afterwards (``delivered``, ``pending`` with the
        next attempt planned, ``failed``), or ``skipped`` when it is not due or another worker has it."""
        now = self.clock.now()
        with self.db.transaction() as conn:
            claimed = conn.execute(update(outbox).where(
                outbox.c.id == delivery_id, outbox.c.state == "pending",
                or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
            ).values(state="sending", claimed_at=now, attempts=outbox.c.attempts + 1)).rowcount
        if not claimed:
            return "skipped"
        with self.db.connect() as conn:
            row = conn.execute(select(outbox).where(outbox.c.id == delivery_id)).one()
            endpoint = self.directory.endpoint(conn, row.agency_code)
        if endpoint is None:
            return self._settle(row, "failed", error=f"the agency {row.agency_code} is not (or no longer) in the "
                                                     "directory")
        try:
            payload = self._payload(row, endpoint)
        except ProcflowError as exc:
            return self._settle(row, "failed", error=exc.render("en"))
        try:
            code, body = self.transport.post(f"{endpoint.url}/edxml", payload, endpoint.token, self.settings.timeout)
        except OSError as exc:
            return self._retry(row, f"unreachable: {exc}"[:2000])
        if code in (200, 201, 202):
            return self._settle(row, "delivered", response=body)
        if code == 409 and row.kind == "package":  # the receiver has it already: an earlier answer was lost
            return self._settle(row, "delivered", response={**body, "duplicate": True})
        if code == 409:
            return self._settle(row, "delivered", response=body)
        if code in (400, 403, 404, 413, 422):
            return self._settle(row, "failed", error=f"{code}: {body.get('detail', '')}"[:2000], response=body)
        return self._retry(row, f"{code}: {body.get('detail', '')}"[:2000])

    def _payload(self, row: Any, endpoint: Endpoint) -> bytes:
        if row.payload_path:
            return self.store.read(row.payload_path)
        with self.db.transaction() as conn:  # built once, then the same bytes at every attempt
            payload = self.signed_package(conn, row.document_id, endpoint)
            stored = self.store.put(payload, "package.xml", "application/xml")
            conn.execute(update(outbox).where(outbox.c.id == row.id)
                         .values(payload_path=stored.stored_path, payload_sha256=stored.sha256))
        return payload

    def _retry(self, row: Any, error: str) -> str:
        attempts = int(row.attempts)
        if attempts >= self.settings.max_attempts:
            return self._settle(row, "failed", error=error)
        pause = min(self.settings.retry_seconds * 2 ** (attempts - 1), self.settings.retry_max_seconds)
        at = self.clock.now() + timedelta(seconds=pause)
        with self.db.transaction() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row.id).values(
                state="pending", next_attempt_at=at, claimed_at=None, last_error=error))
        log.info("delivery %s to %s failed (attempt %d), next at %s: %s", row.id, row.agency_code, attempts,
                 at.isoformat(), error)
        return "pending"

    def _settle(self, row: Any, state: str, *, error: str | None = None, response: dict[str, Any] | None = None,
                ) -> str:
        now = self.clock.now()
        with self.db.transaction() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row.id).values(
                state=state, claimed_at=None, next_attempt_at=None, last_error=error, response=response,
                delivered_at=now if state == "delivered" else None))
        return state

    def next_attempt(self, delivery_id: int) -> datetime | None:
        """When a pending delivery is tried next (None: not pending)."""
        with self.db.connect() as conn:
            row = conn.execute(select(outbox.c.state, outbox.c.next_attempt_at)
                               .where(outbox.c.id == delivery_id)).first()
        return row.next_attempt_at if row is not None and row.state == "pending" else None

    def due(self) -> list[int]:
        """Deliveries to try now: pending and due, and those a dead worker left ``sending`` (the workers' sweep)."""
        now = self.clock.now()
        with self.db.transaction() as conn:
            conn.execute(update(outbox).where(outbox.c.state == "sending", outbox.c.claimed_at < now - STALE_CLAIM)
                         .values(state="pending", claimed_at=None, next_attempt_at=now))
            return [int(i) for i in conn.execute(select(outbox.c.id).where(
                outbox.c.state == "pending",
                or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)).order_by(outbox.c.id))
                .scalars()]

    def deliver_due(self) -> dict[str, int]:
        """Try every due delivery here and now (the command line, without workers); count the states after."""
        counts: dict[str, int] = {}
        for delivery_id in self.due():
            state = self.deliver(delivery_id)
            counts[state] = counts.get(state, 0) + 1
        return counts

    def _kick(self, ids: list[int | None]) -> None:
        ready = [i for i in ids if i]
        if ready and self.kick is not None:
            try:
                self.kick(ready, None)
            except Exception:  # noqa: BLE001 - the workers' sweep delivers them anyway
                log.warning("could not queue deliveries %s; the workers' sweep will", ready)

    # -- reading ----------------------------------------------------------------------------------
    def deliveries_of(self, document_id: int) -> list[DeliveryView]:
        """The deliveries of a document (packages to recipients; statuses to the sender of a received one)."""
        with self.db.connect() as conn:
            names = {a.code: a.name for a in self.directory.entries()}
            rows = conn.execute(select(outbox).where(outbox.c.document_id == document_id).order_by(outbox.c.id))
            return [DeliveryView(r.id, r.kind, r.agency_code, names.get(r.agency_code, r.agency_code), r.status_code,
                                 r.state, r.attempts, r.next_attempt_at, r.last_error, r.delivered_at, r.created_at)
                    for r in rows]

    def statuses_of(self, document_id: int) -> list[StatusView]:
        """The statuses other agencies reported on our document, oldest first."""
        with self.db.connect() as conn:
            names = {a.code: a.name for a in self.directory.entries()}
            rows = conn.execute(select(statuses).where(statuses.c.document_id == document_id)
                                .order_by(statuses.c.at, statuses.c.id))
            return [StatusView(r.agency_code, names.get(r.agency_code, r.agency_code), r.status_code,
                               STATUS_NAMES.get(r.status_code, r.status_code), r.description, r.staff, r.department,
                               r.at) for r in rows]

    def summary(self, document_ids: list[int]) -> dict[int, list[tuple[str, str, str | None]]]:
        """Per document, each recipient agency's delivery state and the latest status it reported (the outgoing
        register's column): ``{document id: [(agency code, state, status code or None)]}``."""
        if not document_ids:
            return {}
        out: dict[int, list[tuple[str, str, str | None]]] = {}
        with self.db.connect() as conn:
            latest: dict[tuple[int, str], str] = {}
            for r in conn.execute(select(statuses.c.document_id, statuses.c.agency_code, statuses.c.status_code)
                                  .where(statuses.c.document_id.in_(document_ids))
                                  .order_by(statuses.c.at, statuses.c.id)):
                latest[(r.document_id, r.agency_code)] = r.status_code
            for r in conn.execute(select(outbox.c.document_id, outbox.c.agency_code, outbox.c.state)
                                  .where(outbox.c.document_id.in_(document_ids), outbox.c.kind == "package")
                                  .order_by(outbox.c.id)):
                out.setdefault(r.document_id, []).append((r.agency_code, r.state,
                                                          latest.get((r.document_id, r.agency_code))))
        return out

    def receipt_of(self, document_id: int) -> dict[str, Any] | None:
        """Where a received document came from (sender, DocumentId, when), if it came through the exchange."""
        with self.db.connect() as conn:
            row = conn.execute(select(receipts).where(receipts.c.document_id == document_id)).first()
        return dict(row._mapping) if row is not None else None

    def refusals(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest refused packages."""
        with self.db.connect() as conn:
            rows = conn.execute(select(refusals).order_by(refusals.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]


def _envelope_refused(found: EnvelopeCheck) -> Refused:
    """Why an envelope's signature does not hold, as the sender is told (status 02) and the refusal kept."""
    problem = found.problems[0]
    if problem == "not_intact":
        return Refused(N_("the package's signature does not match its content: the package was changed after "
                          "signing ({detail})"), detail=found.detail)
    if problem == "bad_signature":
        return Refused(N_("the package's signature value does not verify with its certificate: the package was "
                          "changed after signing or signed with another key ({detail})"), detail=found.detail)
    if problem == "malformed":
        return Refused(N_("the package's signature is not in the accepted form: {detail}"), detail=found.detail)
    from engine.signing.verify import PROBLEMS

    return Refused(N_("the certificate that signed the package ({subject}) is not accepted ({problem}): {reason}"),
                   subject=found.subject, problem=problem, reason=PROBLEMS.get(problem, problem))


def _staff(conn: Connection, username: str) -> dict[str, str]:
    row = conn.execute(select(_users.c.full_name, _users.c.email, _units.c.name.label("unit"))
                       .select_from(_users.outerjoin(_units, _units.c.code == _users.c.unit_code))
                       .where(_users.c.username == username)).first()
    if row is None:
        return {"staff": username}
    return {"staff": row.full_name or username, "department": row.unit or "", "email": row.email or ""}


def _type_value(name: str) -> str:
    wanted = " ".join(name.lower().split())
    for value, label in DOCUMENT_TYPES.items():
        if label.lower() == wanted or value == wanted:
            return value
    return "cong_van"


def _split_notation(notation: str, number: int | None) -> tuple[str, str]:
    """``01-BC/TU`` -> (``01``, ``BC/TU``); ``123/UBND-VP`` -> (``123``, ``UBND-VP``)."""
    found = re.match(r"\s*(\d{1,6})\s*[-/]\s*(.+)$", notation)
    if found:
        return found.group(1), found.group(2).strip()
    return str(number or 0), notation.strip() or "-"


def _content_type(attachment: Attachment) -> str:
    """PDF by its content, else the type the package declares."""
    return PDF if attachment.content.lstrip()[:5] == b"%PDF-" else attachment.content_type[:120]

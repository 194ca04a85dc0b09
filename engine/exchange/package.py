"""edXML packages (QCVN 102:2016/BTTTT): the document package and the status package, built and parsed.

Parsing never trusts the package: it goes through engine/inputs/safe_xml (no entities, no DTD, no network),
refuses a package over the size limit before reading it, validates it against procflow's XSD of the standard
(``edxml.xsd`` beside this file) and checks what an XSD cannot say (the manifest names each attachment, the
attachments decode). Every refusal is a :class:`MalformedPackage` naming the element and the line.

Attachments travel base64-encoded, either the file itself or a ZIP archive holding it (as the national exchange
axis sends them); both are read, with the archive's size checked before anything is unpacked.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from engine.errors import InvalidInput, InvalidModel
from engine.i18n import N_
from engine.inputs.safe_xml import parse_xml

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
_Q = f"{{{NS}}}"
XSD = Path(__file__).with_name("edxml.xsd")
DEFAULT_MAX_BYTES = 60 * 1024 * 1024
DATE = "%Y/%m/%d"
TIMESTAMP = "%Y/%m/%d %H:%M:%S"
Day = date  # the type, where a field is named ``date``
STATUS_CODES = {"01": "arrived", "02": "refused", "03": "accepted", "04": "assigned", "05": "in_progress",
                "06": "done"}
# Office formats are ZIP archives themselves: such an attachment is the file, not an archive holding it.
_ARCHIVE_FORMATS = ("[Content_Types].xml", "mimetype")


class MalformedPackage(InvalidInput):
    """A package that is not well-formed, not valid against the XSD, or inconsistent.

    Attributes:
        element: the element at fault (``edXML:CodeNumber``), or "" when the XML cannot be read at all.
        line: its line in the package (0 when unknown).
    """

    def __init__(self, element: str, line: int, problem: str) -> None:
        super().__init__(N_("the edXML package is not valid: {element}, line {line}: {problem}"),
                         {element or "edXML": [f"line {line}: {problem}"]}, element=element or "edXML", line=line,
                         problem=problem)
        self.element = element
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class Organ:
    """An agency as a package names it (From, To)."""

    code: str
    name: str
    in_charge: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file of the package; ``zipped``: sent as a ZIP archive holding the file (as the national axis does)."""

    name: str
    content_type: str
    content: bytes
    description: str = ""
    zipped: bool = False


@dataclass(frozen=True)
class Trace:
    """An agency the package passed through, and when."""

    code: str
    at: datetime


@dataclass(frozen=True)
class ResponseFor:
    """The document a reply (or a status) answers."""

    code: str  # the agency that sent the document (OrganId)
    document_id: str
    notation: str = ""
    date: date | None = None


@dataclass
class Package:
    """A document package: the MessageHeader's facts, the trace and the files."""

    sender: Organ
    recipients: list[Organ]
    document_id: str
    number: str
    notation: str
    date: date
    type_name: str
    subject: str
    signer_name: str
    place: str = ""
    type_code: int = 1
    type_detail: int | None = None
    content: str = ""
    signer_competence: str = ""
    signer_position: str = ""
    due_date: Day | None = None
    to_places: list[str] = field(default_factory=list)
    priority: int = 0
    sphere: str = ""
    typer_notation: str = ""
    amount: int | None = None
    pages: int | None = None
    security_level: int = 0
    appendixes: list[str] = field(default_factory=list)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int | None = None
    business_type: int = 0
    business_reason: str = ""
    paper: int = 0
    traces: list[Trace] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def number_and_notation(self) -> str:
        """``123/UBND-VP``: the number and notation as written on the document."""
        return f"{self.number}/{self.notation}" if self.notation else self.number


@dataclass(frozen=True)
class StatusPackage:
    """A status of a received document, sent back to its sender."""

    response_for: ResponseFor
    sender: Organ  # the agency reporting (the document's receiver)
    status_code: str
    at: datetime
    description: str = ""
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


# -- building -------------------------------------------------------------------------------------
def _e(parent: Any, name: str, text: Any = None) -> Any:
    child = etree.SubElement(parent, _Q + name)
    if text is not None:
        child.text = str(text)
    return child


def _opt(parent: Any, name: str, text: Any) -> None:
    if text not in (None, ""):
        _e(parent, name, text)


def _organ(parent: Any, name: str, organ: Organ) -> None:
    node = _e(parent, name)
    _e(node, "OrganId", organ.code)
    _opt(node, "OrganizationInCharge", organ.in_charge)
    _e(node, "OrganName", organ.name)
    for tag, value in (("OrganAdd", organ.address), ("Email", organ.email), ("Telephone", organ.phone),
                       ("Fax", organ.fax), ("Website", organ.website)):
        _opt(node, tag, value)


def _response_for(parent: Any, response: ResponseFor) -> None:
    node = _e(parent, "ResponseFor")
    _e(node, "OrganId", response.code)
    _opt(node, "Code", response.notation)
    _opt(node, "PromulgationDate", response.date.strftime(DATE) if response.date else None)
    _e(node, "DocumentId", response.document_id)


def _local(at: datetime, timezone: str) -> str:
    return at.astimezone(ZoneInfo(timezone)).strftime(TIMESTAMP)


def _serialize(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def build_package(package: Package, *, timezone: str = "Asia/Ho_Chi_Minh") -> bytes:
    """The package as edXML bytes (valid against the XSD)."""
    root = etree.Element(_Q + "edXML", nsmap={"edXML": NS})
    envelope = _e(root, "edXMLEnvelope")
    header = _e(envelope, "edXMLHeader")
    message = _e(header, "MessageHeader")
    _organ(message, "From", package.sender)
    for organ in package.recipients:
        _organ(message, "To", organ)
    _e(message, "DocumentId", package.document_id)
    code = _e(message, "Code")
    _e(code, "CodeNumber", package.number)
    _e(code, "CodeNotation", package.notation)
    info = _e(message, "PromulgationInfo")
    _opt(info, "Place", package.place)
    _e(info, "PromulgationDate", package.date.strftime(DATE))
    kind = _e(message, "DocumentType")
    _e(kind, "Type", package.type_code)
    _opt(kind, "TypeDetail", package.type_detail)
    _e(kind, "TypeName", package.type_name)
    _e(message, "Subject", package.subject)
    _opt(message, "Content", package.content)
    signer = _e(message, "SignerInfo")
    _opt(signer, "Competence", package.signer_competence)
    _opt(signer, "Position", package.signer_position)
    _e(signer, "FullName", package.signer_name)
    _opt(message, "DueDate", package.due_date.strftime(DATE) if package.due_date else None)
    if package.to_places:
        places = _e(message, "ToPlaces")
        for place in package.to_places:
            _e(places, "Place", place)
    other = _e(message, "OtherInfo")
    _e(other, "Priority", package.priority)
    _opt(other, "SphereOfPromulgation", package.sphere)
    _opt(other, "TyperNotation", package.typer_notation)
    _opt(other, "PromulgationAmount", package.amount)
    _opt(other, "PageAmount", package.pages)
    _e(other, "SecurityLevel", package.security_level)
    if package.appendixes:
        appendixes = _e(other, "Appendixes")
        for name in package.appendixes:
            _e(appendixes, "Appendix", name)
    for response in package.response_for:
        _response_for(message, response)
    _opt(message, "SteeringType", package.steering_type)
    traces = _e(header, "TraceHeaderList")
    business = _e(traces, "Bussiness")
    _e(business, "BussinessDocType", package.business_type)
    _opt(business, "BussinessDocReason", package.business_reason)
    _e(business, "Paper", package.paper)
    for trace in package.traces:
        node = _e(traces, "TraceHeader")
        _e(node, "OrganId", trace.code)
        _e(node, "Timestamp", _local(trace.at, timezone))
    body = _e(envelope, "edXMLBody")
    manifest = _e(body, "edXMLManifest")
    manifest.set("version", "1.0")
    encoded = _e(root, "AttachmentEncoded")
    for index, attachment in enumerate(package.attachments, start=1):
        cid = f"cid:{index}"
        reference = _e(manifest, "Reference")
        _e(reference, "ContentId", cid)
        _e(reference, "ContentType", attachment.content_type)
        _e(reference, "AttachmentName", attachment.name)
        _opt(reference, "Description", attachment.description)
        node = _e(encoded, "Attachment")
        _e(node, "ContentId", cid)
        _e(node, "AttachmentName", attachment.name)
        _e(node, "ContentType", attachment.content_type)
        content = _zip_of(attachment) if attachment.zipped else attachment.content
        _e(node, "ContentTransferEncoded", base64.encodebytes(content).decode("ascii"))
    return _serialize(root)


def _zip_of(attachment: Attachment) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(attachment.name, attachment.content)
    return out.getvalue()


def build_status(status: StatusPackage, *, timezone: str = "Asia/Ho_Chi_Minh") -> bytes:
    """A status package as edXML bytes."""
    root = etree.Element(_Q + "edXML", nsmap={"edXML": NS})
    header = _e(_e(root, "edXMLEnvelope"), "edXMLHeader")
    node = _e(header, "Status")
    _response_for(node, status.response_for)
    _organ(node, "From", status.sender)
    _e(node, "StatusCode", status.status_code)
    _opt(node, "Description", status.description[:2000])
    _e(node, "Timestamp", _local(status.at, timezone))
    if any((status.department, status.staff, status.mobile, status.email)):
        staff = _e(node, "StaffInfo")
        for tag, value in (("Department", status.department), ("Staff", status.staff), ("Mobile", status.mobile),
                           ("Email", status.email)):
            _opt(staff, tag, value)
    return _serialize(root)


# -- parsing --------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _schema() -> Any:
    return etree.XMLSchema(parse_xml(XSD.read_bytes(), name=XSD.name))


_CLARK = re.compile(r"\{" + re.escape(NS) + r"\}")
_ELEMENT = re.compile(r"Element '([^']+)'")


def parse(content: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
          timezone: str = "Asia/Ho_Chi_Minh") -> Package | StatusPackage:
    """Read a package (a document or a status).

    Raises:
        MalformedPackage: too large, not XML, declares entities, not valid against the XSD, a manifest that does
            not match the attachments, an attachment that cannot be decoded or unpacked.
    """
    if len(content) > max_bytes:
        raise MalformedPackage("edXML", 0, f"the package is larger than {max_bytes // (1024 * 1024)} MB")
    try:
        root = parse_xml(content, name="edXML")
    except InvalidModel as exc:
        problem = exc.problems[0]
        raise MalformedPackage("DOCTYPE", problem.line or 0, "entities are not accepted") from exc
    except etree.XMLSyntaxError as exc:
        raise MalformedPackage("", exc.lineno or 0, str(exc.msg)) from exc
    schema = _schema()
    etree.clear_error_log()  # this validation's errors only (lxml's log is per thread)
    if not schema.validate(root):
        entry = schema.error_log[0]
        message = _CLARK.sub("edXML:", entry.message)
        found = _ELEMENT.search(message)
        raise MalformedPackage(found.group(1) if found else _name(root), entry.line, message)
    header = root.find(f"{_Q}edXMLEnvelope/{_Q}edXMLHeader")
    status = header.find(_Q + "Status")
    if status is not None:
        return _status(status, timezone)
    return _package(root, header, max_bytes, timezone)


def _name(node: Any) -> str:
    return "edXML:" + etree.QName(node).localname


def _text(node: Any, path: str, default: str = "") -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None else default


def _path(*names: str) -> str:
    return "/".join(_Q + n for n in names)


def _date(node: Any, path: str) -> date | None:
    text = _text(node, path)
    if not text:
        return None
    try:
        return datetime.strptime(text, DATE).date()
    except ValueError as exc:  # the XSD's pattern lets 2026/02/31 through
        found = node.find(path)
        raise MalformedPackage(_name(found), found.sourceline or 0, f"'{text}' is not a date") from exc


def _timestamp(node: Any, path: str, timezone: str) -> datetime:
    text = _text(node, path)
    try:
        return datetime.strptime(text, TIMESTAMP).replace(tzinfo=ZoneInfo(timezone))
    except ValueError as exc:
        found = node.find(path)
        raise MalformedPackage(_name(found), found.sourceline or 0, f"'{text}' is not a time") from exc


def _int(node: Any, path: str) -> int | None:
    text = _text(node, path)
    return int(text) if text else None


def _read_organ(node: Any) -> Organ:
    return Organ(code=_text(node, _Q + "OrganId"), name=_text(node, _Q + "OrganName"),
                 in_charge=_text(node, _Q + "OrganizationInCharge"), address=_text(node, _Q + "OrganAdd"),
                 email=_text(node, _Q + "Email"), phone=_text(node, _Q + "Telephone"), fax=_text(node, _Q + "Fax"),
                 website=_text(node, _Q + "Website"))


def _read_response(node: Any) -> ResponseFor:
    return ResponseFor(code=_text(node, _Q + "OrganId"), document_id=_text(node, _Q + "DocumentId"),
                       notation=_text(node, _Q + "Code"), date=_date(node, _Q + "PromulgationDate"))


def _status(node: Any, timezone: str) -> StatusPackage:
    staff = node.find(_Q + "StaffInfo")
    return StatusPackage(
        response_for=_read_response(node.find(_Q + "ResponseFor")), sender=_read_organ(node.find(_Q + "From")),
        status_code=_text(node, _Q + "StatusCode"), at=_timestamp(node, _Q + "Timestamp", timezone),
        description=_text(node, _Q + "Description"), department=_text(staff, _Q + "Department"),
        staff=_text(staff, _Q + "Staff"), mobile=_text(staff, _Q + "Mobile"), email=_text(staff, _Q + "Email"))


def _package(root: Any, header: Any, max_bytes: int, timezone: str) -> Package:
    message = header.find(_Q + "MessageHeader")
    body = root.find(_path("edXMLEnvelope", "edXMLBody"))
    if body is None:
        raise MalformedPackage("edXML:edXMLEnvelope", root[0].sourceline or 0,
                               "a document package needs an edXMLBody with its manifest")
    other = message.find(_Q + "OtherInfo")
    business = header.find(_path("TraceHeaderList", "Bussiness"))
    promulgation = _date(message, _path("PromulgationInfo", "PromulgationDate"))
    assert promulgation is not None  # required by the XSD
    return Package(
        sender=_read_organ(message.find(_Q + "From")),
        recipients=[_read_organ(n) for n in message.findall(_Q + "To")],
        document_id=_text(message, _Q + "DocumentId"),
        number=_text(message, _path("Code", "CodeNumber")),
        notation=_text(message, _path("Code", "CodeNotation")),
        place=_text(message, _path("PromulgationInfo", "Place")),
        date=promulgation,
        type_code=_int(message, _path("DocumentType", "Type")) or 0,
        type_detail=_int(message, _path("DocumentType", "TypeDetail")),
        type_name=_text(message, _path("DocumentType", "TypeName")),
        subject=_text(message, _Q + "Subject"),
        content=_text(message, _Q + "Content"),
        signer_competence=_text(message, _path("SignerInfo", "Competence")),
        signer_position=_text(message, _path("SignerInfo", "Position")),
        signer_name=_text(message, _path("SignerInfo", "FullName")),
        due_date=_date(message, _Q + "DueDate"),
        to_places=[(p.text or "").strip() for p in message.findall(_path("ToPlaces", "Place"))],
        priority=_int(other, _Q + "Priority") or 0 if other is not None else 0,
        sphere=_text(other, _Q + "SphereOfPromulgation"),
        typer_notation=_text(other, _Q + "TyperNotation"),
        amount=_int(other, _Q + "PromulgationAmount") if other is not None else None,
        pages=_int(other, _Q + "PageAmount") if other is not None else None,
        security_level=(_int(other, _Q + "SecurityLevel") or 0) if other is not None else 0,
        appendixes=[(a.text or "").strip() for a in (other.findall(_path("Appendixes", "Appendix"))
                                                     if other is not None else [])],
        response_for=[_read_response(n) for n in message.findall(_Q + "ResponseFor")],
        steering_type=_int(message, _Q + "SteeringType"),
        business_type=_int(business, _Q + "BussinessDocType") or 0 if business is not None else 0,
        business_reason=_text(business, _Q + "BussinessDocReason"),
        paper=(_int(business, _Q + "Paper") or 0) if business is not None else 0,
        traces=[Trace(_text(t, _Q + "OrganId"), _timestamp(t, _Q + "Timestamp", timezone))
                for t in header.findall(_path("TraceHeaderList", "TraceHeader"))],
        attachments=_attachments(root, body, max_bytes),
    )


def _attachments(root: Any, body: Any, max_bytes: int) -> list[Attachment]:
    references = {_text(r, _Q + "ContentId"): r for r in body.findall(_path("edXMLManifest", "Reference"))}
    found: list[Attachment] = []
    seen: set[str] = set()
    for node in root.findall(_path("AttachmentEncoded", "Attachment")):
        cid = _text(node, _Q + "ContentId")
        where = node.find(_Q + "ContentId")
        if cid not in references:
            raise MalformedPackage("edXML:ContentId", where.sourceline or 0,
                                   f"the attachment {cid} is not in the edXMLManifest")
        if cid in seen:
            raise MalformedPackage("edXML:ContentId", where.sourceline or 0, f"the attachment {cid} is given twice")
        seen.add(cid)
        name = _text(node, _Q + "AttachmentName")
        encoded = node.find(_Q + "ContentTransferEncoded")
        try:
            raw = base64.b64decode(re.sub(r"\s+", "", encoded.text or ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedPackage("edXML:ContentTransferEncoded", encoded.sourceline or 0,
                                   "the attachment is not base64") from exc
        content, zipped = _unpacked(raw, name, max_bytes, encoded.sourceline or 0)
        found.append(Attachment(name=_basename(name), content_type=_text(node, _Q + "ContentType"), content=content,
                                description=_text(references[cid], _Q + "Description"), zipped=zipped))
    missing = [cid for cid in references if cid not in seen]
    if missing:
        reference = references[missing[0]]
        raise MalformedPackage("edXML:Reference", reference.sourceline or 0,
                               f"the manifest names {missing[0]}, which is not among the attachments")
    return found


def _basename(name: str) -> str:
    return re.split(r"[\\/]", name)[-1][:255] or "tep-dinh-kem"


def _unpacked(raw: bytes, name: str, max_bytes: int, line: int) -> tuple[bytes, bool]:
    """The attachment's file: ``raw`` itself, or the file a ZIP archive holds (True when it was unpacked)."""
    if not raw.startswith(b"PK\x03\x04") or name.lower().endswith(".zip"):
        return raw, False
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except zipfile.BadZipFile as exc:
        raise MalformedPackage("edXML:ContentTransferEncoded", line, "the attachment is a broken ZIP archive") from exc
    names = {i.filename for i in entries}
    if any(marker in names for marker in _ARCHIVE_FORMATS):
        return raw, False  # a DOCX, XLSX or ODT file: itself a ZIP archive
    wanted = [i for i in entries if _basename(i.filename) == _basename(name)] or (entries if len(entries) == 1 else [])
    if not wanted:
        raise MalformedPackage("edXML:ContentTransferEncoded", line,
                               f"the ZIP archive does not hold '{name}' (it holds {len(entries)} files)")
    entry = wanted[0]
    if entry.file_size > max_bytes:
        raise MalformedPackage("edXML:ContentTransferEncoded", line,
                               f"'{name}' unpacks to more than {max_bytes // (1024 * 1024)} MB")
    try:
        with archive.open(entry) as member:
            content = member.read(max_bytes + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError) as exc:  # a CRC error, an encrypted entry
        raise MalformedPackage("edXML:ContentTransferEncoded", line, f"'{name}' cannot be unpacked: {exc}") from exc
    if len(content) > max_bytes:
        raise MalformedPackage("edXML:ContentTransferEncoded", line,
                               f"'{name}' unpacks to more than {max_bytes // (1024 * 1024)} MB")
    return content, True

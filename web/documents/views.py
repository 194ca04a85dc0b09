"""Documents and registers: every read goes through engine.documents.service.DocumentService, which shows a
document only to those who may see a case handling it (the same 404 for a missing document and one not theirs)."""

from __future__ import annotations

import io
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from marshmallow import Schema, fields, validate

from engine.audit.access import DOCUMENT_DOWNLOADED, DOCUMENT_VIEWED
from engine.documents.labels import DOC_TYPES, URGENCY
from web.extensions import services, user
from web.params import load_or_default

bp = Blueprint("documents", __name__, url_prefix="/documents")

KINDS = {"incoming": _l("Incoming register"), "outgoing": _l("Outgoing register")}
STATUS_LABELS = {"registered": _l("Registered"), "draft": _l("Being drafted"), "signed": _l("Signed"),
                 "issued": _l("Issued")}
ROLE_LABELS = {"main": _l("Main file"), "appendix": _l("Appendix"), "draft": _l("Draft"),
               "attachment": _l("Related file")}
DELIVERY_LABELS = {"pending": _l("Waiting to be sent"), "sending": _l("Being sent"), "delivered": _l("Delivered"),
                   "failed": _l("Failed")}
SIGNER_ROLES = {"competent_person": _l("competent person"), "agency": _l("agency"), "appendix": _l("appendix")}
REMARK_LABELS = {"y_kien_chi_dao": _l("Direction"), "y_kien_phan_cong": _l("Assignment"),
                 "y_kien_truong_phong": _l("Head of unit's opinion"), "y_kien_lanh_dao": _l("Signer's opinion"),
                 "y_kien_lanh_dao_ket_qua": _l("Leader's opinion on the result"),
                 "y_kien_kiem_tra": _l("Form and legality check"), "ket_qua_xu_ly": _l("Handling result"),
                 "comment": _l("Comment")}
ACCESS_LABELS = {DOCUMENT_VIEWED: _l("viewed the document"), DOCUMENT_DOWNLOADED: _l("downloaded a file")}
EXPORTS = {"pdf": ("application/pdf", "register_pdf"),
           "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "register_xlsx")}


def _printing() -> Any:
    """engine/documents/printing, loaded on the first printout or export (fpdf2 and openpyxl are large)."""
    from engine.documents import printing

    return printing


class RegisterSchema(Schema):
    """A register's filter: its year (default: the current one), words to look for, a status."""

    year = fields.Integer(load_default=None, validate=validate.Range(min=1990, max=2200))
    q = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(list(STATUS_LABELS)))


@bp.get("/<id:document_id>")
@login_required
def show(document_id: int) -> ResponseReturnValue:
    """A document's page."""
    page = services().documents.page(document_id, user().username)
    exchange = {"deliveries": services().exchange.deliveries_of(document_id),
                "statuses": services().exchange.statuses_of(document_id),
                "receipt": services().exchange.receipt_of(document_id)}
    return render_template("documents/show.html", page=page, doc=page.document, status_labels=STATUS_LABELS,
                           exchange=exchange, delivery_labels=DELIVERY_LABELS,
                           role_labels=ROLE_LABELS, signer_roles=SIGNER_ROLES, remark_labels=REMARK_LABELS,
                           doc_types=DOC_TYPES, urgency=URGENCY,
                           access_labels=ACCESS_LABELS, names=services().catalogue.names())


@bp.get("/<id:document_id>/files/<id:file_id>")
@login_required
def download(document_id: int, file_id: int) -> ResponseReturnValue:
    """A file of the document, always as a download (the page shows PDFs with pdf.js, never inline)."""
    row, content = services().documents.open_file(document_id, file_id, user().username)
    return send_file(io.BytesIO(content), mimetype=row.content_type, as_attachment=True, download_name=row.filename,
                     max_age=0)


@bp.get("/<id:document_id>/<any(slip, summary):which>.pdf")
@login_required
def printable(document_id: int, which: str) -> ResponseReturnValue:
    """The processing slip (incoming documents) or the handling summary, as a printable PDF."""
    page = services().documents.page(document_id, user().username)
    agency = services().settings.signing.agency_name
    if which == "slip":
        content, name = _printing().processing_slip_pdf(page, agency=agency), f"phieu-giai-quyet-{document_id}.pdf"
    else:
        content, name = _printing().case_summary_pdf(page, agency=agency), f"tom-tat-{document_id}.pdf"
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True, download_name=name,
                     max_age=0)


@bp.get("/registers/<any(incoming, outgoing):kind>")
@login_required
def register(kind: str) -> ResponseReturnValue:
    """A register: its documents of a year, filtered, with export buttons."""
    wanted = _filter()
    rows = services().documents.register(kind, year=wanted["year"], user=user().username, search=wanted["q"],
                                         status=wanted["status"])
    exchange = services().exchange.summary([r.id for r in rows]) if kind == "outgoing" else {}
    return render_template("documents/register.html", kind=kind, kinds=KINDS, rows=rows, wanted=wanted,
                           status_labels=STATUS_LABELS, doc_types=DOC_TYPES, urgency=URGENCY,
                           exchange=exchange, delivery_labels=DELIVERY_LABELS)


@bp.get("/registers/<any(incoming, outgoing):kind>/export.<any(pdf, xlsx):fmt>")
@login_required
def export(kind: str, fmt: str) -> ResponseReturnValue:
    """The register as the user sees it, as a printable PDF or an XLSX workbook."""
    wanted = _filter()
    rows = services().documents.register(kind, year=wanted["year"], user=user().username, search=wanted["q"],
                                         status=wanted["status"])
    mimetype, maker = EXPORTS[fmt]
    content = getattr(_printing(), maker)(kind, wanted["year"], rows, agency=services().settings.signing.agency_name)
    name = f"so-{'den' if kind == 'incoming' else 'di'}-{wanted['year']}.{fmt}"
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)


def _filter() -> dict[str, Any]:
    wanted = load_or_default(RegisterSchema(), request.args)
    if wanted["year"] is None:
        wanted["year"] = services().clock.now().astimezone(ZoneInfo(services().settings.timezone)).year
    return wanted

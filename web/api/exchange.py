"""``POST /api/v1/exchange/edxml``: where other agencies deliver edXML packages (documents and statuses) to this
one (scope ``exchange``; docs/exchange.md)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.exchange.package import MalformedPackage
from web.api.auth import me, require
from web.api.problems import ProblemSchema, problem
from web.errors import engine_text
from web.extensions import services

exchange = Blueprint("api_exchange", __name__, url_prefix="/api/v1/exchange",
                     description="The document exchange between agencies: edXML packages (QCVN 102:2016) "
                                 "delivered to this agency (scope: exchange).")
XML_TYPES = ("application/xml", "text/xml")


class ReceiptSchema(Schema):
    """What became of a package: the registered document and the case handling it, or the status recorded."""

    edxml_id = fields.String(metadata={"description": "the package's DocumentId"})
    document_id = fields.Integer(allow_none=True, metadata={"description": "the registered incoming document"})
    case_id = fields.Integer(allow_none=True, metadata={"description": "the case of the incoming procedure"})
    status_id = fields.Integer(allow_none=True, metadata={"description": "a status package: the status kept"})


_BODY = {"required": True, "description": "an edXML package (a document or a status), at most "
                                          "PROCFLOW_EXCHANGE_MAX_MB",
         "content": {t: {"schema": {"type": "string"}} for t in XML_TYPES}}


def _problems(*codes: int) -> Any:
    def wrap(view: Any) -> Any:
        for code in codes:
            view = exchange.alt_response(code, schema=ProblemSchema, content_type="application/problem+json",
                                         description="a problem (RFC 9457)")(view)
        return view
    return wrap


@exchange.route("/edxml", methods=["POST"])
@exchange.doc(requestBody=_BODY)
@exchange.response(202, ReceiptSchema, description="a document package: registered, its procedure started")
@exchange.alt_response(200, schema=ReceiptSchema, description="a status package: recorded")
@_problems(400, 401, 403, 404, 409, 413, 415, 422, 503)
def receive() -> Any:
    """Receive an edXML package from an agency of the directory.

    A document package becomes a registered incoming document and starts the incoming procedure (202); a status
    package about a document this agency sent is recorded (200). A malformed package is 400 naming the element and
    the line; a sender missing from the directory, or one the token is not bound to, 403; a duplicate 409; a
    package not addressed here, confidential, with a broken signature (of a PDF or of the envelope) or unsigned
    422. Refused packages leave only a record of the refusal.
    """
    caller = require("exchange")
    limit = services().settings.exchange.max_bytes
    if (request.content_length or 0) > limit:
        return problem(413, f"the package is larger than {limit // (1024 * 1024)} MB")
    if request.mimetype not in XML_TYPES:
        return problem(415, "send the package as application/xml")
    content = request.get_data(cache=False)
    try:
        receipt = services().exchange.receive(content, user=me(), token=caller.token or "",
                                              speaks_for=caller.agencies)
    except MalformedPackage as exc:
        return problem(400, engine_text(exc), {exc.element or "edXML": [f"line {exc.line}: {exc.problem}"]})
    body = {"edxml_id": receipt.edxml_id, "document_id": receipt.document_id, "case_id": receipt.instance_id,
            "status_id": receipt.status_id}
    return body, (200 if receipt.status_id is not None else 202)

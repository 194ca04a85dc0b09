"""Documents (scope ``documents``): a register's page, a document, its files and their verification.

Everything goes through engine.documents.service.DocumentService: a document is shown to whoever may see a case
handling it (the clerical office and administrators see every numbered one in the registers); for anyone else it
is as missing (404). Reading a document or downloading a file is recorded in the access chain of each handling
case.
"""

from __future__ import annotations

import io
from typing import Any

from flask import send_file
from flask_smorest import Blueprint

from engine.errors import NotFound
from web.api import schemas
from web.api.auth import me, needs, require
from web.api.common import problems
from web.extensions import services

documents = Blueprint("api_documents", __name__, url_prefix="/api/v1/documents",
                      description="Documents in the registers, their files and signatures (scope: documents).")
BLUEPRINTS = (documents,)
documents.before_request(needs("documents"))


def _id(value: int) -> int:
    if not 1 <= value <= schemas.MAX_ID:
        raise NotFound("no document {document_id}", document_id=value)
    return value


@documents.route("/")
@documents.arguments(schemas.RegisterFilterSchema, location="query")
@documents.response(200, schemas.DocumentPageSchema)
@problems(401, 403, 422, 429)
def list_documents(wanted: dict[str, Any]) -> Any:
    """A register's numbered documents the caller may see (of ``year``, else every year, newest first), by
    number, a page at a time; ``q`` looks in the notation, summary, issuing agency, signer and recipients."""
    require("documents")
    rows = services().documents.register(wanted["register"], year=wanted["year"], user=me(), search=wanted["q"],
                                         status=wanted["status"])
    page, per_page = wanted["page"], wanted["per_page"]
    chosen = rows[(page - 1) * per_page:page * per_page]
    return {"items": [r.as_dict() for r in chosen], "total": len(rows), "page": page, "per_page": per_page}


@documents.route("/<int:document_id>")
@documents.response(200, schemas.DocumentDetailSchema)
@problems(401, 403, 404, 429)
def get_document(document_id: int) -> Any:
    """A document: its record, files (with their signatures), handling cases, steps, directions and comments."""
    require("documents")
    return services().documents.page(_id(document_id), me()).as_dict()


@documents.route("/<int:document_id>/files/<int:file_id>")
@documents.response(200, content_type="application/octet-stream")
@documents.doc(responses={"200": {"description": "the file's bytes (its name in Content-Disposition)",
                                  "content": {"application/octet-stream": {
                                      "schema": {"type": "string", "format": "binary"}}}}})
@problems(401, 403, 404, 429)
def download(document_id: int, file_id: int) -> Any:
    """A file of the document, as a download."""
    require("documents")
    row, content = services().documents.open_file(_id(document_id), _id(file_id), me())
    return send_file(io.BytesIO(content), mimetype="application/octet-stream", as_attachment=True,
                     download_name=row.filename, max_age=0)


@documents.route("/<int:document_id>/files/<int:file_id>/verification")
@documents.response(200, schemas.VerificationSchema)
@problems(401, 403, 404, 429)
def verification(document_id: int, file_id: int) -> Any:
    """The verification of a file's signatures, made when the file was stored: each signature's signer, time,
    integrity, trust and what changed after it; ``valid`` when the file is signed and every signature is valid."""
    require("documents")
    page = services().documents.page(_id(document_id), me())
    found = [f for f in page.as_dict()["files"] if f["id"] == file_id]
    if not found:
        raise NotFound("no file {file_id} of document {document_id}", file_id=file_id, document_id=document_id)
    row = found[0]
    signatures = row["signatures"] or []
    return {"file_id": row["id"], "filename": row["filename"], "sha256": row["sha256"],
            "verified_at": row["verified_at"], "signed": bool(signatures),
            "valid": bool(signatures) and all(s.get("valid") for s in signatures), "signatures": signatures}

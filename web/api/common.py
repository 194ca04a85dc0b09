"""What the API's resources share: documenting their problems, path ids, visibility, ETag and If-Match."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from engine.errors import NotFound
from web.api import schemas
from web.api.auth import me
from web.api.problems import ProblemSchema
from web.extensions import services

# alt_response only marks the view function for the OpenAPI document: this blueprint is never registered.
_docs = Blueprint("api_docs_marks", __name__)

ETAG_HEADER = {"ETag": {"description": "the version of what was read; send it back as If-Match to change it "
                                       "only if nobody changed it meanwhile (412 otherwise)",
                        "schema": {"type": "string"}}}
IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "the ETag last read: the change is refused with 412 if it is no longer current"}


def problems(*codes: int) -> Any:
    """Document the problems an operation may answer."""
    def wrap(view: Any) -> Any:
        for code in codes:
            view = _docs.alt_response(code, schema=ProblemSchema, content_type="application/problem+json",
                                      description="a problem (RFC 9457)")(view)
        return view
    return wrap


def case_id(instance_id: int) -> int:
    """A path's case id; one beyond the database's integers is as missing."""
    if not 1 <= instance_id <= schemas.MAX_ID:
        raise NotFound("no instance {instance_id}", instance_id=instance_id)
    return instance_id


def visible(instance_id: int) -> int:
    """The case id if the caller may see it; a case they may not see is as missing (404)."""
    if not services().access.may_see_case(me(), case_id(instance_id)):
        raise NotFound("no instance {instance_id}", instance_id=instance_id)
    return instance_id


def etag(version: str) -> dict[str, str]:
    """The ETag header of a version (engine/runtime/versions.py), a strong one."""
    return {"ETag": f'"{version}"'}


def if_match() -> str | None:
    """The version the request's ``If-Match`` names (None: no header, or ``*``: any version).

    The tag may come without its quotes. A weak tag (``W/"..."``) never matches (RFC 9110 compares If-Match
    strongly), nor does a list of several: they are refused as stale.
    """
    given = request.headers.get("If-Match", "").strip()
    if not given or given == "*":
        return None
    if given.startswith("W/") or "," in given:
        return "\0" + given  # names no version procflow makes
    return given.strip('"') or "\0"

"""Every error of the API as ``application/problem+json`` (RFC 9457): type, title, status, detail, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, json, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from engine.errors import InvalidInput, ProcflowError, Unavailable
from web.errors import engine_text, status_of
from web.extensions import log

PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"


class ProblemSchema(Schema):
    """An RFC 9457 problem: what went wrong, and for invalid input the messages of each field."""

    type = fields.String(metadata={"description": "about:blank (the status says it all)"})
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "messages by field name"})


def problem(status: int, detail: str = "", errors: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """A problem response."""
    body: dict[str, Any] = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"),
                            "status": status, "detail": detail or HTTP_STATUS_CODES.get(status, "")}
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE, headers=headers)


def from_exception(exc: Exception) -> Response:
    """The problem of any exception raised while answering an API request."""
    if isinstance(exc, HTTPException) and not isinstance(exc, InternalServerError):
        code = exc.code or 500
        data = getattr(exc, "data", None) or {}
        errors = _flat(data.get("messages") or data.get("errors") or {})
        headers = dict(data.get("headers") or {})
        if code == 405 and exc.get_response().headers.get("Allow"):
            headers["Allow"] = exc.get_response().headers["Allow"]
        return problem(code, data.get("message") or exc.description or "", errors, headers)
    if isinstance(exc, ProcflowError):
        status = status_of(exc)
        if status >= 500 and not isinstance(exc, Unavailable):
            log.exception("engine error on %s", request.path, exc_info=exc)
            return problem(500, "the server could not finish the request")
        retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Unavailable) else None
        fields = {k: [str(m) for m in v] for k, v in exc.fields.items()} if isinstance(exc, InvalidInput) else None
        return problem(status, engine_text(exc), fields, retry)
    original = getattr(exc, "original_exception", None) or exc
    log.error("unexpected error on %s", request.path, exc_info=original)
    return problem(500, "the server could not finish the request")


def _flat(messages: Any) -> dict[str, list[str]]:
    """webargs' ``{"json": {"field": [...]}}`` (or a plain field dict) as ``{"field": [...]}``."""
    out: dict[str, list[str]] = {}
    if not isinstance(messages, dict):
        return {"_": [str(messages)]} if messages else out
    locations = {"json", "query", "path", "form", "headers", "files", "cookies", "view_args"}
    for key, value in messages.items():
        if key in locations and isinstance(value, dict):
            out.update(_flat(value))
        elif isinstance(value, dict):  # a nested field: "data.name"
            for inner, found in _flat(value).items():
                out[f"{key}.{inner}"] = found
        else:
            out[str(key)] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


def take_over(app: Flask) -> None:
    """Make every error handler the app has answer API requests with a problem, and others as before."""
    for codes in app.error_handler_spec.get(None, {}).values():
        for cls, handler in list(codes.items()):
            codes[cls] = _api_or(handler)


def _api_or(handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def handle(exc: Exception) -> Any:
        if request.path.startswith(PREFIX):
            return from_exception(exc)
        return handler(exc)

    return handle

"""Domain errors and HTTP errors as clear pages (403, 404, 409, 422, 500, 503), never a traceback."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from engine.errors import (
    Conflict,
    InvalidInput,
    InvalidModel,
    InvalidState,
    NotFound,
    PermissionDenied,
    ProcflowError,
    Stale,
    Unavailable,
)
from web.extensions import log
from web.i18n import locale

# Engine error class -> HTTP status. Subclasses (e.g. AccountLocked) follow their base.
STATUS: dict[type[Exception], int] = {
    NotFound: 404,
    PermissionDenied: 403,
    Conflict: 409,
    Stale: 412,  # an If-Match naming a version that is no longer current (the API)
    InvalidState: 409,
    InvalidInput: 422,
    InvalidModel: 500,
    Unavailable: 503,  # nothing was changed: the same request may be sent again (Retry-After)
}

TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You may not do this"),
    404: _l("Not found"),
    405: _l("This action is not allowed here"),
    409: _l("Someone else changed this first"),
    413: _l("The upload is too large"),
    422: _l("Some of the data is not valid"),
    500: _l("Something went wrong on the server"),
    503: _l("The service is busy for a moment"),
}
EXPLANATIONS = {
    400: _l("Reload the page and try again."),
    403: _l("This page or action belongs to other people or groups. If you think you should have access, "
            "ask your unit's head or the administrator."),
    404: _l("The page, task or case does not exist, or it is no longer open."),
    409: _l("Reload the page to see the current state, then try again."),
    413: _l("Attach smaller files and try again."),
    422: _l("Correct the marked data and try again."),
    500: _l("The error has been recorded. Try again later; if it persists, tell the administrator."),
    503: _l("Nothing was changed. Wait a few seconds and try again."),
}
TITLES[412], EXPLANATIONS[412] = TITLES[409], EXPLANATIONS[409]


def status_of(error: Exception) -> int:
    """The HTTP status for an engine error."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def engine_text(error: Exception) -> str:
    """An engine error's message in the request's language (other exceptions as they are)."""
    return error.render(locale()) if isinstance(error, ProcflowError) else str(error)


def init_app(app: Flask) -> None:
    """Register the error pages."""
    for cls in STATUS:
        app.register_error_handler(cls, _engine_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def error_page(status: int, detail: str | None = None, title: str | None = None) -> ResponseReturnValue:
    """Render the error page for ``status``."""
    return _page_body(status, detail, title), status


def _page_body(status: int, detail: str | None = None, title: str | None = None) -> str:
    template = "errors/fragment.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, status=status, title=title or TITLES.get(status, TITLES[500]),
                           explanation=EXPLANATIONS.get(status, ""), detail=detail)


def _engine_error(error: Exception) -> ResponseReturnValue:
    status = status_of(error)
    if status == 500:
        log.error("invalid model or form: %s", error)
        return error_page(500, title=str(_l("A model or form on the server is invalid; tell the process "
                                            "designer")), detail=str(error))
    if isinstance(error, Unavailable):
        return _unavailable(error)
    return error_page(status, detail=engine_text(error))


def _unavailable(error: Unavailable) -> ResponseReturnValue:
    """503 with Retry-After: nothing was changed, the same request may be sent again."""
    log.warning("unavailable on %s %s: %s", request.method, request.path, error)
    headers = {"Retry-After": str(error.retry_after)}
    try:
        body = _page_body(503, detail=engine_text(error))
    except Unavailable:  # the page's menus need the database too: a bare page then
        title, explanation = escape(str(TITLES[503])), escape(str(EXPLANATIONS[503]))
        body = (f'<!doctype html><meta charset="utf-8"><title>{title}</title>'
                f'<main id="error-page" data-status="503"><h1>{title}</h1><p>{explanation}</p></main>')
    return body, 503, headers


def _csrf_error(error: CSRFError) -> ResponseReturnValue:
    return error_page(400, title=str(_l("The form has expired or was not sent from this site")),
                      detail=str(_l("Reload the page and send the form again.")))


def _http_error(error: HTTPException) -> ResponseReturnValue:
    if error.code is None or error.code < 400:
        return error
    return error_page(error.code)


def _unexpected(error: Exception) -> ResponseReturnValue:
    log.exception("unexpected error on %s %s", request.method, request.path, exc_info=error)
    return error_page(500)

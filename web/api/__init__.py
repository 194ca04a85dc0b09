"""The REST API under /api/v1 (flask-smorest): the same services and visibility rule as the pages, bearer
tokens (engine/org/tokens.py), errors as application/problem+json, its OpenAPI document and an offline
interactive page (docs/api.md)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, g, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_smorest import Api

from web.api import problems
from web.api.limits import RateLimiter

PREFIX = "/api/v1"
# One line per API call: which token (or session) acting for whom, what, the answer and how long it took.
access_log = logging.getLogger("procflow.api.access")
SWAGGER_UI = f"{PREFIX}/vendor/swagger-ui/"
SWAGGER_FILES = {"swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"}

pages = Blueprint("api_pages", __name__, url_prefix=PREFIX, template_folder="templates", static_folder="static",
                  static_url_path="/static")


class ProcflowApi(Api):
    """flask-smorest's Api, but its errors go through :mod:`web.api.problems` (the pages keep their own)."""

    ERROR_SCHEMA = problems.ProblemSchema

    def _register_error_handlers(self) -> None:
        """Left to :func:`problems.take_over`, which answers only API requests."""


def init_app(app: Flask) -> None:
    """Register the API's blueprints, its OpenAPI document and page; API requests get problems as errors, are
    counted against their token's rate limit, and each is written to the ``procflow.api.access`` log."""
    from web.api.exchange import exchange
    from web.api.resources import BLUEPRINTS
    from web.extensions import csrf

    app.config.update({
        "API_TITLE": "procflow", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_URL": SWAGGER_UI,  # the page below uses these files, served from node_modules
        "API_SPEC_OPTIONS": {"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]},
    })
    api = ProcflowApi(app)
    for blueprint in (*BLUEPRINTS, exchange):
        csrf.exempt(blueprint)  # tokens, not cookies: a session alone may only read (web/api/auth.py)
        api.register_blueprint(blueprint)
    app.register_blueprint(pages)
    problems.take_over(app)
    services = app.extensions["procflow"]
    redis = app.config.get("PROCFLOW_REDIS") or getattr(services.operations, "redis", None)
    app.extensions["procflow_api_limits"] = RateLimiter(services.settings.api_rate_limit,
                                                        services.settings.api_rate_window, redis)
    app.before_request(_start_clock)
    app.after_request(_log_call)
    if not access_log.handlers:  # to standard error (gunicorn's error log, the journal), whatever else is set up
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False


def _start_clock() -> None:
    if request.path.startswith(PREFIX):
        g.api_started = time.perf_counter()


def _log_call(response: Response) -> Response:
    """Write the call to the API's access log (engine writes and reads of cases are also in their history and
    access chains, engine/audit/access.py)."""
    started = g.get("api_started")
    if started is not None:
        caller = g.get("api_caller")
        who = ("-", "-") if caller is None else (caller.token or "(session)", caller.username)
        access_log.info("%s %s %s -> %d token=%s user=%s %.1fms", request.remote_addr or "-", request.method,
                        request.full_path.rstrip("?"), response.status_code, who[0], who[1],
                        (time.perf_counter() - started) * 1000)
    return response


@pages.get("/docs")
def docs() -> ResponseReturnValue:
    """The interactive page of the API (Swagger UI from node_modules, no CDN)."""
    return render_template("api/docs.html", swagger_ui=SWAGGER_UI, spec_url=f"{PREFIX}/openapi.json")


@pages.get("/vendor/swagger-ui/<name>")
def swagger_ui(name: str) -> ResponseReturnValue:
    """A file of swagger-ui-dist."""
    from flask import current_app

    if name not in SWAGGER_FILES:
        abort(404)
    folder = Path(current_app.config["NODE_MODULES"]) / "swagger-ui-dist"
    return send_from_directory(folder, name, max_age=3600)

"""The REST API under /api/v1 (flask-smorest): the same services and visibility rule as the pages, bearer
tokens (engine/org/tokens.py), errors as application/problem+json, its OpenAPI document and an offline
interactive page (docs/api.md)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, render_template, send_from_directory
from flask.typing import ResponseReturnValue
from flask_smorest import Api

from web.api import problems

PREFIX = "/api/v1"
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
    """Register the API's blueprints, its OpenAPI document and page; API requests get problems as errors."""
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

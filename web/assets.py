"""The front-end libraries npm installed (htmx, bpmn-js, pdf.js), served by the app itself: the pages work offline."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

from web.extensions import log

# URL name -> folder inside node_modules that may be served (nothing else under node_modules is reachable).
LIBRARIES = {
    "htmx": "htmx.org/dist",
    "bpmn-js": "bpmn-js/dist",
    "pdfjs-dist": "pdfjs-dist/build",
    "dmn-js": "dmn-js/dist",
    "form-js": "@bpmn-io/form-js/dist",
}
CACHE_SECONDS = 7 * 24 * 3600

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


def init_app(app: Flask) -> None:
    """Register the route and say at start-up if ``npm install`` has not been run."""
    app.register_blueprint(bp)
    root = Path(app.config["NODE_MODULES"])
    missing = [name for name, folder in LIBRARIES.items() if not (root / folder).is_dir()]
    if missing:
        log.warning("front-end libraries missing in %s: %s (run `make setup` or `npm ci`)", root,
                    ", ".join(missing))


@bp.get("/<library>/<path:filename>")
def library_file(library: str, filename: str) -> ResponseReturnValue:
    """One file of an allowed library (``send_from_directory`` refuses paths that leave the folder)."""
    folder = LIBRARIES.get(library)
    if folder is None:
        abort(404)
    return send_from_directory(Path(current_app.config["NODE_MODULES"]) / folder, filename,
                               max_age=CACHE_SECONDS)

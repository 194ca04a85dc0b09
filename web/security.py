"""Secret key, cookie settings and the security headers every response carries."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, request

from engine.settings import Settings

# No inline script anywhere: every script is a static file. Inline style *attributes* are allowed only because
# the diagram viewer (bpmn-js) positions its overlays with them; <style> elements stay forbidden.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-elem 'self'; "
       "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask, settings: Settings) -> None:
    """Give the app its secret key and add the security headers to every response."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _stored_secret(settings.home)
    if app.config.get("PROCFLOW_PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROCFLOW_PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if not request.path.startswith(("/static/", "/vendor/")):
        # Pages show personal work: never keep them in a shared machine's cache.
        response.headers["Cache-Control"] = "no-store"
    return response


def _stored_secret(home: Path) -> str:
    """The key that signs sessions, kept in ``home`` so that restarts and every gunicorn worker share it."""
    path = home / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    draft = home / f".secret_key.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    try:
        os.link(draft, path)  # atomic: a worker starting at the same moment either wins or reads the winner's key
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        draft.unlink()
    return key

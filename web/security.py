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
        app.config["SECRET_KEY"] = _stored_secret(settings)
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


def _stored_secret(settings: Settings) -> str:
    """The key that signs sessions, kept in the secrets folder so that restarts and every gunicorn worker share it.

    The folder (``PROCFLOW_SECRETS_DIR``) is outside ``PROCFLOW_HOME``, made 0700 and the key 0600: the data
    folder gets copied and backed up, the key must not travel with it. A key left in ``PROCFLOW_HOME`` by an
    older version is moved there, so that signed-in users stay signed in.
    """
    folder = settings.secrets_dir
    path = folder / "secret_key"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(0o700)  # made by hand or by an older tool: others need not even list it
    _move_legacy(settings.home / "secret_key", path)
    if path.is_file():
        return path.read_text().strip()
    return _create_secret(path, secrets.token_hex(32))


def _move_legacy(old: Path, path: Path) -> None:
    if old.is_file() and not path.exists():
        _create_secret(path, old.read_text().strip())
    if old.is_file() and path.is_file():
        old.unlink()


def _create_secret(path: Path, key: str) -> str:
    """Write ``key`` to ``path`` (mode 0600) unless another process did first; return the key that is kept."""
    draft = path.with_name(f".{path.name}.{os.getpid()}")
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

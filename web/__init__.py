"""procflow's staff web app: inbox, task forms, starting procedures, cases, notifications, administration."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from engine.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app; ``config`` overrides (tests pass ``PROCFLOW_SETTINGS`` or ready ``PROCFLOW_SERVICES``).

    Keys understood besides Flask's own: ``PROCFLOW_SETTINGS`` (engine settings, default: from the
    environment), ``PROCFLOW_SERVICES`` (services already built), ``PROCFLOW_REDIS`` (a Redis client for
    timers), ``PROCFLOW_CLOCK`` (the engine's clock), ``NODE_MODULES`` (where npm put the front-end libraries).
    """
    given = (config or {}).get("PROCFLOW_SERVICES")
    settings: Settings = (given.settings if given is not None else (config or {}).get("PROCFLOW_SETTINGS")
                          or Settings.from_env())
    app = Flask(__name__)
    app.config.from_mapping(_defaults(settings))
    if config:
        app.config.update(config)
    app.config["PROCFLOW_SETTINGS"] = settings
    app.config["BABEL_DEFAULT_TIMEZONE"] = settings.timezone

    from web import assets, errors, forms, security
    from web.extensions import init_services
    from web.i18n import init_i18n
    from web.naming import init_naming
    from web.params import IdConverter, refuse_control_characters

    init_services(app, settings)
    security.init_app(app, settings)
    init_i18n(app)
    init_naming(app)
    errors.init_app(app)
    assets.init_app(app)
    forms.init_app(app)
    app.url_map.converters["id"] = IdConverter
    app.before_request(refuse_control_characters)
    _register_blueprints(app)
    from web import api

    api.init_app(app)  # after the pages: its error handlers wrap theirs
    return app


def _defaults(settings: Settings) -> dict[str, Any]:
    return {
        "SESSION_COOKIE_NAME": "procflow_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # The cookie lives as long as a session may; the server ends it sooner (idle, sign-out: engine/org/sessions.py).
        "PERMANENT_SESSION_LIFETIME": settings.session_max_hours * 3600,
        "SESSION_REFRESH_EACH_REQUEST": False,
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": settings.session_max_hours * 3600,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent / "translations"),
        "NODE_MODULES": str(settings.node_modules or ROOT / "node_modules"),
        "PROCFLOW_PROXY_FIX": settings.proxy_fix,
        "SECRET_KEY": settings.secret_key or None,
    }


def _register_blueprints(app: Flask) -> None:
    from web import (
        account,
        admin,
        auth,
        cases,
        design,
        documents,
        i18n,
        inbox,
        manage,
        migration,
        monitoring,
        notifications,
        start,
        tasks,
    )

    for module in (auth, i18n, inbox, tasks, start, cases, documents, notifications, manage, admin, design, account,
                   monitoring, migration):
        app.register_blueprint(module.bp)
    monitoring.init_app(app)
    app.add_url_rule("/", "index", inbox.views.index)


"""Languages (Vietnamese by default, English by choice), local time, and the language switch."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import Babel, format_datetime, get_locale
from flask_login import current_user

from engine.calendar.due_soon import due_soon_until
from engine.calendar.due_soon import due_state as deadline_state
from engine.errors import Unavailable
from web.extensions import services

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
LANG_COOKIE = "procflow_lang"

bp = Blueprint("i18n", __name__)


def init_i18n(app: Flask) -> None:
    """Set up Flask-Babel (locale from the language cookie, time zone from settings) and template helpers."""
    Babel(app, locale_selector=select_locale, timezone_selector=lambda: app.config["BABEL_DEFAULT_TIMEZONE"])
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.globals["due_state"] = due_state
    app.context_processor(lambda: {"languages": LANGUAGES, "locale": locale()})


def select_locale() -> str:
    """The language the user chose (cookie), else the signed-in user's preferred one, else Vietnamese; for the API,
    the request's ``Accept-Language`` first (a program has no cookie)."""
    if request.path.startswith("/api/"):
        asked = request.accept_languages.best_match(list(LANGUAGES))
        if asked:
            return str(asked)
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    try:
        preferred = getattr(getattr(current_user, "account", None), "language", None)
    except Unavailable:  # signing the user in needs the database: the page saying it is busy must not
        preferred = None
    return preferred if preferred in LANGUAGES else current_app.config["BABEL_DEFAULT_LOCALE"]


def locale() -> str:
    """The language of the current request: ``"vi"`` or ``"en"``."""
    return str(get_locale() or "vi")


def local_time(value: datetime | None) -> str:
    """A moment as the agency reads it: local date and time, 24-hour clock."""
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy HH:mm" if locale() == "vi" else "d MMM yyyy, HH:mm")


def local_date(value: datetime | None) -> str:
    """A moment's local date."""
    if value is None:
        return ""
    return format_datetime(value, "dd/MM/yyyy" if locale() == "vi" else "d MMM yyyy")


def due_state(due_at: datetime | None) -> str:
    """``"overdue"``, ``"soon"`` (within one working day) or ``""``, by the engine's clock and the one definition of
    due soon the inbox filter and the deadline pages use (engine/calendar/due_soon.py); worked out once a request."""
    if due_at is None:
        return ""
    window = g.get("due_soon_window")
    if window is None:
        now = services().clock.now()
        window = g.due_soon_window = (now, due_soon_until(services().calendar, now))
    return deadline_state(due_at, *window)


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target


@bp.post("/language")
def switch_language() -> ResponseReturnValue:
    """Remember the chosen language in a cookie and go back where the user was."""
    chosen = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next")))
    if chosen in LANGUAGES:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response

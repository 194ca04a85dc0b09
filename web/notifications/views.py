"""Notifications: reminders, escalations, reassignments and hand-overs addressed to the signed-in user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from web.extensions import services, user
from web.i18n import locale

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 30


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The user's notifications: unread first, then newest."""
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    found = services().notifications.list_for(user().username, page=page, per_page=PER_PAGE)
    return render_template("notifications/index.html", result=found, pages=max(1, -(-found.total // PER_PAGE)))


@bp.post("/read")
@login_required
def mark_read() -> ResponseReturnValue:
    """Mark the chosen notifications read (or all of them)."""
    notes = services().notifications
    if request.form.get("all"):
        notes.mark_all_read(user().username)
    else:
        ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
        notes.mark_read(user().username, ids)
    return redirect(url_for("notifications.index"))


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": services().notifications.unread_count(user().username)}


@bp.app_template_filter("in_language")
def in_language(message: str) -> str:
    """The user's half of an engine message written "Vietnamese / English" (the whole message otherwise)."""
    vi, sep, en = message.partition(" / ")
    if not sep:
        return message
    return en if locale() == "en" else vi

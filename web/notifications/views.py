"""Notifications: reminders, escalations, reassignments and hand-overs addressed to the signed-in user."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from marshmallow import Schema, fields, validate

from web.extensions import services, user
from web.i18n import locale
from web.params import MAX_ID, PageSchema, load, load_or_default

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 30


class ReadSchema(Schema):
    """Which notifications to mark read: all of them, or the ids ticked (at most a page's worth)."""

    all = fields.Boolean(load_default=False, truthy={"1", "on", "true", "yes"}, falsy={"0", "off", "false", "no"})
    id = fields.List(fields.Integer(strict=False, validate=validate.Range(1, MAX_ID)), load_default=list,
                     validate=validate.Length(max=PER_PAGE))


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The user's notifications: unread first, then newest."""
    page = load_or_default(PageSchema(), request.args)["page"]
    found = services().notifications.list_for(user().username, page=page, per_page=PER_PAGE, locale=locale())
    return render_template("notifications/index.html", result=found, pages=max(1, -(-found.total // PER_PAGE)))


@bp.post("/read")
@login_required
def mark_read() -> ResponseReturnValue:
    """Mark the chosen notifications read (or all of them)."""
    notes = services().notifications
    chosen = load(ReadSchema(), {"all": request.form.get("all"), "id": request.form.getlist("id")})
    if chosen["all"]:
        notes.mark_all_read(user().username)
    else:
        notes.mark_read(user().username, chosen["id"])
    return redirect(url_for("notifications.index"))


@bp.app_context_processor
def _unread() -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": services().notifications.unread_count(user().username)}


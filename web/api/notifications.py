"""The caller's notifications (reminders, escalations, work handed to them): list, mark read (scope ``tasks``: they
are about the user's work). Nobody reaches another user's notifications."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from web.api import schemas
from web.api.auth import me, needs, require
from web.api.common import problems
from web.extensions import services
from web.i18n import locale

notifications = Blueprint("api_notifications", __name__, url_prefix="/api/v1/notifications",
                          description="The caller's notifications (scope: tasks).")
BLUEPRINTS = (notifications,)
notifications.before_request(needs("tasks"))


@notifications.route("/")
@notifications.arguments(schemas.PageSchema, location="query")
@notifications.response(200, schemas.NotificationPageSchema)
@problems(401, 403, 422, 429)
def list_notifications(wanted: dict[str, Any]) -> Any:
    """The caller's notifications, unread first, then newest first, worded in the request's language."""
    require("tasks")
    found = services().notifications.list_for(me(), page=wanted["page"], per_page=wanted["per_page"],
                                              locale=locale())
    return {"items": [n.as_dict() for n in found.rows], "total": found.total, "unread": found.unread,
            "page": found.page, "per_page": found.per_page}


@notifications.route("/read", methods=["POST"])
@notifications.arguments(schemas.MarkReadSchema)
@notifications.response(200, schemas.MarkedSchema)
@problems(401, 403, 422, 429)
def mark_read(body: dict[str, Any]) -> Any:
    """Mark the caller's notifications with these ids read (ids of others' are ignored), or all of them."""
    require("tasks")
    n = services().notifications
    marked = n.mark_all_read(me()) if body["all"] else n.mark_read(me(), body["ids"])
    return {"marked": marked, "unread": n.unread_count(me())}

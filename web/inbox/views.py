"""The inbox: the open tasks a user may work on, earliest deadline first, filtered (htmx-refreshed), saved filters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from marshmallow import Schema, fields, validate

from engine.errors import InvalidInput
from engine.inbox.queries import InboxFilter
from engine.persistence.case_fields import URGENCY_LEVELS
from web.extensions import services, user
from web.params import PageSchema, load, load_or_default

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
PER_PAGE = 50
FILTER_KEYS = ("process_id", "unit", "urgency", "state", "scope", "search")
URGENCY_LABELS = {"flash": _l("Flash"), "top_urgent": _l("Top urgent"), "urgent": _l("Urgent"),
                  "normal": _l("Normal")}


class FilterNameSchema(Schema):
    """A saved filter's name (the engine refuses a blank or overlong one when saving)."""

    name = fields.String(load_default="", validate=validate.Length(max=1000))


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The inbox page; an htmx request gets only the refreshed list."""
    raw = {k: request.args.get(k, "") for k in FILTER_KEYS}
    status, alert = 200, None
    try:
        filters = InboxFilter.load(raw)
    except InvalidInput as exc:
        filters, status = InboxFilter(), 422
        alert = _("Some filters are not valid and were ignored: %(fields)s", fields=", ".join(exc.fields))
    page = load_or_default(PageSchema(), request.args)["page"]
    result = services().inbox.page(user().username, filters, page=page, per_page=PER_PAGE)
    template = "inbox/_results.html" if request.headers.get("HX-Request") else "inbox/index.html"
    return render_template(template, result=result, filters=filters, raw=raw, alert=alert,
                           names=services().catalogue.names(), units=services().queries.units(),
                           saved=services().saved_filters.list_for(
                               user().username), urgency_labels=URGENCY_LABELS, urgency_levels=URGENCY_LEVELS,
                           page_url=_page_url(filters)), status


@bp.post("/filters")
@login_required
def save_filter() -> ResponseReturnValue:
    """Keep the current filters under a name."""
    filters = InboxFilter.load({k: request.form.get(k, "") for k in FILTER_KEYS})
    name = load(FilterNameSchema(), request.form)["name"]
    saved = services().saved_filters.save(user().username, name.strip(), filters)
    flash(_("Filter “%(name)s” saved.", name=saved.name), "success")
    return redirect(_filter_url(filters.as_dict()))


@bp.post("/filters/delete")
@login_required
def delete_filter() -> ResponseReturnValue:
    """Forget a saved filter."""
    name = load(FilterNameSchema(), request.form)["name"]
    services().saved_filters.delete(user().username, name)
    flash(_("Filter “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("inbox.index"))


def _filter_url(values: dict[str, Any]) -> str:
    query = urlencode({k: v for k, v in values.items() if v not in (None, "")})
    return url_for("inbox.index") + (f"?{query}" if query else "")


def _page_url(filters: InboxFilter) -> Any:
    def url(page: int) -> str:
        return _filter_url({**filters.as_dict(), "page": page})
    return url


@bp.app_template_global("saved_filter_url")
def saved_filter_url(filters: InboxFilter) -> str:
    """The inbox URL that applies ``filters``."""
    return _filter_url(filters.as_dict())

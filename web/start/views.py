"""Starting a procedure: the catalogue of what the user may start, and each procedure's start form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.catalogue import NotAStarter, ProcessEntry
from engine.errors import Conflict, InvalidInput, PermissionDenied
from web.errors import engine_text, status_of
from web.extensions import services, user
from web.forms import flat_values, initial_values, submitted
from web.i18n import locale

bp = Blueprint("start", __name__, url_prefix="/start")


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The procedures the user may start, with their descriptions."""
    return render_template("start/index.html", entries=services().catalogue.startable(user().username))


def _startable(process_id: str) -> ProcessEntry:
    try:
        return services().catalogue.startable_process(process_id, user().username)
    except NotAStarter as exc:
        raise PermissionDenied(_("Only members of %(groups)s may start this procedure.",
                                 groups=", ".join(exc.groups))) from exc


@bp.route("/<process_id>", methods=["GET", "POST"])
@login_required
def form(process_id: str) -> ResponseReturnValue:
    """The start form of a procedure; on POST, start a case (the runtime validates the form)."""
    entry = _startable(process_id)
    definition = services().catalogue.start_form(process_id)
    if request.method == "GET":
        return render_template("start/form.html", entry=entry, form=definition, errors={}, alert=None,
                               values=initial_values(definition, {}), files_allowed=False,
                               picks=services().runtime.pick_options(definition, user().username))
    data = submitted(definition, request.form)
    try:
        instance_id = services().runtime.start(process_id, data=data, user=user().username, locale=locale())
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        errors = {k: v for k, v in getattr(exc, "fields", {}).items() if k != "_"}
        return render_template("start/form.html", entry=entry, form=definition, errors=errors, alert=engine_text(exc),
                               values=flat_values(definition, data), files_allowed=False,
                               picks=services().runtime.pick_options(definition, user().username)), status_of(exc)
    flash(_("Case #%(id)s of “%(name)s” started.", id=instance_id, name=entry.name), "success")
    return redirect(url_for("cases.show", instance_id=instance_id))

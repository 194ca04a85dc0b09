"""Starting a procedure: the catalogue of what the user may start, and each procedure's start form."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from engine.cases.attachments import Upload
from engine.cases.catalogue import NotAStarter, ProcessEntry
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.forms import FormDefinition
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
                               values=initial_values(definition, {}), files_allowed=True,
                               picks=services().runtime.pick_options(definition, user().username))
    data = submitted(definition, request.form)
    files = {name: [Upload(f.filename or "", f.stream) for f in request.files.getlist(name)] for name in request.files}
    try:
        instance_id = services().starter.start(process_id, data=data, files=files, user=user().username,
                                               locale=locale())
    except (InvalidInput, Conflict, PermissionDenied) as exc:
        errors = {k: v for k, v in getattr(exc, "fields", {}).items() if k != "_"}
        _ask_files_again(definition, errors, files)
        return render_template("start/form.html", entry=entry, form=definition, errors=errors, alert=engine_text(exc),
                               values=flat_values(definition, data), files_allowed=True,
                               picks=services().runtime.pick_options(definition, user().username)), status_of(exc)
    flash(_("Case #%(id)s of “%(name)s” started.", id=instance_id, name=entry.name), "success")
    return redirect(url_for("cases.show", instance_id=instance_id))


def _ask_files_again(form: FormDefinition | None, errors: dict[str, list[str]],
                     files: dict[str, list[Upload]]) -> None:
    """A refused start keeps no file (its case does not exist): say so on each file field that had one, since the
    browser does not send a chosen file again."""
    for component in form.input_fields if form else ():
        if component.type == "filepicker" and any(u.filename for u in files.get(component.name or "", ())):
            errors.setdefault(component.name or "", []).append(_("Choose the file again: it was not kept."))

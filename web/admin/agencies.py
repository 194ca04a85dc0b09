"""``/admin/agencies``: the agency directory of the document exchange — list, add, edit, deactivate, import — and
the latest refused packages (administrators only: the blueprint's guard in web/admin/views.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from web.admin.people import _try
from web.admin.views import bp
from web.extensions import services


@bp.get("/agencies")
@login_required
def agencies() -> ResponseReturnValue:
    """The directory, this agency's identity and the latest refusals."""
    s = services()
    return render_template("admin/agencies.html", agencies=s.directory.entries(), me=s.exchange.me(),
                           refusals=s.exchange.refusals(20))


@bp.post("/agencies")
@login_required
def save_agency() -> ResponseReturnValue:
    """Add an agency, or change one (an empty token or certificate keeps the one it has)."""
    form = request.form
    code = form.get("code", "").strip()
    token = form.get("token", "").strip() or None
    certificate = form.get("certificate", "").strip()
    _try(lambda: services().directory.save(code, name=form.get("name", ""), endpoint=form.get("endpoint", ""),
                                           token=token, active=form.get("active") == "1",
                                           certificates=[certificate] if certificate else None),
         _("Agency %(code)s is saved.", code=code))
    return redirect(url_for("admin.agencies"))


@bp.post("/agencies/import")
@login_required
def import_agencies() -> ResponseReturnValue:
    """Add or update agencies from an uploaded YAML or CSV file (all or nothing)."""
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or suffix not in (".yaml", ".yml", ".csv"):
        flash(_("Choose a YAML or CSV file of agencies."), "error")
        return redirect(url_for("admin.agencies"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"agencies{suffix}"
        upload.save(path)
        _try(lambda: services().directory.import_file(path), _("The directory is imported."))
    return redirect(url_for("admin.agencies"))


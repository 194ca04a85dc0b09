"""The administrators' organisation pages: people (create, edit, deactivate, reactivate, password reset links),
the unit tree (add, rename, move, head), groups and members, and import/export (administrators only: the
blueprint's guard in web/admin/views.py covers every route here)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from engine.errors import Conflict, InvalidInput, NotFound
from web.admin.views import bp
from web.errors import engine_text
from web.extensions import services, user

REFUSED = (InvalidInput, NotFound, Conflict)


def _try(call: Callable[[], Any], done: str) -> bool:
    """Run one change; a refusal becomes an error message with the fields named, nothing changed."""
    try:
        call()
    except REFUSED as exc:
        fields = getattr(exc, "fields", {}) or {}
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items())
        flash(" ".join(p for p in (engine_text(exc), detail) if p), "error")
        return False
    flash(done, "success")
    return True


def _user_form() -> dict[str, Any]:
    form = request.form
    return {"username": form.get("username", "").strip(), "full_name": form.get("full_name", ""),
            "email": form.get("email", ""), "title": form.get("title", ""), "unit": form.get("unit", ""),
            "groups": form.getlist("groups"), "language": form.get("language", "vi")}


@bp.get("/people")
@login_required
def people() -> ResponseReturnValue:
    """Everyone (active first), searchable, with the form for a new user."""
    search = request.args.get("q", "")[:100]
    p = services().people
    return render_template("admin/people.html", people=p.people(search=search), search=search, units=p.tree(),
                           groups=p.groups())


@bp.post("/people")
@login_required
def create_person() -> ResponseReturnValue:
    """Create a user (without a password: issue them a reset link next)."""
    data = _user_form()
    created = _("User %(u)s is created. They cannot sign in before they have a password: issue them a password link "
                "below.", u=data["username"])
    if _try(lambda: services().people.create_user(data), created):
        return redirect(url_for("admin.person", username=data["username"]))
    return redirect(url_for("admin.people"))


@bp.get("/people/<username>")
@login_required
def person(username: str) -> ResponseReturnValue:
    """One user's details, groups and account actions."""
    p = services().people
    try:
        found = p.person(username)
    except NotFound:
        abort(404)
    return render_template("admin/person.html", person=found, units=p.tree(), groups=p.groups(), link=None)


@bp.post("/people/<username>")
@login_required
def update_person(username: str) -> ResponseReturnValue:
    """Save a user's name, e-mail, title, unit, groups and language."""
    data = {k: v for k, v in _user_form().items() if k != "username"}
    _try(lambda: services().people.update_user(username, data), _("Saved."))
    return redirect(url_for("admin.person", username=username))


@bp.post("/people/<username>/deactivate")
@login_required
def deactivate(username: str) -> ResponseReturnValue:
    """The user left: no more sign-ins, sessions end, open tasks go to their unit's head."""
    if username == user().username:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("admin.person", username=username))
    try:
        done = services().departures.deactivate(username, by=user().username)
    except NotFound as exc:
        flash(engine_text(exc), "error")
        return redirect(url_for("admin.people"))
    flash(_("%(u)s is deactivated; %(n)s open task(s) went to %(to)s.", u=username, n=len(done.tasks),
            to=done.handed_to or _("their groups")), "success")
    return redirect(url_for("admin.person", username=username))


@bp.post("/people/<username>/activate")
@login_required
def activate(username: str) -> ResponseReturnValue:
    """Let the user sign in again."""
    _try(lambda: services().departures.reactivate(username), _("%(u)s is active again.", u=username))
    return redirect(url_for("admin.person", username=username))


@bp.post("/people/<username>/reset-link")
@login_required
def reset_link(username: str) -> ResponseReturnValue:
    """Issue a one-time password link, show it once, and e-mail it when e-mail is set up."""
    s = services()
    try:
        link = s.passwords.issue_reset(username, by=user().username)
    except NotFound as exc:
        flash(engine_text(exc), "error")
        return redirect(url_for("admin.people"))
    base = s.settings.base_url or request.host_url.rstrip("/")
    url = base + url_for("account.reset", token=link.token)
    found = s.people.person(username)
    emailed = bool(link.email) and s.mailer.send_text(
        link.email or "", found.full_name, _("Set your password"),
        _("Open this link to set your procflow password (it works once, until %(until)s): %(url)s",
          until=link.expires_at.isoformat(timespec="minutes"), url=url))
    return render_template("admin/person.html", person=found, units=s.people.tree(), groups=s.people.groups(),
                           link={"url": url, "expires_at": link.expires_at, "emailed": emailed})


@bp.get("/units")
@login_required
def units() -> ResponseReturnValue:
    """The unit tree with its forms."""
    p = services().people
    return render_template("admin/units.html", units=p.tree(), people=p.people(include_inactive=False))


@bp.post("/units")
@login_required
def add_unit() -> ResponseReturnValue:
    form = request.form
    data = {"code": form.get("code", "").strip(), "name": form.get("name", ""), "parent": form.get("parent") or None}
    _try(lambda: services().people.add_unit(data), _("Unit %(c)s is added.", c=data["code"]))
    return redirect(url_for("admin.units"))


@bp.post("/units/<code>/<any(rename, move, head):change>")
@login_required
def change_unit(code: str, change: str) -> ResponseReturnValue:
    """Rename a unit, move it under another, or set its head."""
    p, value = services().people, request.form.get("value", "")
    calls = {"rename": lambda: p.rename_unit(code, value), "move": lambda: p.move_unit(code, value or None),
             "head": lambda: p.set_head(code, value or None)}
    _try(calls[change], _("Unit %(c)s is changed.", c=code))
    return redirect(url_for("admin.units"))


@bp.get("/groups")
@login_required
def groups() -> ResponseReturnValue:
    """Groups with their members."""
    p = services().people
    listed = [(code, name, count, p.members(code)) for code, name, count in p.groups()]
    return render_template("admin/groups.html", groups=listed, people=p.people(include_inactive=False))


@bp.post("/groups")
@login_required
def save_group() -> ResponseReturnValue:
    code, name = request.form.get("code", "").strip(), request.form.get("name", "")
    _try(lambda: services().people.save_group(code, name), _("Group %(c)s is saved.", c=code))
    return redirect(url_for("admin.groups"))


@bp.post("/groups/<code>/members")
@login_required
def membership(code: str) -> ResponseReturnValue:
    """Add a user to the group (member=1) or take them out (member=0)."""
    username, member = request.form.get("username", ""), request.form.get("member") == "1"
    _try(lambda: services().people.set_membership(code, username, member), _("Saved."))
    return redirect(url_for("admin.groups"))


@bp.get("/org/export.<any(yaml, csv):fmt>")
@login_required
def export(fmt: str) -> ResponseReturnValue:
    """The organisation as a file ``procflow org import`` (and the import below) reads."""
    p = services().people
    body, kind = (p.export_csv(), "text/csv") if fmt == "csv" else (p.export_yaml(), "application/yaml")
    return Response(body, content_type=f"{kind}; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=organisation.{fmt}"})


@bp.post("/org/import")
@login_required
def import_org() -> ResponseReturnValue:
    """Import a YAML or CSV organisation file (all or nothing)."""
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or suffix not in (".yaml", ".yml", ".csv"):
        flash(_("Choose a .yaml or .csv file."), "error")
        return redirect(url_for("admin.units"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"organisation{suffix}"
        upload.save(path)
        _try(lambda: _import_named(path, upload.filename or path.name), _("The organisation file is imported."))
    return redirect(url_for("admin.units"))


def _import_named(path: Path, name: str) -> None:
    """Import ``path``; a refusal names the administrator's file, not the server's temporary copy."""
    try:
        services().org.import_file(path)
    except InvalidInput as exc:
        if "path" not in exc.params:
            raise
        raise InvalidInput(exc.message_id, exc.fields, **{**exc.params, "path": name}) from exc

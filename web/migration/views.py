"""The migration page: a plan between two versions of a process (mapping typed as OLD=NEW lines), its
validation, a dry run, and running it as RQ batches with progress and per-case results.

Only designers (the group ``thiet_ke``) and administrators get in; the engine does the work
(engine/migration/service.py), the views only parse the form and show what it says.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import Schema, ValidationError, fields, validate

from engine.errors import InvalidInput, InvalidState, NotFound
from engine.i18n import Message
from engine.migration.plan import MigrationPlan
from engine.migration.service import failure_message
from web.errors import engine_text
from web.extensions import login_manager, services, user
from web.i18n import locale
from web.params import load

bp = Blueprint("migration", __name__, url_prefix="/migration")
DESIGNERS = "thiet_ke"  # the designers' group: they deploy versions and move cases between them
MAX_TEXT = 20_000
CASE_STATUS = {"migrated": _l("moved"), "failed": _l("failed"), "pending": _l("waiting"), "ready": _l("can move")}


def may_migrate() -> bool:
    """True for designers and administrators."""
    return bool(current_user.is_authenticated and user().groups & {DESIGNERS, services().settings.admin_group})


@bp.before_request
def _designers_only() -> ResponseReturnValue | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not may_migrate():
        abort(403)
    return None


class Mapping(fields.Field):
    """``OLD=NEW`` pairs, one a line (blank lines skipped)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, str]:
        found: dict[str, str] = {}
        for number, line in enumerate(str(value).splitlines(), start=1):
            if not line.strip():
                continue
            old, sep, new = line.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise ValidationError(_("Line %(n)s: write OLD=NEW, for example review=examine.", n=number))
            found[old.strip()] = new.strip()
        return found


class CaseIds(fields.Field):
    """Case ids separated by commas or spaces."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[int]:
        parts = str(value).replace(",", " ").split()
        if not all(part.isdigit() for part in parts):
            raise ValidationError(_("Give case numbers separated by commas, for example 12, 15."))
        return [int(part) for part in parts]


class PlanSchema(Schema):
    """What the plan form sends: the mapping, the cases, and whether to show a dry run."""

    mapping = Mapping(load_default=dict, validate=validate.Length(max=500))
    cases = CaseIds(load_default=None)
    dry_run = fields.Boolean(load_default=False)


def _given() -> tuple[dict[str, Any], dict[str, list[str]]]:
    source = request.form if request.method == "POST" else request.args
    if any(len(v) > MAX_TEXT for v in source.values()):
        return {"mapping": {}, "cases": None, "dry_run": False}, {"mapping": [_("This is too long.")]}
    try:
        return load(PlanSchema(), source), {}
    except InvalidInput as exc:
        return {"mapping": {}, "cases": None, "dry_run": False}, exc.fields


@bp.get("/<process>/<int:from_version>/<int:to_version>")
@login_required
def plan(process: str, from_version: int, to_version: int) -> ResponseReturnValue:
    """The plan between two versions, its validation, and (asked for) a dry run of every case."""
    given, errors = _given()
    return _plan_page(process, from_version, to_version, given, errors)


def _plan_page(process: str, from_version: int, to_version: int, given: dict[str, Any],
               errors: dict[str, list[str]], status: int = 200) -> ResponseReturnValue:
    found: MigrationPlan | None = None
    dry = None
    try:
        if not errors:
            found = services().migrations.plan(process, from_version, to_version, mapping=given["mapping"],
                                               cases=given["cases"])
    except NotFound as exc:
        abort(404, engine_text(exc))
    except InvalidInput as exc:
        errors = {**exc.fields, "_": [engine_text(exc)]}
    if found is not None and found.valid and given["dry_run"]:
        dry = services().migrations.dry_run(found)
    typed = {"mapping": request.values.get("mapping", ""), "cases": request.values.get("cases", "")}
    return render_template("migration/plan.html", process=process, from_version=from_version,
                           to_version=to_version, plan=found, dry=dry, errors=errors, typed=typed,
                           recent=[services().migrations.get(i) for i in services().migrations.recent(process, 5)],
                           case_status=CASE_STATUS, reason=_reason, lang=locale()), (422 if errors else status)


@bp.post("/<process>/<int:from_version>/<int:to_version>")
@login_required
def run(process: str, from_version: int, to_version: int) -> ResponseReturnValue:
    """Run the plan as sent (checked again here); the cases move in batches on the workers."""
    given, errors = _given()
    if errors:
        return _plan_page(process, from_version, to_version, given, errors)
    try:
        found = services().migrations.plan(process, from_version, to_version, mapping=given["mapping"],
                                           cases=given["cases"])
        migration_id = services().migrations.start(found, user=user().username)
    except NotFound as exc:
        abort(404, engine_text(exc))
    except (InvalidInput, InvalidState) as exc:
        flash(engine_text(exc), "error")
        return _plan_page(process, from_version, to_version, given, {}, status=422)
    flash(_("The migration has started: %(n)s case(s).", n=len(found.cases)), "success")
    return redirect(url_for("migration.show", migration_id=migration_id))


@bp.get("/runs/<int:migration_id>")
@login_required
def show(migration_id: int) -> ResponseReturnValue:
    """A migration's progress and each case's result (the page refreshes itself while it runs)."""
    try:
        found = services().migrations.get(migration_id)
    except NotFound as exc:
        abort(404, engine_text(exc))
    return render_template("migration/run.html", run=found, case_status=CASE_STATUS, reason=_reason)


def _reason(result: Any) -> str:
    message = failure_message(result)
    return message.render(locale()) if isinstance(message, Message) else message

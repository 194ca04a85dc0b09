"""The administrators' page: cases by status (failed ones first), and running them again, suspending, resuming
or cancelling them. Only members of the administrators' group (setting ``PROCFLOW_ADMIN_GROUP``) get in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from engine.cases.admin import STATUSES, AdminCaseRow
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound
from engine.inputs.strict_json import InvalidJson, loads_strict
from web.cases.views import STATUS_LABELS
from web.errors import engine_text
from web.extensions import login_manager, services, user
from web.i18n import safe_next
from web.params import load, page_field

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50
ALL = "all"
# The status filter's choices, in the order an administrator needs them.
LIST_LABELS = {
    "error": _l("Failed cases"),
    "suspended": _l("Suspended cases"),
    "running": _l("Cases in progress"),
    "completed": _l("Completed cases"),
    "terminated": _l("Cancelled cases"),
    ALL: _l("All cases"),
}
# Each action as the refusal message names it ("Could not <action> case #7 ...").
ACTIONS = {"retry": _l("run again"), "suspend": _l("suspend"), "resume": _l("resume"), "cancel": _l("cancel")}
REFUSED = (NotFound, InvalidState, Conflict, InvalidInput)


class ListSchema(Schema):
    """The list's filters: a status (default: failed cases), a procedure, a page."""

    status = fields.String(load_default="error", validate=validate.OneOf((*STATUSES, ALL)))
    process_id = fields.String(load_default=None, validate=validate.Length(max=200))
    page = page_field()


class JsonObject(fields.Field):
    """A JSON object typed into a text field; blank means no data."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        text = str(value).strip()
        if not text:
            return {}
        if len(text) > MAX_JSON:
            raise ValidationError(_("This is too long: at most %(n)s characters.", n=MAX_JSON))
        try:
            found = loads_strict(text, field="data")
        except InvalidJson as exc:
            raise ValidationError(_("This is not valid JSON: %(reason)s (line %(line)s, column %(column)s).",
                                    reason=exc.reason, line=exc.line, column=exc.column)) from exc
        if not isinstance(found, dict):
            raise ValidationError(_('Give a JSON object: names in double quotes and their values, '
                                    'for example {"divisor": 5}.'))
        return found


MAX_JSON = 100_000


class RetrySchema(Schema):
    """Running a failed case again: corrected data (merged into the failed step's data), on the latest version."""

    data = JsonObject(load_default=dict)
    upgrade = fields.Boolean(load_default=False)


class CancelSchema(Schema):
    """Cancelling a case: the reason is required and kept in its history."""

    reason = fields.String(required=True, validate=validate.Length(max=2000),
                           error_messages={"required": _l("Give the reason for cancelling the case.")})

    @pre_load
    def trimmed(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """A reason of only spaces is no reason."""
        reason = str(data.get("reason", "")).strip()
        return {**data, "reason": reason} if reason else {k: v for k, v in data.items() if k != "reason"}


def is_admin() -> bool:
    """True when the signed-in user is in the administrators' group."""
    return bool(current_user.is_authenticated and services().settings.admin_group in user().groups)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"is_admin": is_admin()}


@bp.before_request
def _administrators_only() -> ResponseReturnValue | None:
    """Every URL here: sign in first; anyone but an administrator gets the 403 page."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_admin():
        abort(403)
    return None


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The administrators' start page: the failed cases."""
    return redirect(url_for("admin.cases"))


@bp.get("/cases")
@login_required
def cases() -> ResponseReturnValue:
    """Cases in a status (default: failed), optionally of one procedure, most recently changed first."""
    return _cases_page(load(ListSchema(), request.args))


@bp.post("/cases/<id:instance_id>/retry")
@login_required
def retry(instance_id: int) -> ResponseReturnValue:
    """Run a failed case again, with corrected data and/or on the latest version of its procedure."""
    try:
        given = load(RetrySchema(), request.form)
    except InvalidInput as exc:
        return _invalid(instance_id, exc)
    if _done(instance_id, "retry", lambda: services().runtime.retry(
            instance_id, user=_me(), data=given["data"], upgrade=given["upgrade"])):
        _tell_retried(_row(instance_id), given["upgrade"])
    return redirect(_back())


@bp.post("/cases/<id:instance_id>/suspend")
@login_required
def suspend(instance_id: int) -> ResponseReturnValue:
    """Stop a running case from moving until it is resumed."""
    if _done(instance_id, "suspend", lambda: services().runtime.suspend(instance_id, user=_me())):
        flash(_("Case #%(id)s is suspended: its tasks cannot be completed and its timers wait until it is "
                "resumed.", id=instance_id), "success")
    return redirect(_back())


@bp.post("/cases/<id:instance_id>/resume")
@login_required
def resume(instance_id: int) -> ResponseReturnValue:
    """Let a suspended case move again (timers that fell due meanwhile fire now)."""
    if _done(instance_id, "resume", lambda: services().runtime.resume(instance_id, user=_me())):
        row = _row(instance_id)
        if row.status == "error":
            _tell_failed(row, _("Case #%(id)s was resumed, then stopped with an error.", id=row.id))
        else:
            flash(_("Case #%(id)s is resumed.", id=instance_id), "success")
    return redirect(_back())


@bp.post("/cases/<id:instance_id>/cancel")
@login_required
def cancel(instance_id: int) -> ResponseReturnValue:
    """End a case for good, with the reason; its open tasks are withdrawn."""
    try:
        reason = load(CancelSchema(), request.form)["reason"]
    except InvalidInput as exc:
        return _invalid(instance_id, exc)
    if _done(instance_id, "cancel", lambda: services().runtime.terminate(instance_id, user=_me(), reason=reason)):
        flash(_("Case #%(id)s is cancelled. Reason: %(reason)s", id=instance_id, reason=reason), "success")
    return redirect(_back())


def _cases_page(filters: dict[str, Any], errors: dict[int, dict[str, list[str]]] | None = None,
                typed: dict[int, dict[str, str]] | None = None, status: int = 200) -> ResponseReturnValue:
    """The list; after a refused form, that case's field errors (``errors``) and what was typed (``typed``)."""
    wanted = None if filters["status"] == ALL else filters["status"]
    found = services().admin.cases(_me(), status=wanted, process_id=filters["process_id"], page=filters["page"],
                                   per_page=PER_PAGE)
    return render_template("admin/cases.html", result=found, filters=filters, back=_list_url(filters),
                           names=services().catalogue.names(), list_labels=LIST_LABELS,
                           status_labels=STATUS_LABELS, pages=max(1, -(-found.total // PER_PAGE)),
                           errors=errors or {}, typed=typed or {}), status


def _invalid(instance_id: int, exc: InvalidInput) -> ResponseReturnValue:
    """The list again, as it was, with the form's field errors next to its fields; nothing was changed."""
    flash(_("Case #%(id)s was not changed: correct the marked field.", id=instance_id), "error")
    return _cases_page(_filters_of(_back()), errors={instance_id: exc.fields},
                       typed={instance_id: request.form.to_dict()}, status=422)


def _done(instance_id: int, action: str, call: Callable[[], Any]) -> bool:
    """Run an engine action; a refusal (no such case, wrong status, someone else first) becomes a message."""
    try:
        call()
    except NotFound:
        flash(_("Case #%(id)s does not exist.", id=instance_id), "error")
        return False
    except REFUSED as exc:
        now = STATUS_LABELS.get(_row(instance_id).status, "")
        flash(_("Could not %(action)s case #%(id)s (it is “%(status)s” now): %(detail)s", action=ACTIONS[action],
                id=instance_id, status=now, detail=engine_text(exc)), "error")
        return False
    return True


def _tell_retried(row: AdminCaseRow, upgrade: bool) -> None:
    version = [_("It now follows version %(v)s of the procedure.", v=row.version)] if upgrade else []
    if row.status == "error":
        _tell_failed(row, " ".join([_("Case #%(id)s was run again but stopped again.", id=row.id), *version]))
    elif row.status == "completed":
        flash(" ".join([_("Case #%(id)s was run again and is now completed.", id=row.id), *version]), "success")
    else:
        flash(" ".join([_("Case #%(id)s was run again and is moving on.", id=row.id), *version]), "success")


def _tell_failed(row: AdminCaseRow, lead: str) -> None:
    flash(lead + " " + _("Stopped at %(element)s:", element=row.error_element or "?") + " "
          + (row.error_message or ""), "warning")


def _row(instance_id: int) -> AdminCaseRow:
    return services().admin.case(_me(), instance_id)


def _me() -> str:
    return user().username


def _list_url(filters: Mapping[str, Any]) -> str:
    """The list's address with these filters (what each action's form comes back to)."""
    args = {k: v for k, v in filters.items() if v not in (None, "") and not (k == "page" and v == 1)}
    return url_for("admin.cases", **args)


def _back() -> str:
    """The list the form was sent from (a page of this section only), else the failed cases."""
    target = safe_next(request.form.get("next"), url_for("admin.cases"))
    return target if urlsplit(target).path == url_for("admin.cases") else url_for("admin.cases")


def _filters_of(target: str) -> dict[str, Any]:
    try:
        return load(ListSchema(), dict(parse_qsl(urlsplit(target).query)))
    except InvalidInput:
        return load(ListSchema(), {})

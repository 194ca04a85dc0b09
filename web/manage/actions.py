"""What a manager does from these pages: remind, reassign, confirm or override a classification, set thresholds."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput, NotFound, PermissionDenied
from web.extensions import services
from web.i18n import safe_next
from web.manage import bp
from web.manage.common import analytics, me
from web.manage.params import ConfirmSchema, PeriodSchema, ReassignSchema, thresholds_from_form
from web.manage.views import deadlines_page, evaluation_page
from web.params import load, load_or_default


@bp.post("/tasks/<task_id>/remind")
@login_required
def remind(task_id: str) -> ResponseReturnValue:
    """Remind whoever may work on an open task in the manager's units (recorded in the case's history)."""
    reminded = analytics().remind(me(), task_id)
    flash(_("Reminder sent to %(who)s.", who=", ".join(reminded)), "success")
    return redirect(_back())


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign(task_id: str) -> ResponseReturnValue:
    """Give an open task to someone in the manager's units; they are told."""
    to_user = load(ReassignSchema(), request.form)["to_user"].strip()
    try:
        if not to_user:
            raise InvalidInput(_("Choose whom to give the task to."))
        analytics().reassign(me(), task_id, to_user)  # the task is checked first: one outside one's units is 403/404
    except (InvalidInput, NotFound, PermissionDenied) as exc:
        if to_user and exc.params.get("user") != to_user:
            raise
        # The person is chosen from the list, never typed: anyone else is refused by the list, on the same page.
        message = _("Choose whom to give the task to.") if not to_user else _("Choose someone from the list.")
        back = _back()
        return deadlines_page(MultiDict(parse_qsl(urlsplit(back).query)), back=back, errors={task_id: [message]},
                              status=422)
    account = services().accounts.account(to_user)
    flash(_("The task was given to %(who)s.", who=account.full_name if account else to_user), "success")
    return redirect(_back())


@bp.post("/evaluation/<id:year>/<username>")
@login_required
def confirm(year: int, username: str) -> ResponseReturnValue:
    """Confirm the proposed classification of a person, or choose another one with a reason."""
    try:
        decision = load(ConfirmSchema(), request.form)
        analytics().confirm(me(), year, username, decision["classification"], decision["reason"])
    except InvalidInput as exc:
        return evaluation_page(year, errors={username: exc.fields}, typed={username: request.form.to_dict()},
                               status=422)
    flash(_("The classification of %(who)s is recorded.", who=username), "success")
    return redirect(url_for("manage.evaluation", year=year) + f"#person-{username}")


@bp.post("/evaluation/thresholds")
@login_required
def set_thresholds() -> ResponseReturnValue:
    """Replace the thresholds the proposals follow (agency leaders only)."""
    year = load_or_default(PeriodSchema(), {"year": request.form.get("year")})["year"]
    try:
        analytics().set_thresholds(me(), thresholds_from_form(request.form))
    except InvalidInput as exc:
        return evaluation_page(year or analytics().current_year().start.year, errors={"_thresholds": exc.fields},
                               typed={"_thresholds": request.form.to_dict()}, status=422)
    flash(_("The evaluation thresholds are saved."), "success")
    target = url_for("manage.evaluation", year=year) if year else url_for("manage.evaluation")
    return redirect(target + "#thresholds")


def _back() -> str:
    """Where the form came from (a page of this site), else "deadlines now"."""
    return safe_next(request.form.get("next"), url_for("manage.deadlines"))

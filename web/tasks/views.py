"""The task page: the task's form rendered on the server, drafts, claiming and handing on, and completion.

The form is the version deployed with the case's process; the runtime validates a submission against it and
answers with messages per field in the user's language. Whatever goes wrong, the user's input is shown again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import Schema, fields, validate

from engine.cases.queries import TaskView
from engine.cases.story import HandOver
from engine.errors import Conflict, InvalidInput
from engine.forms import FormDefinition
from engine.inbox.desk import Completion, Submission, TaskClosed, TaskPage, Upload
from web.errors import engine_text, status_of
from web.extensions import services, user
from web.forms import flat_values, initial_values
from web.i18n import locale
from web.naming import file_links
from web.params import load
from web.tasks import delegation
from web.tasks.delegation import Picker
from web.tasks.messages import explain, in_words, refusal

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


class CompletionSchema(Schema):
    """The task form's own hidden fields: which form element and task name the page showed (the form's fields are
    read by the engine against the form definition)."""

    element = fields.String(data_key="_element", load_default="", validate=validate.Length(max=255))
    task_name = fields.String(data_key="_task_name", load_default="", validate=validate.Length(max=1000))
    confirmed = fields.Boolean(data_key="_confirmed", load_default=False)


@bp.get("/<id:instance_id>/<task_id>")
@login_required
def show(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Show an open task with its form, filled with the user's draft or else the case's current data."""
    with in_words():
        found = services().desk.page(user().username, instance_id, task_id)
    return _task_page(found, delegation.searched(task_id, request.args))


@bp.post("/<id:instance_id>/<task_id>")
@login_required
def complete(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Complete the task with the submitted form; on any refusal, show the form again with the input."""
    hidden = load(CompletionSchema(), request.form)
    uploads = {name: [Upload(f.filename or "", f.stream) for f in request.files.getlist(name)]
               for name in request.files}
    submission = Submission(request.form.to_dict(flat=False), uploads, hidden["element"], hidden["confirmed"])
    outcome = services().desk.complete(user().username, instance_id, task_id, submission, locale=locale())
    if outcome.to_confirm:  # the same form again, asking to confirm (works without script)
        assert outcome.task is not None
        return _page(instance_id, task_id, task=outcome.task, form=outcome.form,
                     values=flat_values(outcome.form, outcome.data, outcome.case_data), confirm=outcome.to_confirm)
    if outcome.error is None:
        assert outcome.task is not None and outcome.record is not None
        flash(_("Task “%(name)s” completed.", name=outcome.task.name), "success")
        if outcome.record.error_message:
            flash(_("The case then stopped with an error; the administrator must look at it."), "warning")
        return redirect(url_for("inbox.index"))
    return _refused(instance_id, task_id, outcome, hidden)


@bp.post("/<id:instance_id>/<task_id>/draft")
@login_required
def save_draft(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Keep what the user has typed so far (htmx autosave); answers with a short status line."""
    with in_words():
        draft = services().desk.save_draft(user().username, instance_id, task_id, request.form.to_dict(flat=False))
    return render_template("tasks/_draft_status.html", draft_at=draft.updated_at)


@bp.post("/<id:instance_id>/<task_id>/claim")
@login_required
def claim(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Take a task offered to one's group."""
    return _take(instance_id, task_id)


@bp.get("/<id:instance_id>/<task_id>/unclaim")
@login_required
def confirm_unclaim(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Ask before letting go of a task ("Bỏ nhận"), saying where it will go back to (works without script)."""
    with in_words():
        task = services().desk.open_task(user().username, instance_id, task_id)
    target, groups = services().work.unclaim_target(task_id, user().username)
    return render_template("tasks/unclaim.html", instance_id=instance_id, task=task, target=_person(target),
                           groups=_group_names(groups))


@bp.post("/<id:instance_id>/<task_id>/unclaim")
@login_required
def unclaim(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Let go of a task one holds, once confirmed: it goes back to whoever gave it, else to its groups."""
    with in_words():  # a case one may not see is missing, here as everywhere
        services().desk.open_task(user().username, instance_id, task_id)
    if request.form.get("confirmed") != "1":  # never without the confirmation page's answer
        return redirect(url_for("tasks.confirm_unclaim", instance_id=instance_id, task_id=task_id), 303)
    target = services().work.unclaim(task_id, user().username)
    if target is not None:
        flash(_("You released the task; it went back to %(name)s.", name=_person(target)), "success")
    else:
        flash(_("You released the task; it is back with its groups."), "success")
    return redirect(url_for("inbox.index"))


def _person(username: str | None) -> str | None:
    account = services().accounts.account(username) if username else None
    return account.full_name if account else username


def _group_names(codes: tuple[str, ...]) -> list[str]:
    names = {code: name for code, name, _count in services().people.groups()}
    return [names.get(code, code) for code in codes]


@bp.get("/<id:instance_id>/<task_id>/delegates")
@login_required
def delegates(instance_id: int, task_id: str) -> ResponseReturnValue:
    """The delegation picker's list alone, for what is typed in its search box (htmx)."""
    with in_words():
        services().desk.open_task(user().username, instance_id, task_id)
    return render_template("tasks/_delegate_choices.html", picker=delegation.searched(task_id, request.args))


@bp.post("/<id:instance_id>/<task_id>/delegate")
@login_required
def delegate(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Hand the task to the colleague chosen in the picker; a refused choice shows the page again (422)."""
    with in_words():
        services().desk.open_task(user().username, instance_id, task_id)
    name, errors, search = delegation.hand_over(instance_id, task_id, request.form)
    if errors:
        with in_words():
            found = services().desk.page(user().username, instance_id, task_id)
        picker = delegation.picker(task_id, search["q"], search["to_user"], errors)
        return _task_page(found, picker, status=422)
    flash(_("The task was handed to %(name)s.", name=name), "success")
    return redirect(url_for("inbox.index"))


def _take(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Claim; an htmx request gets the task's refreshed inbox row, others go back."""
    try:
        services().work.claim(task_id, user().username)
    except Conflict as exc:
        if not request.headers.get("HX-Request"):
            raise
        return render_template("inbox/_claim.html", task=_row(instance_id, task_id), message=engine_text(exc)), 409
    if request.headers.get("HX-Request"):
        return render_template("inbox/_claim.html", task=_row(instance_id, task_id), message=None)
    flash(_("You have taken the task."), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("tasks.show", instance_id=instance_id, task_id=task_id))


def _row(instance_id: int, task_id: str) -> TaskView | None:
    return next((t for t in services().queries.tasks(instance_id=instance_id) if t.id == task_id), None)


def _refused(instance_id: int, task_id: str, outcome: Completion, hidden: dict[str, str]) -> ResponseReturnValue:
    """The form again with what was typed, and why the task was not completed."""
    error = outcome.error
    assert error is not None
    values = flat_values(outcome.form, outcome.data, outcome.case_data)
    if outcome.task is None:  # no longer the user's: say why; what they typed stays, to copy
        return _page(instance_id, task_id, task=None, form=outcome.form, values=values, alert=refusal(error),
                     status=_status(error), can_submit=False, name=hidden["task_name"], element=hidden["element"])
    if outcome.file_errors:
        errors = {name: [_("The file could not be attached: %(why)s", why=why) for why in found]
                  for name, found in outcome.file_errors.items()}
        return _page(instance_id, task_id, task=outcome.task, form=outcome.form, values=values, errors=errors,
                     alert=_("Some files could not be attached."), status=422)
    if isinstance(error, InvalidInput):
        return _page(instance_id, task_id, task=outcome.task, form=outcome.form, values=values, errors=error.fields,
                     alert=engine_text(error), status=422)
    return _page(instance_id, task_id, task=outcome.task, form=outcome.form, values=values, alert=explain(error),
                 status=_status(error), can_submit=False)


def _status(error: Exception) -> int:
    """A task someone else completed first is a conflict (409); other refusals by their kind."""
    if isinstance(error, TaskClosed) and error.done is not None:
        return 409
    return status_of(error)


def _task_page(found: TaskPage, picker: Picker, status: int = 200) -> ResponseReturnValue:
    """The page of an open task the user may work on, its form filled with their draft or the case's data."""
    draft = found.draft
    values = (flat_values(found.form, draft.data, found.case.data) if draft
              else initial_values(found.form, found.opening))
    return _page(found.case.id, found.task.id, task=found.task, form=found.form, values=values, case=found.case,
                 draft_at=draft.updated_at if draft else None, picker=picker, status=status,
                 hand_overs=found.hand_overs)


def _page(instance_id: int, task_id: str, *, task: TaskView | None, form: FormDefinition | None,
          values: dict[str, Any], errors: dict[str, list[str]] | None = None, alert: str | None = None,
          status: int = 200, can_submit: bool = True, case: Any = None, name: str = "", element: str = "",
          draft_at: Any = None, picker: Picker | None = None, confirm: list[str] | None = None,
          hand_overs: list[HandOver] | None = None) -> ResponseReturnValue:
    if picker is None and task is not None and can_submit:
        picker = delegation.picker(task_id)
    return render_template(
        "tasks/show.html", instance_id=instance_id, task_id=task_id, task=task, form=form, values=values,
        errors=errors or {}, alert=alert, can_submit=can_submit and task is not None, case=case,
        names=services().catalogue.names(), task_name=task.name if task else name,
        element=task.element_id if task else element, me=user().username, draft_at=draft_at,
        files_allowed=can_submit and task is not None, picker=picker, case_title=case.summary if case else None,
        file_links=file_links(instance_id) if case is not None else {}, confirm=confirm or [],
        hand_overs=hand_overs or [],
        picks=services().runtime.pick_options(form, user().username)), status

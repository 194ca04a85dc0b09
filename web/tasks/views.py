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

from engine.cases.queries import TaskView
from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, PermissionDenied, ProcflowError
from engine.forms import FormDefinition
from web.errors import status_of
from web.extensions import services, user
from web.forms import file_fields, flat_values, initial_values, submitted
from web.i18n import locale
from web.tasks import access, delegation
from web.tasks.delegation import Picker

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("/<int:instance_id>/<task_id>")
@login_required
def show(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Show an open task with its form, filled with the user's draft or else the case's current data."""
    task = access.open_task(user(), instance_id, task_id)
    return _task_page(instance_id, task, delegation.searched(task_id, request.args))


@bp.post("/<int:instance_id>/<task_id>")
@login_required
def complete(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Complete the task with the submitted form; on any refusal, show the form again with the input."""
    try:
        task = access.open_task(user(), instance_id, task_id)
    except (NotFound, PermissionDenied) as exc:
        return _gone(instance_id, task_id, exc)
    form = services().catalogue.task_form(instance_id, task.element_id)
    files, file_errors = _stored_files(form, instance_id, task_id)
    data = submitted(form, request.form, files)
    values = flat_values(form, data, _case_data(instance_id))
    if file_errors:
        return _page(instance_id, task_id, task=task, form=form, values=values, errors=file_errors,
                     alert=_("Some files could not be attached."), status=422)
    try:
        record = services().runtime.complete_task(task_id, user=user().username, data=data, locale=locale())
    except InvalidInput as exc:
        return _page(instance_id, task_id, task=task, form=form, values=values, errors=exc.fields,
                     alert=str(exc), status=422)
    except (NotFound, InvalidState, PermissionDenied) as exc:
        return _page(instance_id, task_id, task=task, form=form, values=values, alert=_explain(exc),
                     status=status_of(exc), can_submit=False)
    except ProcflowError as exc:  # Conflict: someone else completed it first
        message = access.completed_message(instance_id, task_id) or _explain(exc)
        return _page(instance_id, task_id, task=task, form=form, values=values, alert=message,
                     status=status_of(exc), can_submit=False)
    flash(_("Task “%(name)s” completed.", name=task.name), "success")
    if record.error_message:
        flash(_("The case then stopped with an error; the administrator must look at it."), "warning")
    return redirect(url_for("inbox.index"))


@bp.post("/<int:instance_id>/<task_id>/draft")
@login_required
def save_draft(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Keep what the user has typed so far (htmx autosave); answers with a short status line."""
    task = access.open_task(user(), instance_id, task_id)
    form = services().catalogue.task_form(instance_id, task.element_id)
    draft = services().drafts.save(task_id, user().username, submitted(form, request.form))
    return render_template("tasks/_draft_status.html", draft_at=draft.updated_at)


@bp.post("/<int:instance_id>/<task_id>/claim")
@login_required
def claim(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Take a task offered to one's group."""
    return _take(instance_id, task_id, "claim")


@bp.post("/<int:instance_id>/<task_id>/unclaim")
@login_required
def unclaim(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Give a taken task back to its groups."""
    return _take(instance_id, task_id, "unclaim")


@bp.get("/<int:instance_id>/<task_id>/delegates")
@login_required
def delegates(instance_id: int, task_id: str) -> ResponseReturnValue:
    """The delegation picker's list alone, for what is typed in its search box (htmx)."""
    access.open_task(user(), instance_id, task_id)
    return render_template("tasks/_delegate_choices.html", picker=delegation.searched(task_id, request.args))


@bp.post("/<int:instance_id>/<task_id>/delegate")
@login_required
def delegate(instance_id: int, task_id: str) -> ResponseReturnValue:
    """Hand the task to the colleague chosen in the picker; a refused choice shows the page again (422)."""
    task = access.open_task(user(), instance_id, task_id)
    name, errors = delegation.hand_over(instance_id, task_id, request.form)
    if errors:
        picker = delegation.picker(task_id, request.form.get("q", ""), request.form.get("to_user"), errors)
        return _task_page(instance_id, task, picker, status=422)
    flash(_("The task was handed to %(name)s.", name=name), "success")
    return redirect(url_for("inbox.index"))


def _take(instance_id: int, task_id: str, action: str) -> ResponseReturnValue:
    """Claim or unclaim; an htmx request gets the task's refreshed inbox row, others go back."""
    work = services().work
    try:
        getattr(work, action)(task_id, user().username)
    except Conflict as exc:
        if not request.headers.get("HX-Request"):
            raise
        return render_template("inbox/_claim.html", task=_row(instance_id, task_id), message=str(exc)), 409
    if request.headers.get("HX-Request"):
        return render_template("inbox/_claim.html", task=_row(instance_id, task_id), message=None)
    flash(_("You have taken the task.") if action == "claim" else _("The task is back with its groups."), "success")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("tasks.show", instance_id=instance_id, task_id=task_id))


def _row(instance_id: int, task_id: str) -> TaskView | None:
    return next((t for t in services().queries.tasks(instance_id=instance_id) if t.id == task_id), None)


def _stored_files(form: FormDefinition | None, instance_id: int, task_id: str) -> tuple[dict[str, Any],
                                                                                      dict[str, list[str]]]:
    """Attach the uploaded files to the case; give each file picker its values (kept ones and new ones)."""
    pickers = file_fields(form)
    if not pickers:
        return {}, {}
    me = user().username
    attachments = services().attachments
    known = {a.sha256: a for a in attachments.list_for(instance_id, me)}
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for picker in pickers:
        name = picker.name or ""
        chosen = [known[digest].file_value() for digest in request.form.getlist(name) if digest in known]
        for upload in request.files.getlist(name):
            if not upload.filename:
                continue
            try:
                chosen.append(attachments.add(instance_id, me, upload.filename, upload.stream,
                                              task_id=task_id).file_value())
            except InvalidInput as exc:
                errors.setdefault(name, []).append(_("The file could not be attached: %(why)s", why=str(exc)))
        values[name] = chosen if picker.constraints.multiple else (chosen[-1] if chosen else None)
    return values, errors


def _gone(instance_id: int, task_id: str, error: Exception) -> ResponseReturnValue:
    """The task is no longer the user's: say why, and show what they typed so that nothing is lost."""
    element = request.form.get("_element", "")
    try:
        form = services().catalogue.task_form(instance_id, element) if element else None
    except NotFound:
        form = None
    values = flat_values(form, submitted(form, request.form), _case_data(instance_id))
    completed = access.completed_message(instance_id, task_id)
    status = 409 if completed else status_of(error)
    return _page(instance_id, task_id, task=None, form=form, values=values, alert=completed or str(error),
                 status=status, can_submit=False, name=request.form.get("_task_name", ""), element=element)


def _case_data(instance_id: int) -> dict[str, Any]:
    """The case's current data, for the read-only fields of a form shown again."""
    try:
        return services().queries.instance(instance_id, with_history=False).data
    except NotFound:
        return {}


def _explain(error: Exception) -> str:
    if isinstance(error, InvalidState):
        return _("The case is not running (it may be suspended or ended), so the task cannot be completed now.")
    if isinstance(error, PermissionDenied):
        return _("This task has been given to someone else meanwhile.")
    if isinstance(error, NotFound):
        return _("This task is no longer open.")
    return _("Someone else changed this case at the same moment. Your input is kept below; reload the page "
             "to see the current state.")


def _task_page(instance_id: int, task: TaskView, picker: Picker, status: int = 200) -> ResponseReturnValue:
    """The page of an open task the user may work on, its form filled with their draft or the case's data."""
    case = services().queries.instance(instance_id, with_history=False)
    form = services().catalogue.task_form(instance_id, task.element_id)
    draft = services().drafts.load(task.id, user().username)
    values = flat_values(form, draft.data) if draft else initial_values(form, case.data)
    return _page(instance_id, task.id, task=task, form=form, values=values, case=case,
                 draft_at=draft.updated_at if draft else None, picker=picker, status=status)


def _page(instance_id: int, task_id: str, *, task: TaskView | None, form: FormDefinition | None,
          values: dict[str, Any], errors: dict[str, list[str]] | None = None, alert: str | None = None,
          status: int = 200, can_submit: bool = True, case: Any = None, name: str = "", element: str = "",
          draft_at: Any = None, picker: Picker | None = None) -> ResponseReturnValue:
    if picker is None and task is not None and can_submit:
        picker = delegation.picker(task_id)
    return render_template(
        "tasks/show.html", instance_id=instance_id, task_id=task_id, task=task, form=form, values=values,
        errors=errors or {}, alert=alert, can_submit=can_submit and task is not None, case=case,
        names=services().catalogue.names(), task_name=task.name if task else name,
        element=task.element_id if task else element, me=user().username, draft_at=draft_at,
        files_allowed=can_submit and task is not None, picker=picker), status

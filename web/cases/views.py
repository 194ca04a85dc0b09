"""Cases: the user's own cases, and one case's status, position on its diagram, history, comments and files."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from marshmallow import Schema, fields, validate

from engine.cases.queries import HistoryView
from engine.cases.search import SearchFilters
from engine.errors import InvalidInput, NotFound
from engine.persistence.models import InstanceStatus
from web.extensions import services, user
from web.i18n import locale
from web.inbox.views import URGENCY_LABELS
from web.params import load, load_or_default, page_field

bp = Blueprint("cases", __name__, url_prefix="/cases")
PER_PAGE = 25

STATUS_LABELS = {
    "running": _l("In progress"),
    "suspended": _l("Suspended"),
    "error": _l("Stopped by an error"),
    "completed": _l("Completed"),
    "terminated": _l("Cancelled"),
}
# History kinds worth a line on the case page (element_completed is the diagram's business).
EVENT_LABELS = {
    "instance_started": _l("Case started"),
    "task_created": _l("Task opened"),
    "task_claimed": _l("Task taken"),
    "task_unclaimed": _l("Task released"),
    "task_delegated": _l("Task handed over"),
    "task_completed": _l("Task completed"),
    "instance_completed": _l("Case completed"),
    "error": _l("Error"),
    "retried": _l("Retried"),
    "suspended": _l("Suspended"),
    "resumed": _l("Resumed"),
    "terminated": _l("Cancelled"),
    "message_received": _l("Message received"),
    "message_sent": _l("Message sent"),
    "signal_received": _l("Signal received"),
    "signal_sent": _l("Signal sent"),
    "deadline_error": _l("Deadline could not be computed"),
    "reminder_sent": _l("Reminder sent"),
    "escalated": _l("Overdue, reported"),
    "reassigned": _l("Overdue, reassigned"),
    "reminded": _l("Reminded"),
    "task_reassigned": _l("Task reassigned"),
    "task_handed_over": _l("Task handed over (the holder left)"),
    "comment_added": _l("Comment"),
    "attachment_added": _l("File attached"),
}


class MineSchema(Schema):
    """"My cases": of one status (default: all), a page; a stale value shows the first page of all."""

    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in InstanceStatus]))
    page = page_field()


class SearchSchema(Schema):
    """The search page's words and page (the filters are the engine's SearchFilters)."""

    q = fields.String(load_default=None, validate=validate.Length(max=200))
    page = page_field()


SEARCH_FILTERS = ("process_id", "status", "unit", "started_from", "started_to")
SEARCH_PER_PAGE = 20


class CommentSchema(Schema):
    """A remark on the case (the engine refuses a blank or overlong one)."""

    text = fields.String(load_default="", validate=validate.Length(max=100_000))


@bp.get("/")
@login_required
def mine() -> ResponseReturnValue:
    """The cases the user started or worked on, most recently changed first."""
    wanted = load_or_default(MineSchema(), request.args)
    status, page = wanted["status"], wanted["page"]
    found = services().cases.my_cases(user().username, status=status, page=page, per_page=PER_PAGE)
    return render_template("cases/mine.html", result=found, status=status, names=services().catalogue.names(),
                           status_labels=STATUS_LABELS, pages=max(1, -(-found.total // PER_PAGE)))


@bp.get("/search")
@login_required
def search() -> ResponseReturnValue:
    """"Tra cứu hồ sơ": every case the user may see, found by any word of its title, key or data, with filters.

    Works without script (a plain GET form). Filters that are not valid are named and ignored (422), like the
    inbox's; the words are searched anyway.
    """
    query = load_or_default(SearchSchema(), request.args)
    raw = {k: request.args.get(k, "") for k in SEARCH_FILTERS}
    status, alert = 200, None
    try:
        filters = SearchFilters.load(raw)
    except InvalidInput as exc:
        filters, status = SearchFilters(), 422
        alert = _("Some filters are not valid and were ignored: %(fields)s", fields=", ".join(exc.fields))
    asked = bool(query["q"]) or bool(filters.as_dict())
    try:
        result = services().search.search(user().username, query["q"], filters, page=query["page"],
                                          per_page=SEARCH_PER_PAGE) if asked else None
    except InvalidInput as exc:  # an unknown unit
        result, status = None, 422
        alert = _("Some filters are not valid and were ignored: %(fields)s", fields=", ".join(exc.fields))
    links = {**filters.as_dict(), "q": query["q"] or ""}
    return render_template("cases/search.html", result=result, q=query["q"] or "", filters=filters, raw=raw,
                           alert=alert, names=services().catalogue.names(), units=services().queries.units(),
                           status_labels=STATUS_LABELS, urgency_labels=URGENCY_LABELS, links=links), status


@bp.get("/<id:instance_id>")
@login_required
def show(instance_id: int) -> ResponseReturnValue:
    """One case: status, where it is now, its history, comments, files and diagram."""
    me = user().username
    case = services().cases.case(instance_id, me)
    mine = {t.id for t in services().queries.tasks(user=me, instance_id=instance_id)}
    names = {h.task_id: (h.data or {}).get("name") for h in case.history if h.kind == "task_created"}
    comments = services().comments.list_for(instance_id, me)
    attachments = services().attachments.list_for(instance_id, me)
    return render_template("cases/show.html", case=case, my_tasks=mine, history=_shown(case.history),
                           task_names=names, names=services().catalogue.names(), status_labels=STATUS_LABELS,
                           event_labels=EVENT_LABELS, comments=comments, attachments=attachments,
                           story=services().cases.story(case, locale()),
                           comment_texts={c.id: c.text for c in comments},
                           file_links={a.sha256: url_for("cases.download", instance_id=instance_id, attachment_id=a.id)
                                       for a in attachments},
                           documents=services().documents.documents_of_case(instance_id, me))


@bp.get("/<id:instance_id>/diagram")
@login_required
def diagram(instance_id: int) -> ResponseReturnValue:
    """The case's BPMN XML and the elements to mark, for the diagram viewer."""
    found = services().cases.diagram(instance_id, user().username)
    return jsonify(xml=found.xml, current=found.current, finished=found.finished, failed=found.failed)


@bp.post("/<id:instance_id>/comments")
@login_required
def comment(instance_id: int) -> ResponseReturnValue:
    """Add a remark to the case."""
    services().comments.add(instance_id, user().username, load(CommentSchema(), request.form)["text"])
    flash(_("Comment added."), "success")
    return redirect(url_for("cases.show", instance_id=instance_id) + "#case-comments")


@bp.post("/<id:instance_id>/attachments")
@login_required
def attach(instance_id: int) -> ResponseReturnValue:
    """Attach an uploaded file to the case."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(_("Choose a file to attach."), {"file": [_("Choose a file to attach.")]})
    view = services().attachments.add(instance_id, user().username, upload.filename, upload.stream)
    flash(_("File “%(name)s” attached.", name=view.filename), "success")
    return redirect(url_for("cases.show", instance_id=instance_id) + "#case-files")


@bp.get("/<id:instance_id>/attachments/<id:attachment_id>")
@login_required
def download(instance_id: int, attachment_id: int) -> ResponseReturnValue:
    """Download an attachment (always as a download, never shown inline)."""
    found = services().attachments.open(attachment_id, user().username)
    if found.view.instance_id != instance_id:
        found.stream.close()
        raise NotFound(f"attachment {attachment_id} is not one of case {instance_id}'s")
    return send_file(found.stream, mimetype=found.view.content_type, as_attachment=True,
                     download_name=found.view.filename, max_age=0)


def _shown(history: list[HistoryView]) -> list[HistoryView]:
    return [h for h in reversed(history) if h.kind in EVENT_LABELS]

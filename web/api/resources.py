"""The API's resources: processes (start a case), cases, tasks, messages; each acts as the calling user.

Documents, notifications and the administrators' resources are in their own modules (BLUEPRINTS lists them all).
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from sqlalchemy.engine import Connection

from engine.cases.attachments import Upload
from engine.cases.search import SearchFilters
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.inbox.desk import Submission, TaskClosed
from engine.inputs.strict_json import loads_strict
from engine.runtime.versions import require_version
from web.api import admin, documents, notifications, schemas
from web.api.auth import me, needs, require
from web.api.common import ETAG_HEADER, IF_MATCH, case_id, etag, if_match, visible
from web.api.common import problems as _problems
from web.api.problems import problem
from web.errors import engine_text
from web.extensions import services
from web.i18n import locale

processes = Blueprint("api_processes", __name__, url_prefix="/api/v1/processes",
                      description="Procedures the caller may start (scope: cases).")
cases = Blueprint("api_cases", __name__, url_prefix="/api/v1/cases",
                  description="The caller's cases, and a case they may see (scope: cases).")
tasks = Blueprint("api_tasks", __name__, url_prefix="/api/v1/tasks",
                  description="The caller's open tasks: claim, give back, complete (scope: tasks).")
messages = Blueprint("api_messages", __name__, url_prefix="/api/v1/messages",
                     description="BPMN messages to cases (scope: messages).")
BLUEPRINTS = (processes, cases, tasks, messages, *documents.BLUEPRINTS, *notifications.BLUEPRINTS,
              *admin.BLUEPRINTS)
PROBLEMS = (401, 403, 404, 409, 412, 422, 429, 503)
processes.before_request(needs("cases"))
cases.before_request(needs("cases"))
tasks.before_request(needs("tasks"))
messages.before_request(needs("messages"))


@processes.route("/")
@processes.response(200, schemas.ProcessSchema(many=True))
@_problems(401, 403, 429)
def list_processes() -> Any:
    """The procedures the caller may start."""
    require("cases")
    return services().catalogue.startable(me())


@processes.route("/<process_id>/cases", methods=["POST"])
@processes.arguments(schemas.StartSchema)
@processes.response(201, schemas.CreatedSchema)
@_problems(401, 403, 404, 409, 422, 429, 503)
def start_case(body: dict[str, Any], process_id: str) -> Any:
    """Start a case of the procedure with the start form's data."""
    require("cases")
    # The runtime refuses a user in none of the starter groups (403) and an unknown procedure (404) itself.
    files: dict[str, list[Upload]] = {}
    if request.mimetype == "multipart/form-data":  # a start form with files: data as a JSON part, files by field
        body, files = _multipart_start()
    instance_id = services().starter.start(process_id, data=body["data"], files=files,
                                           business_key=body["business_key"], user=me(), locale=locale())
    return {"id": instance_id}


def _multipart_start() -> tuple[dict[str, Any], dict[str, list[Upload]]]:
    """A start sent as multipart/form-data: the ``data`` part (a JSON object), ``business_key``, and one part per
    file, named by the start form's file field."""
    data = loads_strict(request.form.get("data") or "{}", field="data")  # InvalidJson: a 422 naming the part
    if not isinstance(data, dict):
        raise InvalidInput("data must be a JSON object", {"data": ["must be a JSON object"]})
    key = request.form.get("business_key") or None
    if key is not None and len(key) > 255:
        raise InvalidInput("business_key is too long", {"business_key": ["at most 255 characters"]})
    files = {name: [Upload(f.filename or "", f.stream) for f in request.files.getlist(name)] for name in request.files}
    return {"data": data, "business_key": key}, files


@cases.route("/")
@cases.arguments(schemas.CaseSearchSchema, location="query")
@cases.response(200, schemas.CasePageSchema)
@_problems(401, 403, 422, 429)
def list_cases(wanted: dict[str, Any]) -> Any:
    """The cases the caller started or worked on, most recently changed first, a page at a time; ``q`` finds
    cases with each of its words in their title, business key or data (case and accents ignored; docs/search.md)."""
    require("cases")
    found = services().cases.my_cases(me(), status=wanted["status"], process_id=wanted["process"],
                                      page=wanted["page"], per_page=schemas.PER_PAGE, search=wanted["q"])
    return {"items": [r.as_dict() for r in found.rows], "total": found.total, "page": found.page,
            "per_page": found.per_page}


@cases.route("/search")
@cases.arguments(schemas.FullTextSearchSchema, location="query")
@cases.response(200, schemas.SearchPageSchema)
@_problems(401, 403, 422, 429)
def search_cases(wanted: dict[str, Any]) -> Any:
    """Full-text search over every case the caller may see (as the "Tra cứu hồ sơ" page): words of the title,
    business key and data, case and diacritics ignored, best first, with the words marked; filters by procedure,
    status, unit (and the units below) and start period. No words: the filtered cases, latest change first."""
    require("cases")
    filters = SearchFilters(process_id=wanted["process_id"], status=wanted["status"], unit=wanted["unit"],
                            started_from=wanted["started_from"], started_to=wanted["started_to"])
    found = services().search.search(me(), wanted["q"] or None, filters, page=wanted["page"],
                                     per_page=wanted["per_page"])
    return {"items": [h.as_dict() for h in found.hits], "total": found.total, "more": found.more,
            "page": found.page, "per_page": found.per_page}


@cases.route("/<int:instance_id>")
@cases.response(200, schemas.CaseSchema, headers=ETAG_HEADER)
@_problems(401, 403, 404, 429)
def get_case(instance_id: int) -> Any:
    """One case the caller may see: status, data, open tasks and history; its ETag is the case's version (the
    administrators' suspend, resume and cancel take it as If-Match)."""
    require("cases")
    try:
        version = services().cases.version(case_id(instance_id), me())  # first: a tag never newer than the data
        return services().cases.case(instance_id, me()).as_dict(), etag(version)
    except PermissionDenied as exc:
        raise NotFound("no instance {instance_id}", instance_id=instance_id) from exc


@tasks.route("/")
@tasks.response(200, schemas.TaskSchema(many=True))
@_problems(401, 403, 429)
def list_tasks() -> Any:
    """The caller's open tasks: assigned to them or offered to their groups."""
    require("tasks")
    return [t.as_dict() for t in services().queries.tasks(user=me())]


@tasks.route("/<int:instance_id>/<task_id>")
@tasks.response(200, schemas.TaskSchema, headers=ETAG_HEADER)
@_problems(401, 403, 404, 409, 429)
def get_task(instance_id: int, task_id: str) -> Any:
    """An open task of a case the caller may see; its ETag is the task's version (claim, unclaim and complete
    take it as If-Match). 409 names who completed it, if someone did."""
    require("tasks")
    task, version = services().work.task(me(), case_id(instance_id), task_id)
    return task.as_dict(), etag(version)


@tasks.route("/<int:instance_id>/<task_id>/claim", methods=["POST"])
@tasks.response(204)
@tasks.doc(parameters=[IF_MATCH])
@_problems(401, 403, 404, 409, 412, 429)
def claim(instance_id: int, task_id: str) -> Any:
    """Take a task offered to the caller's groups."""
    require("tasks")
    services().work.claim(task_id, me(), instance_id=case_id(instance_id), expected=if_match())
    return ""


@tasks.route("/<int:instance_id>/<task_id>/unclaim", methods=["POST"])
@tasks.response(204)
@tasks.doc(parameters=[IF_MATCH])
@_problems(401, 403, 404, 409, 412, 429)
def unclaim(instance_id: int, task_id: str) -> Any:
    """Give a taken task back to its groups."""
    require("tasks")
    services().work.unclaim(task_id, me(), instance_id=case_id(instance_id), expected=if_match())
    return ""


@tasks.route("/<int:instance_id>/<task_id>/complete", methods=["POST"])
@tasks.arguments(schemas.CompleteSchema)
@tasks.response(200, schemas.CompletedSchema)
@tasks.doc(parameters=[IF_MATCH])
@_problems(401, 403, 404, 409, 412, 422, 429, 503)
def complete(body: dict[str, Any], instance_id: int, task_id: str) -> ResponseReturnValue:
    """Complete the task with its form's values (422 with messages per field; 409 if someone else did first;
    412 if it changed since the If-Match version)."""
    require("tasks")
    case_id(instance_id)  # the desk refuses a case the caller may not see as missing
    expected = if_match()
    if expected is not None:  # a stale version is refused before whose task it is (checked again when locked)
        require_version(services().work.task(me(), instance_id, task_id)[1], expected)
    fields = {name: [_text(v) for v in (value if isinstance(value, list) else [value])]
              for name, value in body["data"].items()}
    # A program's call is its decision: the page's second question about a send-back is for people clicking.
    outcome = services().desk.complete(me(), instance_id, task_id, Submission(fields, confirmed=True),
                                       locale=locale(), expected=expected)
    error = outcome.error
    if error is None:
        assert outcome.record is not None
        return {"instance_id": instance_id, "status": outcome.record.status.value}
    if isinstance(error, TaskClosed) and error.done is not None:
        return problem(409, engine_text(error))
    raise error


def _text(value: Any) -> str:
    """A JSON value as the text a form field would have posted."""
    if isinstance(value, bool):
        return "true" if value else ""
    return "" if value is None else str(value)


@messages.route("/<message_name>", methods=["POST"])
@messages.arguments(schemas.MessageSchema)
@messages.response(202, schemas.DeliveredSchema)
@_problems(401, 403, 404, 409, 422, 429, 503)
def send_message(body: dict[str, Any], message_name: str) -> Any:
    """Deliver a BPMN message to the case named by id or business key, or route it like a thrown message to a
    case the caller may see (or a procedure starting on it)."""
    require("messages")
    instance_id = None
    if body["instance_id"] is not None or body["business_key"] is not None:
        # Named: it must be a case the caller may see (a business key is resolved first, so that it cannot
        # reach, or reveal, a case hidden from them).
        instance_id = visible(services().runtime.resolve(body["instance_id"], body["business_key"]))
    user, access = me(), services().access

    def may_receive(conn: Connection, case: int) -> bool:
        try:
            return access.sees(conn, user, case)
        except NotFound:
            return False

    record = services().runtime.send_message(message_name, instance_id=instance_id, payload=body["data"],
                                             user=user, may_receive=may_receive)
    if record is None:
        return {"instance_id": None, "status": None}
    return {"instance_id": record.id, "status": record.status.value}


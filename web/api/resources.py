"""The API's resources: processes (start a case), cases, tasks, messages; each acts as the calling user."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_smorest import Blueprint

from engine.cases.attachments import Upload
from engine.cases.catalogue import NotAStarter
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.inbox.desk import Submission, TaskClosed
from engine.inputs.strict_json import loads_strict
from web.api import schemas
from web.api.auth import me, require
from web.api.problems import ProblemSchema, problem
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
BLUEPRINTS = (processes, cases, tasks, messages)
PROBLEMS = (401, 403, 404, 409, 422, 503)


def _problems(*codes: int) -> Any:
    """Document the problems an operation may answer (alt_response only marks the view: any blueprint's will do)."""
    def wrap(view: Any) -> Any:
        for code in codes:
            view = processes.alt_response(code, schema=ProblemSchema, content_type="application/problem+json",
                                          description="a problem (RFC 9457)")(view)
        return view
    return wrap


def _case_id(instance_id: int) -> int:
    if not 1 <= instance_id <= schemas.MAX_ID:
        raise NotFound("no instance {instance_id}", instance_id=instance_id)
    return instance_id


def _visible(instance_id: int) -> int:
    """The case id if the caller may see it; a case they may not see is as missing (404)."""
    if not services().access.may_see_case(me(), _case_id(instance_id)):
        raise NotFound("no instance {instance_id}", instance_id=instance_id)
    return instance_id


@processes.route("/")
@processes.response(200, schemas.ProcessSchema(many=True))
@_problems(401, 403)
def list_processes() -> Any:
    """The procedures the caller may start."""
    require("cases")
    return services().catalogue.startable(me())


@processes.route("/<process_id>/cases", methods=["POST"])
@processes.arguments(schemas.StartSchema)
@processes.response(201, schemas.CreatedSchema)
@_problems(401, 403, 404, 409, 422, 503)
def start_case(body: dict[str, Any], process_id: str) -> Any:
    """Start a case of the procedure with the start form's data."""
    require("cases")
    try:
        services().catalogue.startable_process(process_id, me())
    except NotAStarter as exc:
        raise PermissionDenied(_("Only members of %(groups)s may start this procedure.",
                                 groups=", ".join(exc.groups))) from exc
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
@cases.arguments(schemas.CaseFilterSchema, location="query")
@cases.response(200, schemas.CasePageSchema)
@_problems(401, 403, 422)
def list_cases(wanted: dict[str, Any]) -> Any:
    """The cases the caller started or worked on, most recently changed first, a page at a time."""
    require("cases")
    found = services().cases.my_cases(me(), status=wanted["status"], process_id=wanted["process"],
                                      page=wanted["page"], per_page=schemas.PER_PAGE)
    return {"items": [r.as_dict() for r in found.rows], "total": found.total, "page": found.page,
            "per_page": found.per_page}


@cases.route("/<int:instance_id>")
@cases.response(200, schemas.CaseSchema)
@_problems(401, 403, 404)
def get_case(instance_id: int) -> Any:
    """One case the caller may see: status, data, open tasks and history."""
    require("cases")
    try:
        return services().cases.case(_case_id(instance_id), me()).as_dict()
    except PermissionDenied as exc:
        raise NotFound("no instance {instance_id}", instance_id=instance_id) from exc


@tasks.route("/")
@tasks.response(200, schemas.TaskSchema(many=True))
@_problems(401, 403)
def list_tasks() -> Any:
    """The caller's open tasks: assigned to them or offered to their groups."""
    require("tasks")
    return [t.as_dict() for t in services().queries.tasks(user=me())]


def _open_task_of(instance_id: int, task_id: str) -> None:
    _visible(instance_id)
    if not any(t.id == task_id for t in services().queries.tasks(instance_id=instance_id)):
        raise NotFound("no open task {task_id}", task_id=task_id)


@tasks.route("/<int:instance_id>/<task_id>/claim", methods=["POST"])
@tasks.response(204)
@_problems(401, 403, 404, 409)
def claim(instance_id: int, task_id: str) -> Any:
    """Take a task offered to the caller's groups."""
    require("tasks")
    _open_task_of(instance_id, task_id)
    services().work.claim(task_id, me())
    return ""


@tasks.route("/<int:instance_id>/<task_id>/unclaim", methods=["POST"])
@tasks.response(204)
@_problems(401, 403, 404, 409)
def unclaim(instance_id: int, task_id: str) -> Any:
    """Give a taken task back to its groups."""
    require("tasks")
    _open_task_of(instance_id, task_id)
    services().work.unclaim(task_id, me())
    return ""


@tasks.route("/<int:instance_id>/<task_id>/complete", methods=["POST"])
@tasks.arguments(schemas.CompleteSchema)
@tasks.response(200, schemas.CompletedSchema)
@_problems(401, 403, 404, 409, 422, 503)
def complete(body: dict[str, Any], instance_id: int, task_id: str) -> ResponseReturnValue:
    """Complete the task with its form's values (422 with messages per field; 409 if someone else did first)."""
    require("tasks")
    _visible(instance_id)
    fields = {name: [_text(v) for v in (value if isinstance(value, list) else [value])]
              for name, value in body["data"].items()}
    # A program's call is its decision: the page's second question about a send-back is for people clicking.
    outcome = services().desk.complete(me(), instance_id, task_id, Submission(fields, confirmed=True),
                                       locale=locale())
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
@_problems(401, 403, 404, 409, 422, 503)
def send_message(body: dict[str, Any], message_name: str) -> Any:
    """Deliver a BPMN message to the case named by id or business key, or route it like a thrown message."""
    require("messages")
    instance_id = None
    if body["instance_id"] is not None or body["business_key"] is not None:
        # Named: it must be a case the caller may see (a business key is resolved first, so that it cannot
        # reach, or reveal, a case hidden from them).
        instance_id = _visible(services().runtime.resolve(body["instance_id"], body["business_key"]))
    record = services().runtime.send_message(message_name, instance_id=instance_id, payload=body["data"],
                                             user=me())
    if record is None:
        return {"instance_id": None, "status": None}
    return {"instance_id": record.id, "status": record.status.value}


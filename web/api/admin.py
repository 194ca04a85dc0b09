"""The administrators' resources (scope ``admin``, and the token's user in the administrators' group): every case
by status, suspending, resuming and cancelling cases (with If-Match), the users, and deactivating one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_babel import gettext as _
from flask_smorest import Blueprint

from engine.cases.admin import AdminCaseRow
from engine.errors import InvalidInput, PermissionDenied
from web.api import schemas
from web.api.auth import me, needs, require
from web.api.common import ETAG_HEADER, IF_MATCH, case_id, etag, if_match, problems
from web.extensions import services

admin = Blueprint("api_admin", __name__, url_prefix="/api/v1/admin",
                  description="Every case and the users, for administrators (scope: admin).")
BLUEPRINTS = (admin,)
admin.before_request(needs("admin"))


def _admin() -> str:
    """The caller, if the token has the scope ``admin`` and acts for an administrator (else 403)."""
    require("admin")
    services().admin.require_admin(me())
    return me()


def _row(row: AdminCaseRow) -> dict[str, Any]:
    out = asdict(row)
    for key in ("started_at", "updated_at", "ended_at"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


def _after(instance_id: int) -> Any:
    """The case's row after an action, with its new version as ETag."""
    user = me()
    return _row(services().admin.case(user, instance_id)), etag(services().cases.version(instance_id, user))


@admin.route("/cases")
@admin.arguments(schemas.AdminCaseFilterSchema, location="query")
@admin.response(200, schemas.AdminCasePageSchema)
@problems(401, 403, 422, 429)
def list_cases(wanted: dict[str, Any]) -> Any:
    """Every case (of ``status`` and ``process`` if given), most recently changed first."""
    found = services().admin.cases(_admin(), status=wanted["status"], process_id=wanted["process"],
                                   page=wanted["page"], per_page=wanted["per_page"])
    return {"items": [_row(r) for r in found.rows], "total": found.total, "page": found.page,
            "per_page": found.per_page, "counts": found.counts}


@admin.route("/cases/<int:instance_id>/suspend", methods=["POST"])
@admin.response(200, schemas.AdminCaseRowSchema, headers=ETAG_HEADER)
@admin.doc(parameters=[IF_MATCH])
@problems(401, 403, 404, 409, 412, 429, 503)
def suspend(instance_id: int) -> Any:
    """Stop a running case from moving (its tasks cannot be completed, its timers wait) until it is resumed."""
    services().runtime.suspend(case_id(instance_id), user=_admin(), expected=if_match())
    return _after(instance_id)


@admin.route("/cases/<int:instance_id>/resume", methods=["POST"])
@admin.response(200, schemas.AdminCaseRowSchema, headers=ETAG_HEADER)
@admin.doc(parameters=[IF_MATCH])
@problems(401, 403, 404, 409, 412, 429, 503)
def resume(instance_id: int) -> Any:
    """Let a suspended case move again (timers that fell due meanwhile fire now)."""
    services().runtime.resume(case_id(instance_id), user=_admin(), expected=if_match())
    return _after(instance_id)


@admin.route("/cases/<int:instance_id>/cancel", methods=["POST"])
@admin.arguments(schemas.CancelSchema)
@admin.response(200, schemas.AdminCaseRowSchema, headers=ETAG_HEADER)
@admin.doc(parameters=[IF_MATCH])
@problems(401, 403, 404, 409, 412, 422, 429, 503)
def cancel(body: dict[str, Any], instance_id: int) -> Any:
    """End a case for good with the reason (kept in its history); its open tasks are withdrawn."""
    reason = body["reason"].strip()
    if not reason:
        message = _("Give the reason for cancelling the case.")
        raise InvalidInput(message, {"reason": [message]})
    services().runtime.terminate(case_id(instance_id), user=_admin(), reason=reason, expected=if_match())
    return _after(instance_id)


@admin.route("/users")
@admin.arguments(schemas.PeopleFilterSchema, location="query")
@admin.response(200, schemas.PersonSchema(many=True))
@problems(401, 403, 422, 429)
def list_users(wanted: dict[str, Any]) -> Any:
    """The users (active ones first, by user name; at most 500), found by name or user name, of a unit."""
    _admin()
    people = services().people.people(search=wanted["q"], unit=wanted["unit"],
                                      include_inactive=not wanted["active_only"])
    return [{**asdict(p), "groups": list(p.groups),
             "deactivated_at": p.deactivated_at.isoformat() if p.deactivated_at else None} for p in people]


@admin.route("/users/<username>/deactivate", methods=["POST"])
@admin.response(200, schemas.DeactivatedSchema)
@problems(401, 403, 404, 409, 429, 503)
def deactivate(username: str) -> Any:
    """The user left: no more sign-ins or tokens, their sessions end, their open tasks go to their unit's head."""
    if username == _admin():
        raise PermissionDenied(_("You cannot deactivate yourself."))
    done = services().departures.deactivate(username, by=me())
    return {"username": done.username, "tasks": len(done.tasks), "handed_to": done.handed_to}

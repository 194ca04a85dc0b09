"""The engine's boundary: input validated with marshmallow, and who may act on what."""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from engine.errors import InvalidInput, PermissionDenied, no_user
from engine.i18n import N_
from engine.persistence.repository import OpenTask
from engine.runtime.inbox_rows import USER_PREFIX


class StartSchema(Schema):
    """What starting an instance takes."""

    process_id = fields.String(required=True, validate=validate.Length(1, 100))
    business_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    data = fields.Dict(keys=fields.String(), load_default=dict)
    user = fields.String(load_default=None, allow_none=True)


class CompleteSchema(Schema):
    """What completing a task takes."""

    task_id = fields.UUID(required=True)
    user = fields.String(required=True, validate=validate.Length(1, 100))
    data = fields.Dict(keys=fields.String(), load_default=dict)


START = StartSchema()
COMPLETE = CompleteSchema()


def load_input(schema: Schema, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate ``raw`` with ``schema``; field problems become :class:`InvalidInput` with per-field messages."""
    try:
        loaded = schema.load(raw)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        fields_ = {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in messages.items()}
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields_.items())
        raise InvalidInput("{problems}", fields_, problems=problems) from exc
    require_json(loaded.get("data", {}))
    return loaded


def require_json(data: dict[str, Any]) -> None:
    """Refuse data that cannot be stored as JSON (it would be lost in the saved state): NaN and infinities too."""
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(N_("data must be plain JSON: {error}"), {"data": [str(exc)]}, error=exc) from exc


def check_may_work(task: OpenTask, user: str) -> None:
    """The assignee may work on a task; an unassigned one is open to its candidates (or to all if none)."""
    if not task.user_active:
        raise no_user(user)
    if task.assignee:
        if task.assignee != user:
            raise PermissionDenied(N_("task {task_id} is assigned to {assignee}"), task_id=task.id,
                                   assignee=task.assignee)
        return
    if task.group_codes and not (task.user_is_candidate or USER_PREFIX + user in task.group_codes):
        raise PermissionDenied(N_("task {task_id} is for {groups}; {user} is not a member"), task_id=task.id,
                               groups=', '.join(task.group_codes), user=user)

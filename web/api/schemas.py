"""The API's marshmallow schemas: what each resource reads and answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.persistence.models import InstanceStatus
from web.params import MAX_PAGE

MAX_ID = 2**31 - 1
PER_PAGE = 25


class ProcessSchema(Schema):
    """A procedure the caller may start."""

    process_id = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    documentation = fields.String()
    starter_groups = fields.List(fields.String())
    start_form = fields.String(allow_none=True)


class StartSchema(Schema):
    """A case to start: the start form's data (validated by the engine against the form)."""

    data = fields.Dict(keys=fields.String(), load_default=dict)
    business_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))


class CreatedSchema(Schema):
    """The id of the case just started."""

    id = fields.Integer(required=True)


class OpenStepSchema(Schema):
    task_id = fields.String()
    name = fields.String()
    assignee = fields.String(allow_none=True)
    created_at = fields.String()
    due_at = fields.String(allow_none=True)


class CaseRowSchema(Schema):
    """One of the caller's cases."""

    id = fields.Integer()
    process_id = fields.String()
    business_key = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    urgency = fields.String(allow_none=True)
    status = fields.String()
    started_by = fields.String(allow_none=True)
    started_at = fields.String()
    updated_at = fields.String()
    ended_at = fields.String(allow_none=True)
    since = fields.String()
    open_tasks = fields.List(fields.Nested(OpenStepSchema))


class CasePageSchema(Schema):
    """A page of the caller's cases."""

    items = fields.List(fields.Nested(CaseRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CaseFilterSchema(Schema):
    """Filters of the case list."""

    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in InstanceStatus]))
    process = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))


class TaskSchema(Schema):
    """An open task."""

    id = fields.String()
    instance_id = fields.Integer()
    process_id = fields.String()
    element_id = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    assignee = fields.String(allow_none=True)
    created_at = fields.String()
    due_at = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)


class HistorySchema(Schema):
    at = fields.String()
    kind = fields.String()
    element_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)


class CaseSchema(Schema):
    """One case with its data, open tasks and history."""

    id = fields.Integer()
    process_id = fields.String()
    version = fields.Integer()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    started_by = fields.String(allow_none=True)
    started_at = fields.String()
    updated_at = fields.String()
    ended_at = fields.String(allow_none=True)
    error_element = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)
    completed_tasks = fields.Integer()
    summary = fields.String(allow_none=True)
    open_tasks = fields.List(fields.Nested(TaskSchema))
    data = fields.Dict()
    history = fields.List(fields.Nested(HistorySchema))


class CompleteSchema(Schema):
    """A task form's values by field name (the engine validates them against the form)."""

    data = fields.Dict(keys=fields.String(), load_default=dict)


class CompletedSchema(Schema):
    """The case after the task was completed."""

    instance_id = fields.Integer()
    status = fields.String()


class MessageSchema(Schema):
    """A BPMN message: to the case with this id or business key, or routed like a thrown message."""

    instance_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, MAX_ID))
    business_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=255))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class DeliveredSchema(Schema):
    """Where the message went (no instance_id: routed, delivered by the worker)."""

    instance_id = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True)

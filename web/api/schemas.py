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


class CaseSearchSchema(CaseFilterSchema):
    """Filters of the case list, and words looked for in the cases' title, business key and data."""

    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "words each found in the title, business key or data text "
                                               "(case and accents ignored; the last one also as a prefix)"})


class FullTextSearchSchema(Schema):
    """Full-text search over every case the caller may see (docs/search.md)."""

    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "words of the title, business key or data (case and diacritics "
                                               "ignored; every word must appear; the last one may be a prefix)"})
    process_id = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in InstanceStatus]))
    unit = fields.String(load_default=None, validate=validate.Length(min=1, max=50),
                         metadata={"description": "a unit's code: cases of it and the units below"})
    started_from = fields.Date(load_default=None)
    started_to = fields.Date(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=PER_PAGE, validate=validate.Range(1, 200))


class SearchHitSchema(Schema):
    """One case found, with the query's words marked: each ``*_marks`` is a list of ``[text, is_hit]``."""

    id = fields.Integer()
    process_id = fields.String()
    business_key = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    status = fields.String()
    urgency = fields.String(allow_none=True)
    unit_code = fields.String(allow_none=True)
    started_at = fields.String()
    updated_at = fields.String()
    title_marks = fields.List(fields.Tuple((fields.String(), fields.Boolean())))
    key_marks = fields.List(fields.Tuple((fields.String(), fields.Boolean())))
    snippet = fields.List(fields.Tuple((fields.String(), fields.Boolean())))


class SearchPageSchema(Schema):
    """A page of search hits, best first, and how many cases match in all."""

    items = fields.List(fields.Nested(SearchHitSchema))
    total = fields.Integer(metadata={"description": "how many cases match (at most 1,000 when words are given)"})
    more = fields.Boolean(metadata={"description": "more than ``total`` cases have the words: the most recent "
                                                   "``total`` of them were ranked; add words or filters"})
    page = fields.Integer()
    per_page = fields.Integer()


class AdminCaseFilterSchema(Schema):
    """Filters of the administrators' list of every case."""

    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in InstanceStatus]))
    process = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=PER_PAGE, validate=validate.Range(1, 200))


class AdminCaseRowSchema(Schema):
    """A case as administrators list it: where a failed one stopped, and whether a newer version exists."""

    id = fields.Integer()
    process_id = fields.String()
    version = fields.Integer()
    latest_version = fields.Integer()
    business_key = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    status = fields.String()
    started_by = fields.String(allow_none=True)
    started_at = fields.String()
    updated_at = fields.String()
    ended_at = fields.String(allow_none=True)
    error_element = fields.String(allow_none=True)
    error_message = fields.String(allow_none=True)


class AdminCasePageSchema(Schema):
    """A page of every case, and how many cases there are in each status."""

    items = fields.List(fields.Nested(AdminCaseRowSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class CancelSchema(Schema):
    """Why a case is cancelled (kept in its history)."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class PersonSchema(Schema):
    """A user of the organisation, as administrators list them."""

    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    language = fields.String()
    active = fields.Boolean()
    deactivated_at = fields.String(allow_none=True)
    groups = fields.List(fields.String())


class PeopleFilterSchema(Schema):
    """Filters of the list of users."""

    q = fields.String(load_default="", validate=validate.Length(max=100))
    unit = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    active_only = fields.Boolean(load_default=False)


class DeactivatedSchema(Schema):
    """What deactivating a user did with their open tasks."""

    username = fields.String()
    tasks = fields.Integer(metadata={"description": "how many open tasks were handed over"})
    handed_to = fields.String(allow_none=True, metadata={"description": "their unit's head (null: their groups)"})


class NotificationSchema(Schema):
    """A notification, worded in the request's language."""

    id = fields.Integer()
    kind = fields.String()
    instance_id = fields.Integer(allow_none=True)
    task_id = fields.String(allow_none=True)
    message = fields.String()
    created_at = fields.String()
    read_at = fields.String(allow_none=True)


class NotificationPageSchema(Schema):
    """A page of the caller's notifications (unread first), the total and how many are unread."""

    items = fields.List(fields.Nested(NotificationSchema))
    total = fields.Integer()
    unread = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class PageSchema(Schema):
    """Which page."""

    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=PER_PAGE, validate=validate.Range(1, 200))


class MarkReadSchema(Schema):
    """Notifications to mark read: these ids (the caller's own; others' are ignored), or all."""

    ids = fields.List(fields.Integer(validate=validate.Range(1, MAX_ID)), load_default=list,
                      validate=validate.Length(max=1000))
    all = fields.Boolean(load_default=False)


class MarkedSchema(Schema):
    """How many notifications were marked read, and how many remain unread."""

    marked = fields.Integer()
    unread = fields.Integer()


class RegisterFilterSchema(Schema):
    """A register (incoming or outgoing), its year, words to look for, a status, and the page."""

    register = fields.String(required=True, validate=validate.OneOf(["incoming", "outgoing"]))
    year = fields.Integer(load_default=None, validate=validate.Range(1990, 2200))
    q = fields.String(load_default="", validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(["registered", "draft", "signed", "issued"]))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=PER_PAGE, validate=validate.Range(1, 200))


class DocumentSchema(Schema):
    """A document's record as the registers keep it."""

    id = fields.Integer()
    kind = fields.String()
    status = fields.String()
    register = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)
    number = fields.Integer(allow_none=True)
    notation = fields.String(allow_none=True)
    issuing_agency = fields.String(allow_none=True)
    doc_type = fields.String(allow_none=True)
    doc_date = fields.String(allow_none=True)
    summary = fields.String(allow_none=True)
    signer = fields.String(allow_none=True)
    signer_position = fields.String(allow_none=True)
    urgency = fields.String(allow_none=True)
    confidentiality = fields.String(allow_none=True)
    pages = fields.Integer(allow_none=True)
    recipients = fields.String(allow_none=True)
    arrival_date = fields.String(allow_none=True)
    issued_at = fields.String(allow_none=True)
    handling_deadline = fields.String(allow_none=True)
    lead_unit = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    place = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = fields.String()


class DocumentPageSchema(Schema):
    """A page of a register."""

    items = fields.List(fields.Nested(DocumentSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class SignatureSchema(Schema):
    """One signature of a PDF as verified when the file was stored."""

    field = fields.String()
    role = fields.String(allow_none=True)
    signer_name = fields.String()
    subject = fields.String()
    serial = fields.String()
    fingerprint = fields.String()
    issuer = fields.String()
    signed_at = fields.String(allow_none=True)
    timestamped = fields.Boolean()
    intact = fields.Boolean()
    trusted = fields.Boolean()
    valid = fields.Boolean()
    modifications = fields.String()
    problems = fields.List(fields.String())


class FileSchema(Schema):
    """A file of a document (download it at .../files/{id})."""

    id = fields.Integer()
    document_id = fields.Integer()
    role = fields.String()
    version = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    instance_id = fields.Integer(allow_none=True)
    task_id = fields.String(allow_none=True)
    username = fields.String(allow_none=True)
    signatures = fields.List(fields.Nested(SignatureSchema), allow_none=True)
    verified_at = fields.String(allow_none=True)
    created_at = fields.String(allow_none=True)


class HandlingCaseSchema(Schema):
    """A case handling the document."""

    instance_id = fields.Integer()
    process_id = fields.String()
    status = fields.String()
    summary = fields.String(allow_none=True)
    relation = fields.String()


class DocumentStepSchema(Schema):
    instance_id = fields.Integer()
    element_id = fields.String()
    name = fields.String()
    actor = fields.String(allow_none=True)
    actor_name = fields.String(allow_none=True)
    at = fields.String()


class RemarkSchema(Schema):
    instance_id = fields.Integer()
    kind = fields.String()
    text = fields.String()
    author = fields.String(allow_none=True)
    author_name = fields.String(allow_none=True)
    at = fields.String()


class DocumentDetailSchema(Schema):
    """A document: its record, files, handling cases, their steps, directions and comments."""

    document = fields.Nested(DocumentSchema)
    files = fields.List(fields.Nested(FileSchema))
    cases = fields.List(fields.Nested(HandlingCaseSchema))
    steps = fields.List(fields.Nested(DocumentStepSchema))
    remarks = fields.List(fields.Nested(RemarkSchema))


class VerificationSchema(Schema):
    """The verification of a file's signatures: ``valid`` when it has at least one and every one is valid."""

    file_id = fields.Integer()
    filename = fields.String()
    sha256 = fields.String()
    verified_at = fields.String(allow_none=True)
    signed = fields.Boolean(metadata={"description": "whether the file carries any signature"})
    valid = fields.Boolean()
    signatures = fields.List(fields.Nested(SignatureSchema))

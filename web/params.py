"""Reading a request's query arguments and form fields with marshmallow schemas, the same way on every page.

A schema declares every field a view reads, with bounds; :func:`load` turns a refusal into InvalidInput (a 422 page
with messages per field, web/errors.py). Shared schemas live here; an area's own live beside its views.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from engine.errors import InvalidInput

MAX_PAGE = 10_000
MAX_ID = 2**63 - 1  # the largest id a database column holds


def load(schema: Schema, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate query or form arguments; empty values count as not given. Raises InvalidInput (a 422 page)."""
    known = {f.data_key or name for name, f in schema.fields.items()}
    given = {key: value for key, value in raw.items() if key in known and value not in ("", None)}
    try:
        return schema.load(given)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        fields_ = {key: [str(m) for m in (value if isinstance(value, list) else [value])]
                   for key, value in messages.items()}
        raise InvalidInput(_("Some of the choices are not valid: %(fields)s", fields=", ".join(fields_)),
                           fields_) from exc


def load_or_default(schema: Schema, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Like :func:`load`, but a field in error takes its default: a stale link (page 0, an old status) still shows
    the page."""
    try:
        return load(schema, raw)
    except InvalidInput as exc:
        return load(schema, {key: value for key, value in raw.items() if key not in exc.fields})


def page_field() -> fields.Integer:
    """A page number: a whole number from 1 (the default) to 10,000."""
    return fields.Integer(load_default=1, strict=False, validate=validate.Range(1, MAX_PAGE))


class PageSchema(Schema):
    """A list's page number."""

    page = page_field()

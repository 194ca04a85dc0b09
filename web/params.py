"""Reading a request's query arguments and form fields with marshmallow schemas, the same way on every page.

A schema declares every field a view reads, with bounds; :func:`load` turns a refusal into InvalidInput (a 422 page
with messages per field, web/errors.py). Shared schemas live here; an area's own live beside its views.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.routing import IntegerConverter, Map

from engine.errors import InvalidInput

MAX_PAGE = 10_000
MAX_ID = 2**31 - 1  # the largest id every id column holds (INTEGER on PostgreSQL)
# C0 control characters other than tab, line feed and carriage return: nobody types them, PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IdConverter(IntegerConverter):
    """A path id: a whole number from 0 to MAX_ID; anything larger is no page (404), never a database error."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=0, max=MAX_ID)


def refuse_control_characters() -> None:
    """Refuse a request whose query or form holds control characters (a 422 naming the fields)."""
    bad = sorted({key for source in (request.args, request.form) for key, value in source.items(multi=True)
                  if _CONTROL.search(key) or _CONTROL.search(value)})
    if bad:
        names = [_CONTROL.sub("?", key) for key in bad]
        raise InvalidInput(_("Some of the choices are not valid: %(fields)s", fields=", ".join(names)),
                           {name: [_("Control characters are not allowed.")] for name in names})


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
    """A page number: a whole number from 1 (the default) to 10,000 (read with :func:`load_or_default`, a page
    beyond shows the first)."""
    return fields.Integer(load_default=1, strict=False, validate=validate.Range(1, MAX_PAGE))


class PageSchema(Schema):
    """A list's page number."""

    page = page_field()

"""Camunda forms on the server: showing values, choices and the designer's text as HTML form fields.

Which form a task or start event has comes from the engine (the version deployed with the process), and the
engine reads and validates submissions (``engine.forms.data_from_fields``); this module shows form data as HTML
form fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from engine.forms import FormComponent, FormDefinition, data_from_fields
from web.extensions import services
from web.i18n import locale

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def init_app(app: Flask) -> None:
    """Make the rendering helpers available to the form templates."""
    app.jinja_env.globals.update(field_id=field_id, shown=shown, as_list=as_list, checked=checked,
                                 text_html=text_html, choices_for=choices_for, file_list=file_list,
                                 date_limits=date_limits, date_text=date_text)


def submitted(form: FormDefinition | None, values: MultiDict[str, str]) -> dict[str, Any]:
    """The data a posted HTML form carries for ``form``'s input fields, nested by data path (the engine reads it)."""
    return data_from_fields(form, values.to_dict(flat=False))


def initial_values(form: FormDefinition | None, case_data: Mapping[str, Any]) -> dict[str, Any]:
    """What the form shows first: the case's current data, else each field's default."""
    values: dict[str, Any] = {}
    for component in form.fields if form else ():
        assert component.name is not None
        found = _get(case_data, component.name)
        values[component.name] = found if found is not None else component.default
    return values


def flat_values(form: FormDefinition | None, data: Mapping[str, Any],
                case_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Submitted (nested) data as ``{data path: value}`` for showing it again; fields the user cannot fill
    (read-only ones) show ``case_data``."""
    values = initial_values(form, case_data or {})
    values.update({c.name: _get(data, c.name) for c in (form.input_fields if form else ()) if c.name})
    return values


def field_id(component: FormComponent) -> str:
    """A stable HTML id for a field (tests and screen readers rely on it)."""
    return "field-" + re.sub(r"[^A-Za-z0-9_-]", "-", component.name or component.id or component.type)


def shown(value: Any) -> str:
    """A value as an input's text."""
    if value is None or value is False:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def as_list(value: Any) -> list[str]:
    """The chosen values of a checklist or tag list."""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)] if value not in (None, "") else []


def file_list(value: Any) -> list[dict[str, Any]]:
    """The file values a file picker holds (one or several)."""
    items = value if isinstance(value, list | tuple) else [value]
    return [v for v in items if isinstance(v, dict) and v.get("sha256")]


def date_limits(component: FormComponent) -> dict[str, str]:
    """The HTML ``min``/``max`` of a date field, from its rules (the server checks them again): the plausible years,
    today for ``not_future`` and ``disallowPassedDates``."""
    if component.type != "datetime" or component.subtype not in (None, "date"):
        return {}
    rules = component.date_rules
    today = services().clock.now().astimezone(ZoneInfo(services().settings.timezone)).date().isoformat()
    limits: dict[str, str] = {}
    if rules is not None and rules.min_year is not None:
        limits["min"] = f"{rules.min_year:04d}-01-01"
    if component.constraints.no_past:
        limits["min"] = max(limits.get("min", today), today)
    if rules is not None and rules.max_year is not None:
        limits["max"] = f"{rules.max_year:04d}-12-31"
    if rules is not None and rules.not_future:
        limits["max"] = min(limits.get("max", today), today)
    return limits


def date_text(value: Any, subtype: str | None) -> str:
    """A date, time or moment as people read it (a read-only field shows it as text, never clipped by a picker):
    ``29/04/2026`` in Vietnamese, ``2026-04-29`` in English."""
    text = shown(value)
    try:
        if subtype in (None, "date"):
            day = date.fromisoformat(text)
            return day.strftime("%d/%m/%Y") if locale() == "vi" else day.isoformat()
        if subtype == "datetime":
            moment = datetime.fromisoformat(text)
            return moment.strftime("%d/%m/%Y %H:%M") if locale() == "vi" else moment.strftime("%Y-%m-%d %H:%M")
    except ValueError:
        pass
    return text


def checked(value: Any) -> bool:
    """Whether a checkbox shows ticked."""
    return value is True or (isinstance(value, str) and value.lower() in ("true", "on", "1", "yes"))


def text_html(text: str) -> Markup:
    """The designer's text (a small Markdown subset: headings and paragraphs), escaped; no raw HTML passes."""
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        heading = _HEADING.match(block.strip())
        if heading:
            level = min(len(heading.group(1)) + 1, 6)
            parts.append(f"<h{level}>{escape(heading.group(2))}</h{level}>")
        elif block.strip():
            lines = [str(escape(line)) for line in block.strip().splitlines()]
            parts.append("<p>" + "<br>".join(lines) + "</p>")
    return Markup("".join(parts))


def choices_for(component: FormComponent) -> Iterable[tuple[str, str]]:
    """The options of a select, radio group or list, labelled in the user's language."""
    return [(c.value, c.label_for(locale())) for c in component.choices]


def _get(data: Mapping[str, Any], path: str) -> Any:
    level: Any = data
    for part in path.split("."):
        if not isinstance(level, Mapping):
            return None
        level = level.get(part)
    return level

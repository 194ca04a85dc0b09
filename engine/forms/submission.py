"""A posted form's fields as form data: each input field's value, nested by its data path (``a.b`` -> ``{"a": {"b"}}``).

A posted form sends every field as a list of texts by name (an HTML form, or anything that mimics one): a checkbox
is on when its name is sent, a checklist or tag list sends one text per chosen value, other fields their first
text. File pickers take the file values the caller stored (engine/forms/files.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.forms.definition import FormComponent, FormDefinition

_LIST_TYPES = ("checklist", "taglist")


def data_from_fields(form: FormDefinition | None, fields: Mapping[str, Sequence[str]],
                     files: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The data ``fields`` carry for ``form``'s input fields, nested by data path.

    Args:
        form: the form shown (None: no form, so no data).
        fields: each posted field's texts, by name.
        files: the value of each file picker, by data path, when the caller has stored the uploads.

    Returns:
        The submission, ready for :func:`engine.forms.validate_submission`.
    """
    data: dict[str, Any] = {}
    for component in form.input_fields if form else ():
        assert component.name is not None
        if component.type == "filepicker":
            empty: Any = [] if component.constraints.multiple else None
            _put(data, component.name, (files or {}).get(component.name, empty))
        else:
            _put(data, component.name, _posted(component, fields))
    return data


def _posted(component: FormComponent, fields: Mapping[str, Sequence[str]]) -> Any:
    name = component.name or ""
    if component.type == "checkbox":
        return name in fields
    if component.type in _LIST_TYPES:
        return list(fields.get(name, ()))
    return next(iter(fields.get(name, ())), "")


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    level = data
    for part in parents:
        level = level.setdefault(part, {})
    level[last] = value

"""Form files, for ``procflow lint``: which variables a Camunda Forms (form-js) file fills in and which it shows.

A task's form key names a ``*.form`` file anywhere below the forms folder by file name (a Camunda prefix,
a path and the ``.form`` suffix are dropped, as engine.forms does) or by the form's ``id``. Keyed components
that are not display-only are fields; read-only or disabled ones only show their variable. A group with a
``path`` keeps its fields inside that one variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.forms.definition import DISPLAY_TYPES

FORM_SUFFIX = ".form"
_PREFIXES = ("camunda-forms:deployment:", "camunda-forms:app:")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)


def form_name(key: str) -> str:
    """Reduce a form reference (``camunda-forms:deployment:forms/x.form``...) to the name looked up (``x``)."""
    name = key.strip()
    for prefix in _PREFIXES:
        name = name.removeprefix(prefix)
    return name.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(FORM_SUFFIX)


def variable_of(path: str) -> str:
    """The variable a dotted form key or output name lives in."""
    return path.split(".")[0].strip()


@dataclass(frozen=True)
class Form:
    """The variables a form fills in (its fields) and those it shows or tests (read-only fields, expressions)."""

    path: Path
    id: str | None
    fields: tuple[str, ...]
    reads: frozenset[str]


class FormCatalog:
    """The forms below one folder, each file read once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._forms: dict[str, Form | str] | None = None

    def get(self, key: str) -> Form | str:
        """The form ``key`` names, or what is wrong with it."""
        name = form_name(key)
        found = self._index().get(name)
        if found is None:
            return f"form {key} has no file {name}{FORM_SUFFIX} below {self.folder} (nor a form with id {name})"
        return found

    def _index(self) -> dict[str, Form | str]:
        """Every form (or the problem of its file) by file name, then by id."""
        if self._forms is None:
            files = sorted(self.folder.rglob(f"*{FORM_SUFFIX}"))
            read = {path: read_form(path) for path in files}
            forms = {path.name.removesuffix(FORM_SUFFIX): form for path, form in read.items()}
            for form in read.values():
                if isinstance(form, Form) and form.id:
                    forms.setdefault(form.id, form)
            self._forms = forms
        return self._forms


def read_form(path: Path) -> Form | str:
    """Read a form file, or say why it is not a Camunda Forms file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        return f"form file {path} is not JSON: {error}"
    if not isinstance(data, dict) or not isinstance(data.get("components"), list):
        return f"form file {path} is not a Camunda Forms file (a JSON object with a components list)"
    fields = list(_fields(data["components"]))
    shown = {name for name, editable in fields if not editable}
    form_id = data.get("id") if isinstance(data.get("id"), str) else None
    return Form(path, form_id, tuple(dict.fromkeys(name for name, editable in fields if editable)),
                frozenset(shown.union(_expression_words(data))))


def _fields(components: list[Any]) -> Iterator[tuple[str, bool]]:
    """Each keyed component's variable, and whether the user fills it in (rather than only seeing it)."""
    for component in components:
        if not isinstance(component, dict):
            continue
        path, key, children = component.get("path"), component.get("key"), component.get("components")
        if isinstance(path, str) and path.strip():
            yield variable_of(path), True
        elif isinstance(children, list):
            yield from _fields(children)
        elif isinstance(key, str) and key.strip() and component.get("type") not in DISPLAY_TYPES:
            yield variable_of(key), not (component.get("readonly") is True or component.get("disabled") is True)


def _expression_words(value: Any) -> Iterator[str]:
    """Words of every FEEL expression (``=...``) and text template (``{{...}}``) in a form."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _expression_words(item)
    elif isinstance(value, str):
        for text in [value[1:]] if value.startswith("=") else _TEMPLATE.findall(value):
            yield from _WORD.findall(text)

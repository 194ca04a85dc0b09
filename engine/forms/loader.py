"""Reading Camunda Forms JSON (``.form`` files written by Camunda Modeler and form-js) into a FormDefinition.

Every problem is collected and located (file, line of the component, its key or id), so a designer sees
them all at once, in the same shape as the problems of a BPMN file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from engine.errors import InvalidInput, InvalidModel, ModelProblem
from engine.forms.definition import (
    CONTAINER_TYPES,
    INPUT_TYPES,
    PICK_KINDS,
    PICK_SCOPES,
    PICK_TYPES,
    SUPPORTED_TYPES,
    DateRules,
    FormComponent,
    FormDefinition,
    Pick,
)
from engine.forms.rules import RuleReader, is_feel
from engine.i18n import N_

# form-js: a key "binds the form field to a form variable. Can be a dot separated path."
_KEY = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")
_UNSUPPORTED_WHY = {
    "expression": "its value is computed with FEEL, which procflow does not evaluate",
    "dynamiclist": "repeatable groups are not supported yet; use a checklist, a tag list or separate fields",
    "table": "tables of process data are not supported yet",
    "iframe": "it embeds another web site, which the agencies' offline networks cannot reach",
    "documentPreview": "it needs Camunda's document store; attach files with a filepicker",
    "multipage": "multi-page forms are not supported; use groups",
    "page": "multi-page forms are not supported; use groups",
}
_REFUSED_ATTRIBUTES = {
    "conditional": "conditions (show/hide with FEEL) are not supported",
    "valuesKey": "options taken from process data are not supported yet; list the options in the form",
    "valuesExpression": "options computed with FEEL are not supported; list the options in the form",
}


def load_form(source: str | bytes | Path, *, name: str | None = None) -> FormDefinition:
    """Read one form definition.

    Args:
        source: a path to a ``.form`` file, or the JSON itself (text or bytes).
        name: the name problems are reported under (default: the path, or ``"<form>"``).

    Returns:
        The parsed form.

    Raises:
        InvalidModel: with every located problem, if the definition is not usable.
        InvalidInput: if ``source`` names a file that does not exist.
    """
    text, name = _read(source, name)
    form, problems = parse_form(text, name=name)
    if problems or form is None:
        raise InvalidModel(problems)
    return form


def parse_form(text: str, *, name: str) -> tuple[FormDefinition | None, list[ModelProblem]]:
    """Parse form JSON and return the form (``None`` if unreadable) with every problem found."""
    loader = _Loader(name, text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        problem = ModelProblem(name, error.lineno, None, f"not valid JSON: {error.msg}", code="F001",
                               column=error.colno)
        return None, [problem]
    form = loader.form(document)
    return form, loader.problems


def _read(source: str | bytes | Path, name: str | None) -> tuple[str, str]:
    """Return the text of ``source`` and the name to report it under."""
    if isinstance(source, bytes):
        return source.decode("utf-8-sig", errors="replace"), name or "<form>"
    if isinstance(source, str) and (source.lstrip()[:1] in ("{", "[") or "\n" in source):
        return source, name or "<form>"
    path = Path(source)
    if not path.is_file():
        raise InvalidInput(N_("{path}: no such form file"), path=path)
    return path.read_bytes().decode("utf-8-sig", errors="replace"), name or str(path)


class _Loader(RuleReader):
    """Builds a FormDefinition from decoded JSON, collecting located problems as it goes."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.problems: list[ModelProblem] = []

    def problem(self, raw: Mapping[str, Any] | None, message: str, code: str) -> None:
        """Record one problem, located at component ``raw`` (or the whole form)."""
        element = None
        if raw is not None:
            element = raw.get("key") or raw.get("id")
            message = f"{raw.get('type', 'component')}: {message}"
        element = element if isinstance(element, str) else None
        self.problems.append(ModelProblem(self.name, self._line(raw), element, message, code=code))

    def _line(self, raw: Mapping[str, Any] | None) -> int | None:
        """Find the line of a component's id (or key) in the source, since json keeps no positions."""
        if raw is None:
            return None
        for attribute in ("id", "key"):
            value = raw.get(attribute)
            if isinstance(value, str):
                written = re.escape(json.dumps(value, ensure_ascii=False))
                found = re.search(rf'"{attribute}"\s*:\s*{written}', self.text)
                if found:
                    return self.text.count("\n", 0, found.start()) + 1
        return None

    # -- the form -------------------------------------------------------------------------------
    def form(self, document: Any) -> FormDefinition | None:
        """Build the form, or return ``None`` when the document is not a form at all."""
        if not isinstance(document, dict) or not isinstance(document.get("components"), list):
            self.problem(None, "not a Camunda form: expected a JSON object with a \"components\" list", "F002")
            return None
        if document.get("type", "default") != "default":
            self.problem(None, f"form type must be \"default\", not {document.get('type')!r}", "F002")
        components = self.components(document["components"], ())
        fields = _keyed(components)
        self._check_names(fields)
        form_id = document.get("id") if isinstance(document.get("id"), str) else None
        title, title_en = _title(components)
        return FormDefinition(
            id=form_id or Path(self.name).stem, name=self.name, title=title or form_id or Path(self.name).stem,
            title_en=title_en, components=components, fields=fields,
            schema_version=self._schema_version(document.get("schemaVersion")),
            version_tag=document.get("versionTag") if isinstance(document.get("versionTag"), str) else None,
        )

    def _schema_version(self, value: Any) -> int | None:
        """Check the form's ``schemaVersion`` (a whole number when present)."""
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            return value
        self.problem(None, f"schemaVersion must be a whole number, not {value!r}", "F002")
        return None

    def _check_names(self, fields: Sequence[FormComponent]) -> None:
        """Refuse two fields with one data path, and a field whose path runs through another field."""
        seen: dict[str, FormComponent] = {}
        for field in fields:
            assert field.name is not None
            raw = {"type": field.type, "key": field.key, "id": field.id}
            if field.name in seen:
                self.problem(raw, f"key {field.name!r} is used twice; each field needs its own key", "F006")
            parents = [".".join(field.name.split(".")[:n]) for n in range(1, field.name.count(".") + 1)]
            for parent in parents:
                if parent in seen:
                    self.problem(raw, f"key {field.name!r} lies inside field {parent!r}", "F006")
            seen.setdefault(field.name, field)
        for field in fields:
            if any(other.startswith(f"{field.name}.") for other in seen):
                raw = {"type": field.type, "key": field.key, "id": field.id}
                self.problem(raw, f"key {field.name!r} is also the path of a group or of nested keys", "F006")

    # -- components -----------------------------------------------------------------------------
    def components(self, raws: list[Any], prefix: tuple[str, ...]) -> tuple[FormComponent, ...]:
        """Build the components of one level, in the designer's order, skipping unusable ones."""
        built = (self.component(raw, prefix) for raw in raws)
        return tuple(c for c in built if c is not None)

    def component(self, raw: Any, prefix: tuple[str, ...]) -> FormComponent | None:
        """Build one component (and the children of a group)."""
        if not isinstance(raw, dict):
            self.problem(None, f"a component must be a JSON object, not {raw!r}", "F003")
            return None
        kind = raw.get("type")
        if kind not in SUPPORTED_TYPES:
            why = _UNSUPPORTED_WHY.get(str(kind), "it is not a form-js component procflow knows")
            self.problem(raw, f"component type {kind!r} is not supported: {why}; "
                              f"supported types: {', '.join(SUPPORTED_TYPES)}", "F003")
            return None
        self._refuse_attributes(raw)
        props = self._properties(raw)
        name = self._name(raw, prefix)
        children: tuple[FormComponent, ...] = ()
        if kind in CONTAINER_TYPES:
            children = self.components(self._children(raw), prefix + self._group_path(raw))
        attributes = MappingProxyType({k: v for k, v in raw.items() if k != "components"})
        return FormComponent(type=kind, name=name, children=children, properties=MappingProxyType(props),
                             attributes=attributes, pick=self._pick(raw, props), date_rules=self._dates(raw, props),
                             required_when=self._required_when(raw, props), keep=self._keep(raw, props),
                             confirm=self._confirm(raw, props),
                             **self._common(raw, props), **self._specific(raw, props))

    def _pick(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> Pick | None:
        """Read the custom properties ``pick``, ``pick_groups`` and ``pick_scope`` of a pick field."""
        kind = props.get("pick")
        if kind is None:
            return None
        if kind not in PICK_KINDS or raw["type"] not in PICK_TYPES:
            self.problem(raw, f"pick must be one of {', '.join(PICK_KINDS)}, on a component of type "
                              f"{', '.join(PICK_TYPES)}", "F014")
            return None
        scope = props.get("pick_scope", "all")
        if scope not in PICK_SCOPES:
            self.problem(raw, f"pick_scope must be one of {', '.join(PICK_SCOPES)}", "F014")
            scope = "all"
        groups = tuple(g.strip() for g in props.get("pick_groups", "").split(",") if g.strip())
        return Pick(kind, groups, scope)

    def _confirm(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> tuple[str, ...]:
        """Read ``confirm: "<value>,..."``: option values whose choice is asked again (they must be options)."""
        values = tuple(v.strip() for v in props.get("confirm", "").split(",") if v.strip())
        options = {str(o.get("value")) for o in raw.get("values") or () if isinstance(o, dict)}
        if values and (raw["type"] not in ("radio", "select", "checklist", "taglist") or not set(values) <= options):
            self.problem(raw, f"confirm must name options of this choice, not {props['confirm']!r}", "F007")
            return ()
        return values

    def _keep(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> bool:
        """Read ``keep: "true"`` (a new task's form opens with the case's value of the field)."""
        text = props.get("keep", "false").strip().lower()
        if text not in ("true", "false"):
            self.problem(raw, f"keep must be true or false, not {props['keep']!r}", "F007")
        return text == "true"

    def _required_when(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> tuple[str, str] | None:
        """Read ``required_when: "<key>=<value>"`` (required only when another field holds a value)."""
        text = props.get("required_when")
        if text is None:
            return None
        key, _, value = text.partition("=")
        if not _KEY.fullmatch(key.strip()) or not value.strip():
            self.problem(raw, f"required_when must read <key>=<value>, not {text!r}", "F007")
            return None
        return key.strip(), value.strip()

    def _dates(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> DateRules | None:
        """Read the date rules ``not_future``, ``not_before``, ``min_year``, ``max_year`` of a date field."""
        names = ("not_future", "not_before", "min_year", "max_year")
        if raw["type"] != "datetime" or not any(n in props for n in names):
            return None
        years: dict[str, int | None] = {}
        for name in ("min_year", "max_year"):
            text = props.get(name)
            years[name] = int(text) if text and text.isdigit() else None
            if text and years[name] is None:
                self.problem(raw, f"{name} must be a year, not {text!r}", "F007")
        not_before = props.get("not_before") or None
        if not_before is not None and not _KEY.fullmatch(not_before):
            self.problem(raw, f"not_before must name another date field, not {not_before!r}", "F007")
        return DateRules(props.get("not_future", "").lower() == "true", not_before, **years)

    def _refuse_attributes(self, raw: Mapping[str, Any]) -> None:
        """Report attributes whose behaviour procflow cannot reproduce on the server."""
        for attribute, why in _REFUSED_ATTRIBUTES.items():
            if raw.get(attribute):
                self.problem(raw, why, "F009")
        validate = raw.get("validate")
        if validate is not None and not isinstance(validate, dict):
            self.problem(raw, "validate must be a JSON object", "F007")
        for attribute in ("readonly", "disabled", "multiple", "accept"):
            if is_feel(raw.get(attribute)):
                self.problem(raw, f"{attribute} is a FEEL expression, which procflow does not evaluate", "F009")
        if isinstance(validate, dict):
            for attribute, value in validate.items():
                if is_feel(value):
                    self.problem(raw, f"validate.{attribute} is a FEEL expression, which procflow does not "
                                      "evaluate; write a fixed value", "F009")

    def _properties(self, raw: Mapping[str, Any]) -> dict[str, str]:
        """Return the component's custom properties (form-js writes them as text)."""
        props = raw.get("properties") or {}
        if not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values()):
            self.problem(raw, "properties must be pairs of names and text values", "F007")
            return {}
        return dict(props)

    def _name(self, raw: Mapping[str, Any], prefix: tuple[str, ...]) -> str | None:
        """Return the data path of an input component, checking its key."""
        if raw["type"] not in INPUT_TYPES:
            return None
        key = raw.get("key")
        if not isinstance(key, str) or not key:
            self.problem(raw, "an input component needs a key (the name of the process variable it fills)", "F004")
            return None
        if not _KEY.fullmatch(key):
            self.problem(raw, f"key {key!r} may contain only ASCII letters, digits, _ and dots", "F005")
            return None
        return ".".join(prefix + (key,))

    def _children(self, raw: Mapping[str, Any]) -> list[Any]:
        """Return the components inside a group."""
        children = raw.get("components", [])
        if isinstance(children, list):
            return children
        self.problem(raw, "components of a group must be a list", "F003")
        return []

    def _group_path(self, raw: Mapping[str, Any]) -> tuple[str, ...]:
        """Return the data path a group puts its children under (none when it only lays them out)."""
        path = raw.get("path") or ""
        if not isinstance(path, str) or (path and not _KEY.fullmatch(path)):
            self.problem(raw, f"path {path!r} may contain only ASCII letters, digits, _ and dots", "F005")
            return ()
        return tuple(path.split(".")) if path else ()

    def _common(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> dict[str, Any]:
        """Read what every component may have: identity, texts in both languages, flags, layout."""
        validate = self._validate(raw)
        layout = raw.get("layout")
        columns = layout.get("columns") if isinstance(layout, dict) else None
        return {
            "id": raw.get("id") if isinstance(raw.get("id"), str) else None,
            "key": raw.get("key") if isinstance(raw.get("key"), str) else None,
            "label": self._text(raw, "label"), "label_en": props.get("label_en"),
            "description": self._text(raw, "description"), "description_en": props.get("description_en"),
            # A text component's Markdown is "text", an html component's markup is "content".
            "text": self._text(raw, "content" if raw["type"] == "html" else "text") or None,
            "text_en": props.get("content_en" if raw["type"] == "html" else "text_en"),
            "required": validate.get("required") is True,
            "readonly": raw.get("readonly") is True, "disabled": raw.get("disabled") is True,
            "default": raw.get("defaultValue"),
            "columns": columns if isinstance(columns, int) and not isinstance(columns, bool) else None,
            "line": self._line(raw),
        }

    def _text(self, raw: Mapping[str, Any], attribute: str) -> str:
        """Return a text attribute, reporting one that is not text."""
        value = raw.get(attribute)
        if value is None or isinstance(value, str):
            return value or ""
        self.problem(raw, f"{attribute} must be text, not {value!r}", "F007")
        return ""


def _keyed(components: Sequence[FormComponent]) -> tuple[FormComponent, ...]:
    """Return every keyed component of a tree, depth first, in the designer's order."""
    found: list[FormComponent] = []
    for component in components:
        if component.name is not None:
            found.append(component)
        found.extend(_keyed(component.children))
    return tuple(found)


def _title(components: Sequence[FormComponent]) -> tuple[str | None, str | None]:
    """Take the form's title from a Markdown heading at the top of its first text component."""
    for component in components:
        if component.type == "text":
            return _heading(component.text), _heading(component.text_en)
    return None, None


def _heading(text: str | None) -> str | None:
    """Return the first line of ``text`` when it is a Markdown heading (``# Title``)."""
    first = (text or "").strip().split("\n", 1)[0]
    return (first.lstrip("#").strip() or None) if first.startswith("#") else None

"""Server-side validation of form submissions: a marshmallow schema built from each form definition.

The cleaned data always has every input key: a field left empty gets its type's empty value (``""`` for text,
``False`` for a checkbox, ``[]`` for lists, ``None`` otherwise), as form-js submits it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing, post_load

from engine.errors import InvalidInput
from engine.forms.definition import FormComponent, FormDefinition
from engine.forms.inputs import BUILDERS, Context, picked
from engine.forms.messages import MESSAGES, message, normalize_locale


def schema_for(form: FormDefinition, *, locale: str = "vi", now: datetime | None = None,
               picks: Mapping[str, Mapping[str, str]] | None = None) -> Schema:
    """Build the marshmallow schema that validates submissions of ``form``.

    Args:
        form: the form definition.
        locale: language of the error messages, ``"vi"`` (default) or ``"en"``.
        now: the current moment in the agency's time zone, for "no past dates" (default: the system's).
        picks: what each pick field may hold (value -> label), from the organisation; None: not checked.

    Returns:
        A schema whose ``load`` returns JSON-ready cleaned data and refuses unknown and read-only fields.
    """
    context = Context(normalize_locale(locale), now or datetime.now().astimezone(), picks)
    return _schema(_tree(form.fields), context)


def validate_submission(form: FormDefinition, data: Any, *, locale: str = "vi", now: datetime | None = None,
                        picks: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """Validate one submission of ``form`` and return the cleaned data.

    Args:
        form: the form definition.
        data: the submitted values, keyed by field key (groups with a path as nested objects).
        locale: language of the error messages, ``"vi"`` (default) or ``"en"``.
        now: the current moment in the agency's time zone, for "no past dates" (default: the system's).
        picks: what each pick field (user, unit, group) may hold, value -> label, as the organisation offers it
            to the submitting user; a value outside it is refused. None: pick fields are not checked.

    Returns:
        Every input field's value, JSON-ready: dates and times as ISO 8601 text, files as file values.

    Raises:
        InvalidInput: ``fields`` maps each wrong field (dotted path for nested ones) to its messages.
    """
    schema = schema_for(form, locale=locale, now=now, picks=picks)
    try:
        cleaned = schema.load(data)
    except ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        problems = _flatten(messages)
        if isinstance(data, Mapping) and "_schema" not in problems:
            # Every problem at once: the rules between fields, among the fields that are right on their own.
            problems.update(_cross_checks(form, data, normalize_locale(locale), skip=problems))
        raise InvalidInput(MESSAGES["invalid_form"], problems) from None
    problems = _cross_checks(form, cleaned, normalize_locale(locale))
    if problems:
        raise InvalidInput(MESSAGES["invalid_form"], problems)
    return cleaned


def _cross_checks(form: FormDefinition, cleaned: Mapping[str, Any], locale: str,
                  skip: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """The rules between fields: ``required_when`` and ``not_before`` (docs/forms.md); fields named in ``skip``
    (refused on their own) take part in none."""
    problems: dict[str, list[str]] = {}
    skip = skip or {}
    for component in form.input_fields:
        if component.name in skip or (component.required_when and component.required_when[0] in skip) or (
                component.date_rules and component.date_rules.not_before in skip):
            continue
        if component.required_when is not None and component.name is not None:
            key, value = component.required_when
            if _at(cleaned, key) == value and _at(cleaned, component.name) in (None, "", [], False):
                problems[component.name] = [message("required", locale)]
        rules = component.date_rules
        if rules is None or rules.not_before is None or component.name is None:
            continue
        mine, other = _at(cleaned, component.name), _at(cleaned, rules.not_before)
        if isinstance(mine, str) and isinstance(other, str) and mine[:10] < other[:10]:
            try:
                label = form.field(rules.not_before).label_for(locale) or rules.not_before
            except KeyError:
                label = rules.not_before
            problems[component.name] = [message("before", locale, other=label)]
    return problems


def _at(data: Mapping[str, Any], path: str) -> Any:
    level: Any = data
    for part in path.split("."):
        level = level.get(part) if isinstance(level, Mapping) else None
    return level


class _FormSchema(Schema):
    """A generated form schema: attributes get safe names, the form's keys are the data keys."""

    @post_load
    def _use_keys(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Return the cleaned data under the form's keys."""
        return {self.fields[attr].data_key or attr: value for attr, value in data.items()}


def _tree(components: Iterable[FormComponent]) -> dict[str, Any]:
    """Arrange keyed components by data path: ``{"a": component, "group": {"b": component}}``."""
    tree: dict[str, Any] = {}
    for component in components:
        assert component.name is not None
        *parents, last = component.name.split(".")
        level = tree
        for part in parents:
            level = level.setdefault(part, {})
        level[last] = component
    return tree


def _schema(tree: Mapping[str, Any], context: Context) -> Schema:
    """Build the schema of one level of the data tree."""
    # Attribute names like "f0" keep form keys such as "fields" or "load" from shadowing Schema's own members.
    declared = {f"f{index}": _field(node, key, context) for index, (key, node) in enumerate(tree.items())}
    schema = _FormSchema.from_dict(declared, name="FormSchema")()
    schema.error_messages.update(unknown=context.text("unknown"), type=context.text("not_object"))
    return schema


def _field(node: FormComponent | Mapping[str, Any], key: str, context: Context) -> fields.Field:
    """Build the marshmallow field for one node of the data tree."""
    if not isinstance(node, FormComponent):
        return _Group(_schema(node, context), data_key=key, error_messages={"type": context.text("not_object")})
    if not node.accepts_input:
        return _ReadOnly(data_key=key, error_messages={"read_only": context.text("read_only")})
    if node.pick is not None:
        return picked(node, context, key)
    return BUILDERS[node.type](node, context, key)


def _flatten(messages: Mapping[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error messages into ``{"group.key": [messages]}``."""
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        # marshmallow files a nested object's own errors (e.g. "not an object") under "_schema".
        name = prefix.rstrip(".") if key == "_schema" and prefix else f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat.setdefault(name, []).extend(str(item) for item in value)
    return flat


class _ReadOnly(fields.Field):
    """A read-only or disabled field: shown on the form, refused in a submission."""

    def deserialize(self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> Any:
        """Leave the field out when absent; refuse any value sent for it."""
        if value is missing:
            return missing
        raise self.make_error("read_only")


class _Group(fields.Nested):
    """The fields of a group with a ``path``, submitted as one nested object."""

    def deserialize(self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> Any:
        """Validate an absent group as an empty one, so each of its required fields is reported by name."""
        if value is missing or value is None:
            cleaned = super().deserialize({}, attr, data, **kwargs)
            return cleaned or missing
        return super().deserialize(value, attr, data, **kwargs)

"""A parsed form: what the validator checks and what a page needs to show it, in the designer's order."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

# Components that take a value from the user (when they have a key and are not read-only).
INPUT_TYPES = ("textfield", "textarea", "number", "checkbox", "select", "radio", "checklist", "taglist",
               "datetime", "filepicker")
# Components that only show something, or only lay the form out.
DISPLAY_TYPES = ("text", "html", "image", "separator", "spacer", "button")
CONTAINER_TYPES = ("group",)
SUPPORTED_TYPES = INPUT_TYPES + DISPLAY_TYPES + CONTAINER_TYPES
# What each input type's value looks like once cleaned (for docs and renderers).
EMPTY_VALUES: Mapping[str, Any] = MappingProxyType({
    "textfield": "", "textarea": "", "number": None, "checkbox": False, "select": None, "radio": None,
    "checklist": [], "taglist": [], "datetime": None, "filepicker": None,
})


# Fields whose value is a user name, a unit code or a group code of the organisation (custom property ``pick``):
# chosen from a list the server computes, never typed, and refused when not in that list (docs/forms.md).
PICK_KINDS = ("user", "unit", "group")
PICK_TYPES = ("textfield", "select", "taglist")  # taglist: several (e.g. co-ordinating units)
PICK_SCOPES = ("all", "unit", "subunits")


@dataclass(frozen=True)
class Pick:
    """Whom or what a pick field offers: ``kind`` is user, unit or group.

    ``groups`` narrows users to members of these groups; ``scope`` narrows users and units: ``unit`` to the
    acting user's unit and the units below it, ``subunits`` to the units below it; ``all`` (default) to none.
    """

    kind: str
    groups: tuple[str, ...] = ()
    scope: str = "all"


def _pick(vi: str | None, en: str | None, locale: str) -> str | None:
    """Return the English text for ``"en"`` when there is one, else the Vietnamese."""
    return en if locale == "en" and en else vi


@dataclass(frozen=True)
class Choice:
    """One option of a select, radio group, checklist or tag list."""

    value: str
    label: str
    label_en: str | None = None

    def label_for(self, locale: str) -> str:
        """Return the option's label in ``locale`` (Vietnamese when no English one was written)."""
        return _pick(self.label, self.label_en, locale) or self.value


@dataclass(frozen=True)
class Constraints:
    """The validation rules of one component; ``None`` means the rule does not apply."""

    min_length: int | None = None
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str | None = None
    pattern_message: str | None = None
    pattern_message_en: str | None = None
    validation_type: str | None = None  # "email" or "phone"
    decimal_digits: int | None = None
    increment: Decimal | None = None
    as_string: bool = False  # number: keep the value as decimal text (form-js ``serializeToString``)
    no_past: bool = False  # datetime: form-js ``disallowPassedDates``
    multiple: bool = False  # filepicker: a list of files
    content_types: tuple[str, ...] = ()  # filepicker: accepted content types
    max_size: int | None = None  # filepicker: bytes per file


@dataclass(frozen=True)
class DateRules:
    """Rules a date field's value must keep besides its format (custom properties of a datetime component)."""

    not_future: bool = False  # ``not_future: "true"``: no later than today
    not_before: str | None = None  # ``not_before: "<key>"``: no earlier than that date field of the submission
    min_year: int | None = None  # ``min_year`` / ``max_year``: plausible years
    max_year: int | None = None


@dataclass(frozen=True)
class FormComponent:
    """One component of a form, as the designer placed it.

    ``key`` is what the designer wrote; ``name`` is the full data path of a keyed component (the keys of
    enclosing groups with a ``path`` joined by dots), used for submitted data and error messages.
    """

    type: str
    id: str | None = None
    key: str | None = None
    name: str | None = None
    label: str = ""
    label_en: str | None = None
    description: str = ""
    description_en: str | None = None
    text: str | None = None  # content of "text" and "html" components
    text_en: str | None = None
    required: bool = False
    readonly: bool = False
    disabled: bool = False
    subtype: str | None = None  # datetime: "date", "time" or "datetime"
    choices: tuple[Choice, ...] = ()
    constraints: Constraints = Constraints()
    default: Any = None
    columns: int | None = None
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    # Everything the designer wrote on the component (layout, adorners, image source, ...), for renderers.
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False, repr=False)
    children: tuple[FormComponent, ...] = ()
    line: int | None = None
    pick: Pick | None = None  # a person, unit or group chosen from the organisation
    # Date rules (custom properties, docs/forms.md): not after today, not before another date field, year range.
    date_rules: DateRules | None = None
    # ``required_when: "<key>=<value>"``: required when that field of the submission holds that value.
    required_when: tuple[str, str] | None = None
    # ``keep: "true"``: a new task's form opens with the value the case holds (a revision continues the previous
    # version); otherwise it opens with the field's default, so a review repeated after a loop starts empty.
    keep: bool = False
    # ``confirm: "tra_lai"``: choosing one of these values (a send-back) is asked again before the task completes.
    confirm: tuple[str, ...] = ()

    @property
    def accepts_input(self) -> bool:
        """Say whether a submission may (and must, if required) carry a value for this component."""
        return self.name is not None and self.type in INPUT_TYPES and not (self.readonly or self.disabled)

    def label_for(self, locale: str) -> str:
        """Return the label in ``locale`` (Vietnamese when no English one was written)."""
        return _pick(self.label, self.label_en, locale) or ""

    def description_for(self, locale: str) -> str:
        """Return the description in ``locale`` (Vietnamese when no English one was written)."""
        return _pick(self.description, self.description_en, locale) or ""

    def text_for(self, locale: str) -> str:
        """Return the content of a text or HTML component in ``locale``."""
        return _pick(self.text, self.text_en, locale) or ""


@dataclass(frozen=True)
class FormDefinition:
    """A form read from a ``.form`` file (Camunda Forms JSON).

    ``components`` is the tree as drawn (groups hold their children); ``fields`` lists every keyed
    component in order, including read-only ones, which are shown but never accepted.
    """

    id: str
    name: str
    title: str
    title_en: str | None = None
    components: tuple[FormComponent, ...] = ()
    fields: tuple[FormComponent, ...] = ()
    schema_version: int | None = None
    version_tag: str | None = None

    @property
    def input_fields(self) -> tuple[FormComponent, ...]:
        """Return the fields a submission may carry values for."""
        return tuple(f for f in self.fields if f.accepts_input)

    def opening_data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` (a task's data) without the values of input fields not marked ``keep``: what a new task's form
        opens with, so that a decision or reason given the last time the case passed this way is not offered again.
        """
        opened = copy.deepcopy(dict(data))
        for component in self.input_fields:
            if component.keep or component.name is None:
                continue
            *path, last = component.name.split(".")
            level: Any = opened
            for part in path:
                level = level.get(part) if isinstance(level, dict) else None
            if isinstance(level, dict):
                level.pop(last, None)
        return opened

    def to_confirm(self, data: Mapping[str, Any], locale: str) -> list[str]:
        """The choices in ``data`` the designer wants confirmed (``confirm``), as "label: option label" texts."""
        asked: list[str] = []
        for component in self.input_fields:
            if not component.confirm or component.name is None:
                continue
            value: Any = data
            for part in component.name.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            chosen = value if isinstance(value, list) else [value]
            for choice in component.choices:
                if choice.value in component.confirm and choice.value in chosen:
                    asked.append(f"{component.label_for(locale)}: {choice.label_for(locale)}")
        return asked

    def field(self, name: str) -> FormComponent:
        """Return the keyed component whose data path is ``name``."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def title_for(self, locale: str) -> str:
        """Return the form's title in ``locale``."""
        return _pick(self.title, self.title_en, locale) or self.id

"""The marshmallow fields of form inputs: one class per kind of value, one builder per form-js type.

Empty values follow form-js: a missing key, ``null``, blank text and (for list fields) an empty list are
"not filled". A required field that is not filled is an error; an optional one gets its type's empty value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, missing, validate

from engine.forms.definition import DateRules, FormComponent
from engine.forms.files import DEFAULT_MAX_FILE_SIZE, check_file
from engine.forms.messages import literal, message
from engine.forms.rules import NUMBER_TEXT

# The e-mail pattern form-js checks validationType "email" with.
EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                   r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")
# International phone numbers as form-js wants them (+ or 00, then country code and number, digits only).
PHONE = re.compile(r"^(?:\+|00)[1-9]\d{6,18}$")
_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?"
_TEMPORAL: Mapping[str, tuple[re.Pattern[str], Callable[[str], date | time]]] = {
    "date": (re.compile(_DATE), date.fromisoformat),
    "time": (re.compile(_TIME), time.fromisoformat),
    "datetime": (re.compile(f"{_DATE}[T ]{_TIME}"), datetime.fromisoformat),
}


@dataclass(frozen=True)
class Context:
    """What every field of one schema shares: the language of its messages and the current moment."""

    locale: str
    now: datetime
    # What each pick field (by data path) may hold: value -> label, from the organisation; None: not checked.
    picks: Mapping[str, Mapping[str, str]] | None = None

    def text(self, key: str, **values: object) -> str:
        """Return message ``key`` in this schema's language."""
        return message(key, self.locale, **values)


def _blank(value: Any, *, lists: bool) -> bool:
    """Say whether a submitted value means "not filled" (form-js: undefined, null, "", and [] for list fields)."""
    return (value is missing or value is None or (isinstance(value, str) and not value.strip())
            or (lists and isinstance(value, list) and not value))


# -- fields ----------------------------------------------------------------------------------------------
class _Input(fields.Field):
    """A form input: values that are not filled give the empty value, or an error when required."""

    def __init__(self, *, context: Context, empty: Callable[[], Any], required: bool, **kwargs: Any) -> None:
        errors: dict[str, Any] = {"required": context.text("required"), "null": context.text("required")}
        super().__init__(required=required, error_messages=errors, **kwargs)
        self.context = context
        self.empty = empty
        self.lists = isinstance(empty(), list)

    def deserialize(self, value: Any, attr: str | None = None, data: Mapping[str, Any] | None = None,
                    **kwargs: Any) -> Any:
        """Return the empty value (or refuse a required field) before marshmallow sees an unfilled value."""
        if _blank(value, lists=self.lists):
            if self.required:
                raise self.make_error("required")
            return self.empty()
        return super().deserialize(value, attr, data, **kwargs)


class _Text(_Input):
    """Text of a text field or text area, in Unicode NFC (Vietnamese keyboards may send decomposed accents)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError(self.context.text("not_text"))
        return unicodedata.normalize("NFC", value).strip()


class _Pattern(validate.Regexp):
    """Pass when the designer's pattern matches anywhere in the value, as form-js tests it (``RegExp.test``)."""

    def __call__(self, value: Any) -> Any:
        if self.regex.search(value) is None:
            raise ValidationError(self._format_error(value))
        return value


def _text(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a text field with its length, pattern, e-mail and phone rules."""
    rules = component.constraints
    validators: list[Callable[[Any], Any]] = []
    if rules.min_length is not None:
        validators.append(validate.Length(min=rules.min_length,
                                          error=literal(context.text("min_length", min=rules.min_length))))
    if rules.max_length is not None:
        validators.append(validate.Length(max=rules.max_length,
                                          error=literal(context.text("max_length", max=rules.max_length))))
    if rules.pattern is not None:
        own = rules.pattern_message_en if context.locale == "en" else rules.pattern_message
        text = own or rules.pattern_message or context.text("pattern")
        validators.append(_Pattern(rules.pattern, re.ASCII, error=literal(text)))
    if rules.validation_type in ("email", "phone"):
        regex = EMAIL if rules.validation_type == "email" else PHONE
        validators.append(validate.Regexp(regex, error=literal(context.text(rules.validation_type))))
    return _Text(context=context, empty=str, required=component.required, data_key=key, validate=validators)


class _Number(_Input):
    """A number: integral values become ``int``, others ``float`` (or decimal text with ``serializeToString``)."""

    def __init__(self, *, component: FormComponent, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = component.constraints

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> int | float | str:
        number = _decimal(value)
        if number is None:
            raise ValidationError(self.context.text("not_number"))
        if number.adjusted() >= MAX_DIGITS:  # no field means a number this large; arithmetic on it would fail
            raise ValidationError(self.context.text("too_large"))
        errors = self._problems(number)
        if errors:
            raise ValidationError(errors)
        if self.rules.as_string:
            return format(number, "f")
        return int(number) if number == number.to_integral_value() else float(number)

    def _problems(self, number: Decimal) -> list[str]:
        """Return every rule ``number`` breaks, as messages."""
        rules, text = self.rules, self.context.text
        digits = max(0, -int(number.normalize().as_tuple().exponent))
        problems = []
        if rules.decimal_digits == 0 and digits:
            problems.append(text("not_integer"))
        elif rules.decimal_digits is not None and digits > rules.decimal_digits:
            problems.append(text("decimals", digits=rules.decimal_digits))
        if rules.increment is not None and not _multiple(number, rules.increment):
            problems.append(text("increment", step=rules.increment))
        if rules.minimum is not None and number < rules.minimum:
            problems.append(text("min", min=rules.minimum))
        if rules.maximum is not None and number > rules.maximum:
            problems.append(text("max", max=rules.maximum))
        return problems


MAX_DIGITS = 28  # digits before the decimal point a number field accepts: what decimal arithmetic holds exactly


def _multiple(number: Decimal, step: Decimal) -> bool:
    """Whether ``number`` is a whole multiple of ``step`` (False when the division cannot be done exactly)."""
    try:
        return number % step == 0
    except InvalidOperation:
        return False


def _decimal(value: Any) -> Decimal | None:
    """Read a submitted number (JSON number or text such as ``"12.5"``); ``None`` if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    text = value.strip() if isinstance(value, str) else repr(value)
    if not NUMBER_TEXT.fullmatch(text):
        return None
    number = Decimal(text)
    # Beyond this a float is no longer exact, and JavaScript would not round-trip it either.
    return number if abs(number) < Decimal("1e300") else None


def _number(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a number field."""
    return _Number(component=component, context=context, empty=lambda: None, required=component.required,
                   data_key=key)


class _Checkbox(_Input):
    """A checkbox: yes or no; when required it must be ticked (as in form-js)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, str | int):
            raise ValidationError(self.context.text("not_boolean"))
        if value in fields.Boolean.truthy:
            return True
        if value not in fields.Boolean.falsy:
            raise ValidationError(self.context.text("not_boolean"))
        if self.required:
            raise ValidationError(self.context.text("must_check"))
        return False


def _checkbox(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a checkbox field."""
    field = _Checkbox(context=context, empty=lambda: False, required=component.required, data_key=key)
    field.error_messages["required"] = context.text("must_check")
    return field


class _Choice(_Input):
    """The value of one option (select, radio group)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError(self.context.text("choice"))
        return value


def _choice(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a select or radio field: the value must be one of the options."""
    one_of = validate.OneOf([c.value for c in component.choices], error=literal(context.text("choice")))
    return _Choice(context=context, empty=lambda: None, required=component.required, data_key=key,
                   validate=one_of)


class _Choices(_Input):
    """The values of several options (checklist, tag list), each once, in the order given."""

    def __init__(self, *, choices: Iterable[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None,
                     **kwargs: Any) -> list[str]:
        if not isinstance(value, list):
            raise ValidationError(self.context.text("not_list"))
        wrong = [str(v) for v in value if v not in self.choices]
        if wrong:
            raise ValidationError(self.context.text("choices", values=", ".join(wrong)))
        return list(dict.fromkeys(value))


def _choices(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a checklist or tag list field."""
    return _Choices(choices=[c.value for c in component.choices], context=context, empty=list,
                    required=component.required, data_key=key)


class _Temporal(_Input):
    """A date, time or date-time in ISO 8601 text; returned as ISO text again."""

    def __init__(self, *, component: FormComponent, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subtype = component.subtype or "date"
        self.no_past = component.constraints.no_past
        self.rules = component.date_rules

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        shape, parse = _TEMPORAL[self.subtype]
        try:
            if not isinstance(value, str) or not shape.fullmatch(value.strip()):
                raise ValueError(value)
            moment = parse(value.strip())
        except ValueError:
            raise ValidationError(self.context.text(self.subtype)) from None
        if self.no_past and _is_past(moment, self.context.now):
            raise ValidationError(self.context.text("past_date"))
        if self.rules is not None:
            _check_date_rules(moment, self.rules, self.context)
        if not isinstance(moment, datetime | time):
            return moment.isoformat()
        whole_minute = moment.second == 0 and moment.microsecond == 0
        return moment.isoformat(timespec="minutes" if whole_minute else "auto")


def _check_date_rules(moment: date | time, rules: DateRules, context: Context) -> None:
    """Refuse a date later than today (``not_future``) or outside the plausible years."""
    if not isinstance(moment, date):
        return
    day = moment.date() if isinstance(moment, datetime) else moment
    if rules.not_future and day > context.now.date():
        raise ValidationError(context.text("future_date"))
    if (rules.min_year is not None and day.year < rules.min_year) or (
            rules.max_year is not None and day.year > rules.max_year):
        raise ValidationError(context.text("year", min=rules.min_year or 1, max=rules.max_year or 9999))


def _is_past(moment: date | time, now: datetime) -> bool:
    """Say whether a date (before today) or date-time (before now) has passed; times of day never have."""
    if isinstance(moment, datetime):
        if (moment.tzinfo is None) != (now.tzinfo is None):
            # A date-time without offset is wall-clock time in the agency's zone, which ``now`` is given in.
            moment, now = moment.replace(tzinfo=None), now.replace(tzinfo=None)
        return moment < now
    return isinstance(moment, date) and moment < now.date()


def _temporal(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a date, time or date-time field."""
    return _Temporal(component=component, context=context, empty=lambda: None, required=component.required,
                     data_key=key)


class _Files(_Input):
    """One file value, or a list of them for a file picker that allows several (see engine.forms.files)."""

    def __init__(self, *, component: FormComponent, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rules = component.constraints

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if self.rules.multiple:
            if not isinstance(value, list):
                raise ValidationError(self.context.text("not_list"))
            return [self._one(item) for item in value]
        return self._one(value)

    def _one(self, value: Any) -> dict[str, Any]:
        """Check one file value against the picker's types and size limit."""
        return check_file(value, content_types=self.rules.content_types,
                          max_size=self.rules.max_size or DEFAULT_MAX_FILE_SIZE, locale=self.context.locale)


def _files(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a file picker field."""
    empty: Callable[[], Any] = list if component.constraints.multiple else (lambda: None)
    return _Files(component=component, context=context, empty=empty, required=component.required, data_key=key)


class _Picked(_Input):
    """A user name, unit code or group code (several for a tag list) among those the organisation offers."""

    def __init__(self, *, component: FormComponent, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.component = component

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        pick = self.component.pick
        assert pick is not None
        values = value if self.lists else [value]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError(self.context.text("not_list" if self.lists else "not_text"))
        values = [v.strip() for v in values]
        offered = (self.context.picks or {}).get(self.component.name or "")
        if self.context.picks is not None and any(v not in (offered or {}) for v in values):
            raise ValidationError(self.context.text(f"pick_{pick.kind}"))
        return list(dict.fromkeys(values)) if self.lists else values[0]


def picked(component: FormComponent, context: Context, key: str) -> fields.Field:
    """Build a pick field: the value must be one the organisation offers for it (docs/forms.md)."""
    lists = component.type == "taglist"
    return _Picked(component=component, context=context, empty=list if lists else (lambda: None),
                   required=component.required, data_key=key)


BUILDERS: Mapping[str, Callable[[FormComponent, Context, str], fields.Field]] = {
    "textfield": _text,
    "textarea": _text,
    "number": _number,
    "checkbox": _checkbox,
    "select": _choice,
    "radio": _choice,
    "checklist": _choices,
    "taglist": _choices,
    "datetime": _temporal,
    "filepicker": _files,
}

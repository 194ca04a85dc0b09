"""Reading the type-specific parts of a component: options, datetime subtype, and validation rules.

A mixin of the form loader; each reader reports what it cannot use through ``problem`` and carries on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.forms.definition import Choice, Constraints
from engine.forms.files import DEFAULT_MAX_FILE_SIZE, FILE_TYPES, accepted_types, type_names

CHOICE_TYPES = ("select", "radio", "checklist", "taglist")
DATETIME_SUBTYPES = ("date", "time", "datetime")
# A number as JSON writes it (no "nan", no "1_000", no decimal comma).
NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def is_feel(value: Any) -> bool:
    """Say whether a form-js attribute holds a FEEL expression (written ``=...``), which procflow cannot evaluate."""
    return isinstance(value, str) and value.startswith("=")


class RuleReader:
    """Readers of the parts of a component that depend on its type."""

    def problem(self, raw: Mapping[str, Any] | None, message: str, code: str) -> None:
        """Record one problem, located at component ``raw``."""
        raise NotImplementedError

    def _validate(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Return the component's ``validate`` object (empty when it is not an object, which is reported once)."""
        validate = raw.get("validate")
        return validate if isinstance(validate, dict) else {}

    def _specific(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> dict[str, Any]:
        """Read the parts that depend on the component type: options, subtype, rules."""
        kind = raw["type"]
        parts: dict[str, Any] = {"constraints": Constraints()}
        if kind in CHOICE_TYPES and not (props.get("pick") and not raw.get("values")):
            parts["choices"] = self._choices(raw, props)  # a pick field's options come from the organisation
        if kind == "datetime":
            parts["subtype"] = self._subtype(raw)
        builder = _CONSTRAINTS.get(kind)
        if builder is not None:
            parts["constraints"] = builder(self, raw, props)
        return parts

    def _choices(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> tuple[Choice, ...]:
        """Read the static options; English labels come from properties ``label_en.<value>``."""
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            if not raw.get("valuesKey") and not raw.get("valuesExpression"):
                self.problem(raw, "needs a list of options (values with label and value)", "F010")
            return ()
        choices: dict[str, Choice] = {}
        for option in values:
            value = option.get("value") if isinstance(option, dict) else None
            if not isinstance(value, str) or not value:
                self.problem(raw, f"option {option!r} needs a text value", "F010")
            elif value in choices:
                self.problem(raw, f"option value {value!r} appears twice", "F010")
            else:
                label = option.get("label") if isinstance(option.get("label"), str) else value
                choices[value] = Choice(value, label or value, props.get(f"label_en.{value}"))
        return tuple(choices.values())

    def _subtype(self, raw: Mapping[str, Any]) -> str:
        """Return a datetime component's subtype (form-js defaults to a date)."""
        subtype = raw.get("subtype") or "date"
        if subtype not in DATETIME_SUBTYPES:
            self.problem(raw, f"subtype must be one of {', '.join(DATETIME_SUBTYPES)}, not {subtype!r}", "F011")
            return "date"
        return str(subtype)

    def _text_rules(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> Constraints:
        """Read the rules of a text field or text area: lengths, pattern, e-mail or phone."""
        validate = self._validate(raw)
        min_length = self._count(raw, validate.get("minLength"), "validate.minLength")
        max_length = self._count(raw, validate.get("maxLength"), "validate.maxLength")
        if min_length is not None and max_length is not None and min_length > max_length:
            self.problem(raw, f"minLength {min_length} is larger than maxLength {max_length}", "F007")
        kind = validate.get("validationType") or None
        if kind not in (None, "custom", "email", "phone") or (kind != "custom" and kind and raw["type"] != "textfield"):
            self.problem(raw, f"validationType {kind!r} is not supported here", "F007")
            kind = None
        return Constraints(
            min_length=min_length, max_length=max_length, pattern=self._pattern(raw, validate.get("pattern")),
            pattern_message=self._message(raw, validate.get("patternErrorMessage")),
            pattern_message_en=props.get("patternErrorMessage_en"),
            validation_type=kind if kind in ("email", "phone") else None,
        )

    def _message(self, raw: Mapping[str, Any], value: Any) -> str | None:
        """Read the designer's own pattern message."""
        if value is None or isinstance(value, str):
            return value or None
        self.problem(raw, f"validate.patternErrorMessage must be text, not {value!r}", "F007")
        return None

    def _count(self, raw: Mapping[str, Any], value: Any, attribute: str) -> int | None:
        """Read a count (a length limit, a number of decimal digits): a whole number of zero or more."""
        number = self._decimal(raw, value, attribute)
        if number is None:
            return None
        if number < 0 or number != number.to_integral_value():
            self.problem(raw, f"{attribute} must be a whole number of zero or more", "F007")
            return None
        return int(number)

    def _decimal(self, raw: Mapping[str, Any], value: Any, attribute: str) -> Decimal | None:
        """Read a number written as a JSON number or as text (form-js allows both)."""
        if value is None or value == "" or is_feel(value):
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str) or not NUMBER_TEXT.fullmatch(str(value)):
            self.problem(raw, f"{attribute} must be a number, not {value!r}", "F007")
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - the pattern above admits only valid numbers
            self.problem(raw, f"{attribute} must be a number, not {value!r}", "F007")
            return None

    def _pattern(self, raw: Mapping[str, Any], pattern: Any) -> str | None:
        """Check that a pattern compiles with Python's regular expressions (nearly JavaScript's)."""
        if pattern in (None, "") or is_feel(pattern):
            return None
        if not isinstance(pattern, str):
            self.problem(raw, f"validate.pattern must be text, not {pattern!r}", "F008")
            return None
        try:
            re.compile(pattern, re.ASCII)
        except re.error as error:
            self.problem(raw, f"validate.pattern {pattern!r} is not a usable regular expression: {error}", "F008")
            return None
        return pattern

    def _number_rules(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> Constraints:
        """Read the rules of a number field: bounds, decimal digits, increment."""
        validate = self._validate(raw)
        minimum = self._decimal(raw, validate.get("min"), "validate.min")
        maximum = self._decimal(raw, validate.get("max"), "validate.max")
        if minimum is not None and maximum is not None and minimum > maximum:
            self.problem(raw, f"validate.min {minimum} is larger than validate.max {maximum}", "F007")
        digits = self._count(raw, raw.get("decimalDigits"), "decimalDigits")
        increment = self._decimal(raw, raw.get("increment"), "increment")
        if increment is not None and increment <= 0:
            self.problem(raw, "increment must be larger than zero", "F007")
            increment = None
        return Constraints(minimum=minimum, maximum=maximum, decimal_digits=digits, increment=increment,
                           as_string=raw.get("serializeToString") is True)

    def _datetime_rules(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> Constraints:
        """Read the rules of a date/time field."""
        return Constraints(no_past=raw.get("disallowPassedDates") is True)

    def _file_rules(self, raw: Mapping[str, Any], props: Mapping[str, str]) -> Constraints:
        """Read the rules of a file picker: several files or one, accepted types, size limit."""
        types, refused = tuple(FILE_TYPES), False
        for attribute, spec in (("accept", raw.get("accept")), ("content_types", props.get("content_types"))):
            if isinstance(spec, str) and spec.strip() and not is_feel(spec):
                narrowed, unknown = accepted_types(spec)
                if unknown:
                    refused = True
                    self.problem(raw, f"{attribute}: procflow does not accept {', '.join(unknown)}; it accepts "
                                      f"{type_names(FILE_TYPES)} (or their content types)", "F012")
                types = tuple(t for t in types if t in narrowed)
        if not types and not refused:
            self.problem(raw, "accept and properties.content_types leave no file type allowed", "F012")
        return Constraints(multiple=raw.get("multiple") is True, content_types=types,
                           max_size=self._max_size(raw, props.get("max_size_mb")))

    def _max_size(self, raw: Mapping[str, Any], text: str | None) -> int:
        """Read property ``max_size_mb``, which may only lower procflow's own limit."""
        megabytes = self._decimal(raw, text, "properties.max_size_mb")
        if megabytes is None:
            return DEFAULT_MAX_FILE_SIZE
        size = int(megabytes * 1024 * 1024)
        if not 0 < size <= DEFAULT_MAX_FILE_SIZE:
            self.problem(raw, f"properties.max_size_mb must be more than 0 and at most "
                              f"{DEFAULT_MAX_FILE_SIZE // (1024 * 1024)}", "F012")
            return DEFAULT_MAX_FILE_SIZE
        return size


_CONSTRAINTS = {
    "textfield": RuleReader._text_rules,
    "textarea": RuleReader._text_rules,
    "number": RuleReader._number_rules,
    "datetime": RuleReader._datetime_rules,
    "filepicker": RuleReader._file_rules,
}

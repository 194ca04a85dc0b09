"""Every message a form submission can get: a key, its English msgid, and the Vietnamese in the engine's catalog
(engine/translations/vi/LC_MESSAGES/messages.po), rendered through engine/i18n.py like every other message."""

from __future__ import annotations

from collections.abc import Mapping

from engine.i18n import DEFAULT_LOCALE, LOCALES, N_, render

__all__ = ["DEFAULT_LOCALE", "LOCALES", "MESSAGES", "literal", "message", "normalize_locale"]

MESSAGES: Mapping[str, str] = {
    "invalid_form": N_("The form has errors; check the marked fields."),
    "not_object": N_("The data must be a JSON object (pairs of field names and values)."),
    "unknown": N_("This field is not part of the form."),
    "read_only": N_("This field is read-only and cannot be submitted."),
    "required": N_("This field is required."),
    "must_check": N_("This box must be ticked."),
    "not_text": N_("The value must be text."),
    "not_number": N_("The value must be a number."),
    "not_integer": N_("The value must be a whole number."),
    "not_boolean": N_("The value must be yes or no."),
    "not_list": N_("The value must be a list."),
    "choice": N_("The chosen value is not one of the options."),
    "choices": N_("Some choices are not among the options: {values}."),
    "min_length": N_("Enter at least {min} characters."),
    "max_length": N_("Enter at most {max} characters."),
    "min": N_("The value must be at least {min}."),
    "max": N_("The value must be at most {max}."),
    "decimals": N_("Use at most {digits} digits after the decimal point."),
    "increment": N_("The value must be a multiple of {step}."),
    "too_large": N_("The number is too large."),
    "pattern": N_("The value does not have the required format."),
    "email": N_("This is not a valid e-mail address."),
    "phone": N_("This is not a valid phone number; use the international form, e.g. +84912345678."),
    "date": N_("This is not a valid date; expected YYYY-MM-DD."),
    "time": N_("This is not a valid time; expected HH:MM."),
    "datetime": N_("This is not a valid date and time; expected YYYY-MM-DDTHH:MM."),
    "past_date": N_("Dates in the past are not allowed."),
    "future_date": N_("The date cannot be later than today."),
    "year": N_("The year must be between {min} and {max}."),
    "before": N_("The date cannot be earlier than {other}."),
    "pick_user": N_("Choose a person from the list of those who may take this work."),
    "pick_unit": N_("Choose a unit from the list."),
    "pick_group": N_("Choose a group from the list."),
    "file": N_("This is not a valid attached file."),
    "file_type": N_("This file type is not allowed; accepted: {types}."),
    "file_size": N_("The file is too large; the limit is {limit} MB."),
}


def normalize_locale(locale: str) -> str:
    """Return ``"vi"`` or ``"en"`` for a locale such as ``"vi"``, ``"en-US"`` or ``"vi_VN"``."""
    language = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    if language not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; use one of {', '.join(LOCALES)}")
    return language


def message(key: str, locale: str, **values: object) -> str:
    """Return message ``key`` in ``locale``, with numbers written the way that language writes them.

    Args:
        key: a key of :data:`MESSAGES`.
        locale: ``"vi"`` or ``"en"`` (normalized).
        values: the placeholders of the message.

    Returns:
        The finished text.
    """
    return render(MESSAGES[key], values, locale)


def literal(text: str) -> str:
    """Escape braces, so marshmallow's own ``str.format`` on validator messages leaves ``text`` as it is."""
    return text.replace("{", "{{").replace("}", "}}")

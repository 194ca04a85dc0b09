"""The engine's one way to speak to people: a message is an English gettext msgid with ``{name}`` parameters,
rendered in the reader's language through the Babel catalogs that ship in ``engine/translations/``.

Mark a msgid with :func:`N_` where it is written so ``make translations`` extracts it; keep the parameters
apart (never an f-string), and render at the edge: the web in the request's language, the command line in
English unless ``PROCFLOW_LANG``/``LANG`` asks for Vietnamese, e-mails in the recipient's. English needs no
catalog: the msgid is the English text.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
CATALOGS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
# How a moment is written in each language (local time of the value's own offset).
MOMENT_FORMATS = {"vi": "HH:mm dd/MM/yyyy", "en": "HH:mm, d MMM yyyy"}
DATE_FORMATS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
_DATETIME_TAG = "$datetime"


def N_(msgid: str) -> str:  # noqa: N802 (gettext's name for a deferred translation)
    """Mark ``msgid`` for extraction; it is translated later, when rendered for a reader."""
    return msgid


@dataclass(frozen=True)
class Message:
    """A msgid with its parameters, rendered only when someone reads it."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, locale: str = "en") -> str:
        """The text in ``locale``."""
        return render(self.id, self.params, locale)

    def __str__(self) -> str:
        return self.render("en")

    def to_json(self) -> dict[str, Any]:
        """The parameters as JSON-ready values (moments tagged, so :func:`params_from_json` restores them)."""
        return params_to_json(self.params)


def normalize_locale(locale: str | None, default: str = DEFAULT_LOCALE) -> str:
    """``"vi"`` or ``"en"`` for a locale such as ``"vi"``, ``"en-US"``, ``"vi_VN.UTF-8"``; ``default`` otherwise."""
    language = (locale or "").replace("_", "-").split("-", 1)[0].split(".", 1)[0].strip().lower()
    return language if language in LOCALES else default


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The engine's catalog for ``locale`` (none for English): the compiled ``.mo``, else the ``.po`` read now."""
    language = normalize_locale(locale, "en")
    folder = CATALOGS / language / "LC_MESSAGES"
    if language == "en" or not (folder / f"{DOMAIN}.po").exists():
        return NullTranslations()
    mo = folder / f"{DOMAIN}.mo"
    po = folder / f"{DOMAIN}.po"
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as source:
            return Translations(source, domain=DOMAIN)
    # Not compiled yet (or the .po is newer): compile in memory, so a fresh checkout still speaks Vietnamese.
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def gettext(msgid: str, locale: str) -> str:
    """``msgid`` translated to ``locale`` (itself when the catalog lacks it)."""
    return translations(normalize_locale(locale, "en")).gettext(msgid)


def render(message: str | Message, params: Mapping[str, Any] | None = None, locale: str = "en") -> str:
    """Translate ``message`` into ``locale`` and fill in its ``{name}`` parameters, each written the way that
    language writes numbers and moments.

    Args:
        message: a msgid (or a :class:`Message`, whose own parameters are used).
        params: the values of the placeholders.
        locale: ``"vi"`` or ``"en"`` (anything else is read as English).

    Returns:
        The finished text; a placeholder without a value stays as written rather than failing.
    """
    msgid, given = (message.id, {**message.params, **(params or {})}) if isinstance(message, Message) \
        else (message, params or {})
    language = normalize_locale(locale, "en")
    values = {name: format_value(value, language) for name, value in given.items()}
    for template in (gettext(msgid, language), msgid):
        try:
            return template.format_map(_Missing(values))
        except (ValueError, IndexError, AttributeError, KeyError):  # a malformed translation: the English then
            continue
    return msgid


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_value(value: Any, locale: str) -> str:
    """A parameter as people read it in ``locale``: decimals with the language's separator, moments in local
    time; whole numbers (case numbers, counts) and everything else as they are."""
    if isinstance(value, dict) and _DATETIME_TAG in value:
        value = datetime.fromisoformat(value[_DATETIME_TAG])
    if isinstance(value, datetime):
        return format_moment(value, locale)
    if isinstance(value, date):
        return format_date(value, DATE_FORMATS[normalize_locale(locale, "en")], locale=_babel(locale))
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return format_number(value, locale)
    if isinstance(value, Message):
        return value.render(locale)
    return str(value)


def format_number(value: float | Decimal | int, locale: str) -> str:
    """A number in ``locale`` without grouping (``0,5`` in Vietnamese, ``0.5`` in English)."""
    return format_decimal(Decimal(str(value)), format="0.##########", locale=_babel(locale))


def format_moment(value: datetime, locale: str) -> str:
    """A moment in its own offset (the agency's local time), e.g. ``14:30 29/04/2026`` or ``14:30, 29 Apr 2026``."""
    language = normalize_locale(locale, "en")
    return format_datetime(value, MOMENT_FORMATS[language], tzinfo=value.tzinfo, locale=_babel(language))


def params_to_json(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters ready for a JSON column: moments become ``{"$datetime": iso}``, other values stay."""
    return {name: ({_DATETIME_TAG: value.isoformat()} if isinstance(value, datetime) else value)
            for name, value in params.items()}


def params_from_json(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters :func:`params_to_json` stored, moments as datetimes again."""
    return {name: (datetime.fromisoformat(value[_DATETIME_TAG])
                   if isinstance(value, dict) and _DATETIME_TAG in value else value)
            for name, value in (params or {}).items()}


@functools.cache
def _babel(locale: str) -> Locale:
    return Locale.parse(normalize_locale(locale, "en"))

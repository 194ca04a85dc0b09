"""Case fields kept on the instance row for lists and how they read: urgency level, business key, references.

Urgency follows Decree 30/2020/ND-CP: "hỏa tốc" (flash), "thượng khẩn" (top urgent), "khẩn" (urgent) and
normal. A process gives it with its ``urgency`` expression (see engine/bpmn/metadata.py); the value may be
the code or the Vietnamese name, with or without diacritics.

:func:`fold` is how every search folds text (lower case, no diacritics, đ as d), so users typing without
Vietnamese accents still find what they look for; cases are searched through the full-text index
(engine/persistence/search_index.py).
"""

from __future__ import annotations

import unicodedata
from typing import Any

URGENCY_LEVELS = ("flash", "top_urgent", "urgent", "normal")
_URGENCY_NAMES = {
    "flash": "flash", "hoa toc": "flash",
    "top_urgent": "top_urgent", "top urgent": "top_urgent", "thuong khan": "top_urgent",
    "urgent": "urgent", "khan": "urgent",
    "normal": "normal", "thuong": "normal", "binh thuong": "normal",
}


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics (đ becomes d) for accent-insensitive search."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


KEY_SEPARATOR = "|"  # what a business key expression joins its parts with (number|agency|year)
TITLE_LENGTH = 500


def display_key(business_key: str | None) -> str | None:
    """A business key as people write it: ``12/UBND-VP|Ủy ban nhân dân tỉnh|2026`` → ``12/UBND-VP — Ủy … — 2026``."""
    if not business_key:
        return business_key
    return " — ".join(part.strip() for part in business_key.split(KEY_SEPARATOR) if part.strip())


def case_reference(instance_id: int, title: str | None) -> str:
    """How a message names a case after "case #": its number, then its title in quotes when it has one."""
    return f"{instance_id} «{title}»" if title else str(instance_id)


def urgency_level(value: Any) -> str | None:
    """Map an urgency value (code or Vietnamese name) to one of :data:`URGENCY_LEVELS`; None if unknown."""
    if value is None:
        return None
    return _URGENCY_NAMES.get(" ".join(fold(str(value)).replace("-", " ").replace("_", " ").split()))


"""Whom an open task may be handed to: the colleagues a delegation picker offers, likeliest first.

:meth:`engine.inbox.work.WorkService.delegate` hands a task to any other *active* user (docs/inbox.md): delegation is
how work reaches people outside the task's candidate groups. The picker offers exactly those people, so it never
shows a choice that delegating would refuse, ordered so that the likeliest come first: members of the task's
candidate groups (and the users it names), then the delegating user's own unit, then everyone else, each by full
name.

Each word typed must begin a word of the person's full name, user name, title or unit name, ignoring case and
Vietnamese diacritics (the inbox's folding, engine/persistence/case_fields.py): "hoang vien" finds "Hoàng Văn Viên",
"tong hop" everyone of "Phòng Tổng hợp"; word beginnings rather than any substring, because short syllables ("an", "ha")
are inside most Vietnamese names. An agency has hundreds, at most a few thousand users, so the active users are read in
one query and searched and sorted here: the same on SQLite and PostgreSQL, whose collations order Vietnamese names
differently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from engine.errors import InvalidInput
from engine.i18n import N_
from engine.persistence.case_fields import fold
from engine.persistence.models import Membership, Unit, User
from engine.persistence.repository import OpenTask
from engine.runtime.inbox_rows import USER_PREFIX

CANDIDATE, SAME_UNIT, OTHER = "candidate", "unit", "other"
TIERS = (CANDIDATE, SAME_UNIT, OTHER)  # the order the picker lists them in
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_SEARCH = 100
_WORD_BREAK = re.compile(r"[\W_]+")

_ACTIVE_USERS = (select(User.username, User.full_name, User.title, User.unit_code, Unit.name.label("unit_name"))
                 .outerjoin(Unit, Unit.code == User.unit_code)
                 .where(User.active.is_(True)))
_MEMBERS = select(Membership.username).where(Membership.group_code.in_(bindparam("groups", expanding=True)))


@dataclass(frozen=True)
class Colleague:
    """A person a task may be handed to, as the picker shows them."""

    username: str
    full_name: str
    title: str | None
    unit_name: str | None
    tier: str  # CANDIDATE, SAME_UNIT or OTHER: why they come where they do

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class DelegateChoices:
    """The first colleagues matching a search, likeliest first, and how many match in all."""

    people: list[Colleague]
    total: int
    search: str

    @property
    def more(self) -> bool:
        """True when more people match than are listed (the user should narrow the search)."""
        return self.total > len(self.people)


def check_query(search: str, limit: int) -> None:
    """Refuse a search longer than :data:`MAX_SEARCH` characters or a limit outside 1 to :data:`MAX_LIMIT`."""
    problems: dict[str, list[str]] = {}
    if len(search) > MAX_SEARCH:
        problems["search"] = [f"at most {MAX_SEARCH} characters"]
    if not 1 <= limit <= MAX_LIMIT:
        problems["limit"] = [f"between 1 and {MAX_LIMIT}"]
    if problems:
        raise InvalidInput(N_("invalid search for colleagues"), problems)


def delegate_choices(conn: Connection, task: OpenTask, user: str, *, search: str = "",
                     limit: int = DEFAULT_LIMIT) -> DelegateChoices:
    """The active users other than ``user`` whom ``task`` may be handed to, likeliest first.

    The caller has checked that ``user`` may work on (and so hand on) the task.

    Args:
        search: words that must each begin a word of the person's full name, user name, title or unit name,
            ignoring case and Vietnamese diacritics (empty: everyone).
        limit: how many people to return; ``total`` counts every match.
    """
    check_query(search, limit)
    rows = conn.execute(_ACTIVE_USERS).all()
    own_unit = next((row.unit_code for row in rows if row.username == user), None)
    candidates = _candidates(conn, task.group_codes)
    matcher = _Matcher(_words(search))
    ranked: list[tuple[tuple[int, str, str, str], Colleague]] = []
    for row in rows:
        name = fold(row.full_name)
        if row.username == user or not matcher.matches(row, name):
            continue
        tier = _tier(row, candidates, own_unit)
        person = Colleague(row.username, row.full_name, row.title, row.unit_name, tier)
        ranked.append(((TIERS.index(tier), name, row.full_name, row.username), person))
    ranked.sort(key=lambda pair: pair[0])
    return DelegateChoices([person for _, person in ranked[:limit]], len(ranked), search.strip())


def _candidates(conn: Connection, group_codes: tuple[str, ...]) -> set[str]:
    """The users a task is offered to: members of its candidate groups and the users it names."""
    named = {code[len(USER_PREFIX):] for code in group_codes if code.startswith(USER_PREFIX)}
    groups = [code for code in group_codes if not code.startswith(USER_PREFIX)]
    members = set(conn.execute(_MEMBERS, {"groups": groups}).scalars()) if groups else set()
    return named | members


def _tier(row: Any, candidates: set[str], own_unit: str | None) -> str:
    if row.username in candidates:
        return CANDIDATE
    if own_unit is not None and row.unit_code == own_unit:
        return SAME_UNIT
    return OTHER


def _words(text: str) -> list[str]:
    """The folded words of ``text`` (split at spaces and punctuation, so ``truongphong_th`` is two words)."""
    return [word for word in _WORD_BREAK.split(fold(text)) if word]


class _Matcher:
    """Whether a person matches the search words; titles and unit names, shared by many people, are folded once."""

    def __init__(self, terms: list[str]) -> None:
        self.terms = terms
        self._folded: dict[str, list[str]] = {}

    def matches(self, row: Any, folded_name: str) -> bool:
        """True when each search word begins a word of the person's full name, user name, title or unit name."""
        if not self.terms:
            return True
        # User names are ASCII codes (engine/org/service.py), so lower-casing folds them.
        words = [*_WORD_BREAK.split(folded_name), *_WORD_BREAK.split(row.username.lower()),
                 *self._shared(row.title), *self._shared(row.unit_name)]
        return all(any(word.startswith(term) for word in words) for term in self.terms)

    def _shared(self, text: str | None) -> list[str]:
        if not text:
            return []
        if text not in self._folded:
            self._folded[text] = _words(text)
        return self._folded[text]

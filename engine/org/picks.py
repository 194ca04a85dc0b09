"""Whom or what a pick field may name: the people, units or groups of the organisation a form offers.

A form field that names a person, a unit or a group (custom property ``pick``, docs/forms.md) is chosen from a
list, never typed: the same list is shown by the page and checked by the server, so a name that nobody answers to
(``chuyenvien9``) cannot send work to nobody. People are active users (members of ``groups`` when given); units
are those with an active head, since work given to a unit goes to its head; ``scope`` narrows both to the acting
user's unit and the units below it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.persistence.case_fields import fold
from engine.persistence.models import Group, Membership, Unit, User

USER, UNIT, GROUP = "user", "unit", "group"


@dataclass(frozen=True)
class PickOption:
    """One choice of a pick field: the value stored, the name people know it by, and a hint (title, unit)."""

    value: str
    label: str
    hint: str = ""

    @property
    def text(self) -> str:
        """The label and the hint as one line of a list box."""
        return f"{self.label} — {self.hint}" if self.hint else self.label


def pick_options(conn: Connection, kind: str, *, groups: Iterable[str] = (), scope: str = "all",
                 actor: str | None = None) -> list[PickOption]:
    """The choices of a pick field, in the order people read them (by name).

    Args:
        kind: ``user``, ``unit`` or ``group``.
        groups: users only: members of any of these groups (none: every active user).
        scope: ``all``; ``unit``: the actor's unit and the units below it; ``subunits``: only those below.
        actor: who fills the form (None: no scope applies).
    """
    if kind == GROUP:
        rows = conn.execute(select(Group.code, Group.name)).all()
        return sorted((PickOption(r.code, r.name) for r in rows), key=_order)
    units = {r.code: r for r in conn.execute(select(Unit.code, Unit.name, Unit.parent_code, Unit.head_username))}
    within = _scope(conn, units, scope, actor)
    if kind == UNIT:
        active = set(conn.execute(select(User.username).where(User.active.is_(True))).scalars())
        found = [PickOption(u.code, u.name, _parent_name(units, u.code)) for u in units.values()
                 if u.head_username in active and (within is None or u.code in within)]
        return sorted(found, key=_order)
    query = select(User.username, User.full_name, User.title, User.unit_code).where(User.active.is_(True))
    wanted = list(groups)
    if wanted:
        query = query.where(User.username.in_(
            select(Membership.username).where(Membership.group_code.in_(wanted))))
    people = []
    for row in conn.execute(query):
        if within is not None and row.unit_code not in within:
            continue
        unit = units.get(row.unit_code)
        hint = ", ".join(part for part in (row.title, unit.name if unit else None) if part)
        people.append(PickOption(row.username, row.full_name, hint))
    return sorted(people, key=_order)


def _scope(conn: Connection, units: dict[str, Any], scope: str, actor: str | None) -> set[str] | None:
    """The unit codes a scope allows (None: all)."""
    if scope == "all" or actor is None:
        return None
    own = conn.execute(select(User.unit_code).where(User.username == actor)).scalar()
    if own is None:
        return set()
    below = subunits(units, own)
    return below if scope == "subunits" else below | {own}


def subunits(units: dict[str, Any], code: str) -> set[str]:
    """The codes of the units below ``code``, at any depth."""
    children: dict[str | None, list[str]] = {}
    for unit in units.values():
        children.setdefault(unit.parent_code, []).append(unit.code)
    found: set[str] = set()
    todo = list(children.get(code, []))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


def _parent_name(units: dict[str, Any], code: str) -> str:
    parent = units[code].parent_code
    return str(units[parent].name) if parent in units else ""


def _order(option: PickOption) -> tuple[str, str]:
    """Vietnamese names in the order people expect: "Đỗ" with the D's, not after "Z" (case_fields.fold)."""
    return fold(option.label), option.value

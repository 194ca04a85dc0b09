"""Whose work an open task is: the one rule deadlines, alerts and the on-time record share.

A task counts for (and its lateness belongs to) whoever holds it: its assignee's unit; while nobody holds it, the
unit of the group (or lane) it is offered to; only a task offered to nobody in particular counts for its case's
unit. A group has no unit of its own in the organisation file, so its unit is the smallest unit that holds all its
active members (``van_thu``: the clerical office; ``lanh_dao``, whose members lead the whole agency: the agency).
An offer to one person (``user:x``) counts for that person's unit.

Overdue alerts go to the head of that unit (for a task the head holds, the head of the unit above), and the
managers' figures count open tasks by it (engine/analytics/sql.py). A completed task is the actor's: its
history row keeps the actor's unit at that moment (engine/runtime/core.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from engine.persistence.models import Membership, Unit, User

USER_PREFIX = "user:"  # an offer to one person (engine/runtime/inbox_rows.py)

_MEMBER_UNITS = (select(Membership.group_code, User.unit_code).distinct()
                 .join(User, User.username == Membership.username)
                 .where(Membership.group_code.in_(bindparam("codes", expanding=True)), User.active.is_(True),
                        User.unit_code.is_not(None)))
_PEOPLE_UNITS = select(User.username, User.unit_code).where(User.username.in_(bindparam("names", expanding=True)))
_PARENTS = select(Unit.code, Unit.parent_code)
_UNIT = select(Unit.head_username, Unit.parent_code).where(Unit.code == bindparam("c"))
_USER_UNIT = select(User.unit_code).where(User.username == bindparam("u"))


class GroupUnits:
    """The units of candidate groups, read once per step (a step may open several tasks)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._found: dict[tuple[str, ...], str | None] = {}
        self._parents: dict[str, str | None] | None = None

    def unit_of(self, codes: Sequence[str]) -> str | None:
        """The unit a task offered to ``codes`` counts for: that of the first group (or person) that has one."""
        key = tuple(codes)
        if key not in self._found:
            self._found[key] = self._first_unit(key)
        return self._found[key]

    def _first_unit(self, codes: tuple[str, ...]) -> str | None:
        people = [c[len(USER_PREFIX):] for c in codes if c.startswith(USER_PREFIX)]
        groups = [c for c in codes if not c.startswith(USER_PREFIX)]
        person_unit = dict(self.conn.execute(_PEOPLE_UNITS, {"names": people}).all()) if people else {}
        member_units: dict[str, set[str]] = {}
        if groups:
            for code, unit in self.conn.execute(_MEMBER_UNITS, {"codes": groups}):
                member_units.setdefault(code, set()).add(str(unit))
        for code in codes:
            if code.startswith(USER_PREFIX):
                found = person_unit.get(code[len(USER_PREFIX):])
            else:
                found = self.common_unit(member_units.get(code, ()))
            if found:
                return str(found)
        return None

    def common_unit(self, units: Iterable[str]) -> str | None:
        """The smallest unit holding every unit of ``units`` (None for none)."""
        chains = [self._chain(u) for u in units]
        if not chains:
            return None
        shared = set(chains[0]).intersection(*chains[1:])
        return next((u for u in chains[0] if u in shared), None)

    def _chain(self, unit: str) -> list[str]:
        """``unit`` and the units above it, up to the top."""
        if self._parents is None:
            self._parents = {r.code: r.parent_code for r in self.conn.execute(_PARENTS)}
        chain: list[str] = []
        code: str | None = unit
        while code is not None and code not in chain and len(chain) < 50:  # bounds a damaged table
            chain.append(code)
            code = self._parents.get(code)
        return chain


def responsible_unit(conn: Connection, assignee: str | None, group_unit: str | None,
                     case_unit: str | None) -> str | None:
    """The unit an open task counts for: the assignee's, else its group's, else its case's."""
    if assignee:
        return conn.execute(_USER_UNIT, {"u": assignee}).scalar()
    return group_unit or case_unit


def head_of(conn: Connection, unit: str | None, *, besides: str | None = None) -> str | None:
    """The head of ``unit``; when that is ``besides`` (the holder themself) or nobody, the head of the unit above."""
    code = unit
    for _ in range(50):  # units are checked for cycles on import; this bounds a damaged table too
        if code is None:
            return None
        found = conn.execute(_UNIT, {"c": code}).first()
        if found is None:
            return None
        if found.head_username and found.head_username != besides:
            return str(found.head_username)
        code = found.parent_code
    return None


def alert_head(conn: Connection, assignee: str | None, group_unit: str | None, case_unit: str | None) -> str | None:
    """Whom an overdue alert goes to: the head of the unit the task counts for (never the holder themself)."""
    return head_of(conn, responsible_unit(conn, assignee, group_unit, case_unit), besides=assignee)

"""How people, groups and units are named to people: full names and unit names rather than codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.persistence.models import Group, Unit, User

USER_PREFIX = "user:"  # an offer to one person (engine/runtime/inbox_rows.py)


@dataclass(frozen=True)
class Names:
    """The organisation's display names, read once (a page's worth of lookups)."""

    people: dict[str, str] = field(default_factory=dict)
    people_units: dict[str, str | None] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)

    def person(self, username: str | None) -> str:
        """A person's full name (the username when nobody has it)."""
        return self.people.get(username or "", username or "")

    def holder(self, username: str | None) -> str:
        """A person's full name with their unit's name: ``Hoàng Văn Em (Phòng Tổng hợp)``."""
        unit = self.people_units.get(username or "")
        name = self.person(username)
        return f"{name} ({self.units.get(unit, unit)})" if unit else name

    def group(self, code: str | None) -> str:
        """A group's name; an offer to one person (``user:x``) names that person."""
        code = code or ""
        if code.startswith(USER_PREFIX):
            return self.person(code[len(USER_PREFIX):])
        return self.groups.get(code, code)

    def group_list(self, codes: Iterable[str] | None) -> str:
        """Groups' (or offered people's) names, comma-separated."""
        return ", ".join(self.group(c) for c in codes or ())

    def person_list(self, usernames: Iterable[str] | str | None) -> str:
        """People's full names, comma-separated (one username alone too)."""
        if isinstance(usernames, str):
            return self.person(usernames)
        return ", ".join(self.person(u) for u in usernames or ())

    def unit(self, code: str | None) -> str:
        """A unit's name (the code when there is no such unit)."""
        return self.units.get(code or "", code or "")


def read_names(conn: Connection) -> Names:
    """Every person's, group's and unit's display name."""
    people, people_units = {}, {}
    for row in conn.execute(select(User.username, User.full_name, User.unit_code)):
        people[row.username], people_units[row.username] = row.full_name, row.unit_code
    groups = {r.code: r.name for r in conn.execute(select(Group.code, Group.name))}
    units = {r.code: r.name for r in conn.execute(select(Unit.code, Unit.name))}
    return Names(people, people_units, groups, units)

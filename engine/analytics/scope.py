"""Who may see which figures: an agency leader sees everything, a head their units and those below, others themselves.

Rules (docs/managers.md), in line with who may open a case (engine/cases/visibility.py, docs/inbox.md):

* An *agency leader* is a member of the leaders' group (``lanh_dao`` by default, ``Settings.leader_group``) whose
  own unit is a top-level unit (one without a parent), or the head of a top-level unit. They see everything,
  figures of people and cases without a unit included.
* A *head* of units (``units.head_username``) sees those units and every unit below them.
* Everyone else sees only their own record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.errors import NotFound, PermissionDenied
from engine.i18n import N_, Message
from engine.persistence.models import Membership, Unit, User

LEADER_GROUP = "lanh_dao"
AGENCY, UNITS, SELF = "agency", "units", "self"


@dataclass(frozen=True)
class UnitInfo:
    """One unit of the organisation tree."""

    code: str
    name: str
    parent_code: str | None
    head_username: str | None


@dataclass(frozen=True)
class OrgTree:
    """The units, by code, with their children."""

    units: dict[str, UnitInfo]
    children: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn: Connection) -> OrgTree:
        """Read every unit."""
        rows = conn.execute(select(Unit.code, Unit.name, Unit.parent_code, Unit.head_username)).all()
        units = {r.code: UnitInfo(r.code, r.name, r.parent_code, r.head_username) for r in rows}
        children: dict[str, list[str]] = {}
        for unit in units.values():
            if unit.parent_code is not None:
                children.setdefault(unit.parent_code, []).append(unit.code)
        return cls(units, children)

    def subtree(self, codes: Iterable[str]) -> frozenset[str]:
        """The given units and every unit below them."""
        seen: set[str] = set()
        stack = list(codes)
        while stack:
            code = stack.pop()
            if code not in seen:
                seen.add(code)
                stack.extend(self.children.get(code, ()))
        return frozenset(seen)

    def ancestors(self, code: str) -> list[str]:
        """The units above ``code``, nearest first."""
        found: list[str] = []
        parent = self.units[code].parent_code if code in self.units else None
        while parent is not None and parent not in found and len(found) < len(self.units):
            found.append(parent)
            parent = self.units[parent].parent_code if parent in self.units else None
        return found

    def name(self, code: str | None) -> str:
        """The unit's name ('' for none or unknown)."""
        unit = self.units.get(code or "")
        return unit.name if unit else ""


@dataclass(frozen=True)
class Scope:
    """What one viewer may see: everything, a set of units, or only their own record."""

    viewer: str
    everything: bool = False
    units: frozenset[str] = frozenset()
    person: str | None = None

    @property
    def kind(self) -> str:
        """``agency``, ``units`` or ``self``."""
        return AGENCY if self.everything else UNITS if self.units else SELF

    @property
    def is_manager(self) -> bool:
        """True for an agency leader or a head of units."""
        return self.everything or bool(self.units)

    def sees_unit(self, code: str | None) -> bool:
        """True when figures of unit ``code`` are within this scope."""
        return self.everything or (code is not None and code in self.units)

    def require_manager(self, what: str) -> None:
        """Refuse unit-level figures to someone who may see only their own record (``what``: a msgid, N_)."""
        if not self.is_manager:
            raise PermissionDenied(N_("{what} are for heads of units and leaders; {viewer} sees their own record"),
                                   what=Message(what), viewer=self.viewer)


def scope_for(conn: Connection, username: str, tree: OrgTree | None = None,
              leader_group: str = LEADER_GROUP) -> Scope:
    """Resolve what ``username`` may see (see the module's rules).

    Args:
        conn: a connection to read the organisation with.
        username: the viewer.
        tree: the organisation tree if already loaded.
        leader_group: the group whose members in a top-level unit are agency leaders.

    Returns:
        The viewer's scope.

    Raises:
        NotFound: no active user ``username``.
    """
    user = conn.execute(select(User.unit_code, User.active).where(User.username == username)).first()
    if user is None or not user.active:
        raise NotFound(N_("no user '{user}'"), user=username)
    tree = tree or OrgTree.load(conn)
    led = {u.code for u in tree.units.values() if u.head_username == username}
    in_group = conn.execute(select(Membership.group_code).where(
        Membership.username == username, Membership.group_code == leader_group)).first() is not None
    top_level = user.unit_code in tree.units and tree.units[user.unit_code].parent_code is None
    if (in_group and top_level) or any(tree.units[code].parent_code is None for code in led):
        return Scope(username, everything=True)
    if led:
        return Scope(username, units=tree.subtree(led))
    return Scope(username, person=username)

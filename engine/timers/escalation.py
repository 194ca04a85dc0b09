"""Whom an overdue task goes to: ``procflow:escalateTo``, read when its escalation or reassignment fires.

The notation is ``procflow:assignee``'s (engine/runtime/inbox_rows.py) plus groups:

* ``chanhvp``: that user; ``${nguoi_theo_doi}``: the user named in the task's data;
* ``head:VP`` / ``head:${don_vi}``: the head of that unit;
* ``group:lanh_dao`` / ``group:${nhom}``: every active member of that group (told, never given the task alone).

It is resolved when the timer fires, not when the task opens: the data and the organisation may change
meanwhile. When it names nobody (an empty variable, an unknown or inactive user, an unknown unit or one without
a head, a group without active members, or a malformed value, which deploy does not refuse), today's rule is
used instead, the head of the assignee's unit, and the history says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from engine.notify.mail import group_members
from engine.org.service import resolve_group
from engine.persistence.models import Unit, User

USER, HEAD, GROUP = "user", "head", "group"
_TARGET = re.compile(r"^(?:(?P<kind>head|group):)?"
                     r"(?:\$\{\s*(?P<variable>[A-Za-z_][A-Za-z0-9_]*)\s*\}|(?P<code>[A-Za-z0-9_.\-]+))$")
FORMS = "a username, ${variable}, head:<unit>, head:${variable}, group:<group> or group:${variable}"

_HEAD = select(Unit.head_username).where(Unit.code == bindparam("code"))
_ACTIVE = select(User.username).where(User.username == bindparam("u"), User.active.is_(True))


@dataclass(frozen=True)
class Target:
    """A parsed ``procflow:escalateTo``: a user, the head of a unit or a group, named literally or by a variable."""

    kind: str  # USER, HEAD or GROUP
    name: str  # the username, unit code or group code, or the variable holding it
    variable: bool

    def value(self, data: Callable[[], Mapping[str, Any]]) -> str:
        """The username or code named: literal, or read from the data (empty when the variable is not set)."""
        if not self.variable:
            return self.name
        found = data().get(self.name)
        return str(found).strip() if found is not None else ""


def parse_target(text: str) -> Target | None:
    """Read ``procflow:escalateTo``; None when it is none of the forms understood."""
    match = _TARGET.match(text.strip())
    if match is None:
        return None
    variable = match.group("variable")
    return Target(match.group("kind") or USER, variable or match.group("code"), variable is not None)


def target_problem(text: str) -> str | None:
    """Say why ``procflow:escalateTo`` cannot be read, if it cannot."""
    if parse_target(text) is not None:
        return None
    hint = " (a Camunda expression; procflow reads ${name})" if text.strip().startswith("#{") else ""
    return f"{text.strip()!r} is not {FORMS}{hint}"


@dataclass(frozen=True)
class Escalation:
    """Whom an overdue task goes to, and why."""

    told: list[str]          # who is notified of the escalation
    taker: str | None        # who a reassignment gives the task to (None: nobody alone)
    expression: str | None   # procflow:escalateTo as written; None: today's rule, nothing more to record
    group: str | None = None
    fallback: str | None = None  # why the expression was not used: it named nobody

    @classmethod
    def to_head(cls, head: str | None, expression: str | None = None, why: str | None = None) -> Escalation:
        """Today's rule: the head of the assignee's unit (or of the starter's)."""
        return cls([head] if head else [], head, expression, fallback=why)

    def escalated(self, assignee: str | None) -> dict[str, Any]:
        """The history data of ``escalated``: as before for a task without ``procflow:escalateTo``."""
        to: str | list[str] | None = self.told if self.group else self.taker
        return {"to": to, "assignee": assignee, **self.details()}

    def details(self) -> dict[str, Any]:
        """What the history adds for a task with ``procflow:escalateTo``: the expression and any fallback."""
        if self.expression is None:
            return {}
        extra: dict[str, Any] = {"escalate_to": self.expression, "fallback": self.fallback is not None}
        if self.group:
            extra["group"] = self.group
        if self.fallback:
            extra["fallback_reason"] = self.fallback
        return extra


def resolve(conn: Connection, expression: str, data: Callable[[], Mapping[str, Any]],
            head: Callable[[], str | None]) -> Escalation:
    """Whom ``expression`` names now; today's rule (``head()``) with the reason when it names nobody.

    Args:
        conn: the firing transaction's connection (the organisation as it is now).
        expression: ``procflow:escalateTo`` as written.
        data: gives the task's data (read only for a ``${variable}``).
        head: gives the head of the assignee's unit, the fallback.
    """
    target = parse_target(expression)
    if target is None:
        return Escalation.to_head(head(), expression, f"procflow:escalateTo {target_problem(expression)}")
    name = target.value(data)
    if not name:
        return Escalation.to_head(head(), expression, f"variable {target.name} is empty")
    found, why = _named(conn, target.kind, name)
    if not found:
        return Escalation.to_head(head(), expression, why)
    if target.kind == GROUP:
        return Escalation(found, None, expression, group=resolve_group(conn, name))
    return Escalation(found, found[0], expression)


def _named(conn: Connection, kind: str, name: str) -> tuple[list[str], str]:
    """The active users ``name`` stands for, or none and why."""
    if kind == GROUP:
        members = sorted(group_members(conn, [resolve_group(conn, name)]))
        return members, f"group {name!r} has no active member"
    if kind == USER:
        return _active(conn, name), f"no active user {name!r}"
    head = conn.execute(_HEAD, {"code": name}).scalar()
    if not head:
        return [], f"no unit {name!r} with a head"
    return _active(conn, head), f"the head of unit {name!r}, {head!r}, is no active user"


def _active(conn: Connection, username: str) -> list[str]:
    return [username] if conn.execute(_ACTIVE, {"u": username}).scalar() else []

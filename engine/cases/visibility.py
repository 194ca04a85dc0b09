"""Who may see a case: the rule every case page, history, comment and attachment read goes through.

A user may see a case when they are active and one of these holds (docs/inbox.md):

1. they started it;
2. they acted on it (any history event names them as actor: completed, claimed, delegated, commented...);
3. one of its open tasks is assigned to them, or offered to them, to one of their groups, or to everyone;
4. they head a unit (directly or above, recursively) of someone involved in the case: its starter,
   an actor in its history, or the assignee of one of its open tasks;
5. they are an agency leader: a member of the leader group (``lanh_dao`` by default) whose own unit is a
   top-level unit (one without a parent);
6. they are an administrator: a member of the administrators' group (``quan_tri`` by default), who must be able
   to open any case that failed or that they suspend, resume or cancel.

:meth:`CaseAccess.visible_cases` states the same rules for many cases at once (a set of case ids, for search
and lists); tests/engine/cases/test_search.py checks it against :meth:`CaseAccess.sees` case by case.

A case one may not see is answered exactly like a case that does not exist (:func:`no_case`, a NotFound): the
refusal must not tell an outsider that the case exists, let alone its data, state or assignee. A task is seen
through its case (:meth:`CaseAccess.task_case`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, literal, or_, select, union
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter

from engine.errors import InvalidInput, NotFound
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import HistoryEvent, InboxTask, Instance, Membership, TaskCandidateGroup, Unit, User
from engine.runtime.inbox_rows import EVERYONE, USER_PREFIX

_users = table_of(User)
_units = table_of(Unit)
_members = table_of(Membership)
_inbox = table_of(InboxTask)
_offers = table_of(TaskCandidateGroup)
_history = table_of(HistoryEvent)
_instances = table_of(Instance)

_USER: BindParameter[str] = bindparam("user")
_CASE: BindParameter[int] = bindparam("instance_id")
_LEADER = (exists().where(_members.c.username == _USER, _members.c.group_code == bindparam("leader_group"))
           & exists().where(_units.c.code == _users.c.unit_code, _units.c.parent_code.is_(None)))
_ADMIN = exists().where(_members.c.username == _USER, _members.c.group_code == bindparam("admin_group"))
_HEADS = exists().where(_units.c.head_username == _USER)
_WHO = (select(_users.c.active, _LEADER.label("leader"), _ADMIN.label("admin"), _HEADS.label("heads"))
        .where(_users.c.username == _USER))
_STARTER = select(_instances.c.started_by).where(_instances.c.id == _CASE)
_OFFERED = exists().where(_offers.c.task_id == _inbox.c.id, or_(
    _offers.c.group_code.in_(select(_members.c.group_code).where(_members.c.username == _USER)),
    _offers.c.group_code.in_([bindparam("user_code"), EVERYONE])))
_DIRECT = select(
    exists().where(_history.c.instance_id == _CASE, _history.c.actor == _USER)
    | exists().where(_inbox.c.instance_id == _CASE, or_(_inbox.c.assignee == _USER,
                                                         _inbox.c.assignee.is_(None) & _OFFERED)))
_INVOLVED = union(
    select(_instances.c.started_by.label("username")).where(_instances.c.id == _CASE),
    select(_history.c.actor).where(_history.c.instance_id == _CASE, _history.c.actor.is_not(None)),
    select(_inbox.c.assignee).where(_inbox.c.instance_id == _CASE, _inbox.c.assignee.is_not(None)),
).subquery()
_INVOLVED_BELOW = select(literal(1)).where(
    _users.c.unit_code.in_(bindparam("units", expanding=True)),
    _users.c.username.in_(select(_INVOLVED.c.username))).limit(1)
_TASK_OF_CASE = select(
    exists().where(_inbox.c.id == bindparam("task_id"), _inbox.c.instance_id == _CASE)
    | exists().where(_history.c.task_id == bindparam("task_id"), _history.c.instance_id == _CASE))
_CASE_OF_TASK = union(
    select(_inbox.c.instance_id).where(_inbox.c.id == bindparam("task_id")),
    select(_history.c.instance_id).where(_history.c.task_id == bindparam("task_id")),
)
_HEADED = select(_units.c.code).where(_units.c.head_username == _USER)
_GROUPS = select(_members.c.group_code).where(_members.c.username == _USER)
_PEOPLE_IN = select(_users.c.username).where(_users.c.unit_code.in_(bindparam("units", expanding=True)))


@dataclass(frozen=True)
class VisibleCases:
    """The cases a user may see: all of them, none, or those whose ids ``ids`` selects."""

    everything: bool = False
    ids: Any = None  # a SELECT of instance ids (None with ``everything`` or for nobody)
    people: tuple[str, ...] = ()  # whose involvement shows a case (the user, and the people of units they head)
    codes: tuple[str, ...] = ()  # what an offer to the user names (their groups, their user code, everyone)

    def condition(self, instance_id: Any) -> Any:
        """The same rule as a condition on one case (``instance_id``, a column of the instances table joined in the
        query): for a query that starts from a few cases and should not build the whole set first."""
        return or_(
            _instances.c.started_by.in_(self.people),
            exists().where(_history.c.instance_id == instance_id, _history.c.actor.in_(self.people)),
            exists().where(_inbox.c.instance_id == instance_id, or_(
                _inbox.c.assignee.in_(self.people),
                _inbox.c.assignee.is_(None) & exists().where(_offers.c.task_id == _inbox.c.id,
                                                             _offers.c.group_code.in_(self.codes)))))

    @property
    def nothing(self) -> bool:
        """True for an unknown or inactive user."""
        return not self.everything and self.ids is None


def _visible_ids(people: list[str], codes: list[str]) -> Any:
    """Ids of the cases one of ``people`` started, acted on or holds an open task of, or offered to ``codes``."""
    return union(
        select(_instances.c.id.label("id")).where(_instances.c.started_by.in_(people)),
        select(_history.c.instance_id).where(_history.c.actor.in_(people)),
        select(_inbox.c.instance_id).where(_inbox.c.assignee.in_(people)),
        select(_inbox.c.instance_id).join(_offers, _offers.c.task_id == _inbox.c.id)
        .where(_inbox.c.assignee.is_(None), _offers.c.group_code.in_(codes)),
    )
_ALL_UNITS = select(_units.c.code, _units.c.parent_code)


def units_below(conn: Connection, roots: set[str]) -> set[str]:
    """The units ``roots`` and every unit under them, at any depth."""
    children: dict[str | None, list[str]] = {}
    for code, parent in conn.execute(_ALL_UNITS):
        children.setdefault(parent, []).append(code)
    found, todo = set(roots), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def no_case(instance_id: int) -> NotFound:
    """The one refusal for a case that does not exist and for a case the user may not see."""
    return NotFound(N_("no instance {instance_id}"), instance_id=instance_id)


def no_task(task_id: str) -> NotFound:
    """The one refusal for a task that does not exist and for a task of a case the user may not see."""
    return NotFound(N_("no open task {task_id}"), task_id=task_id)


def require_task_of_case(conn: Connection, instance_id: int, task_id: str) -> None:
    """Refuse a task id that is not a task (open or done) of the case."""
    if not conn.execute(_TASK_OF_CASE, {"task_id": task_id, "instance_id": instance_id}).scalar():
        raise InvalidInput(N_("task {task_id} is not a task of case #{instance_id}"), {"task_id": ["not in this case"]},
                           task_id=task_id, instance_id=instance_id)


class CaseAccess:
    """Answers whether a user may see a case (and so read its history, comments and attachments)."""

    def __init__(self, *, db: Database, leader_group: str = "lanh_dao", admin_group: str = "quan_tri") -> None:
        self.db = db
        self.leader_group = leader_group
        self.admin_group = admin_group

    def may_see_case(self, user: str, instance_id: int) -> bool:
        """True if ``user`` may see instance ``instance_id`` (False also when there is no such instance)."""
        with self.db.connect() as conn:
            try:
                return self.sees(conn, user, instance_id)
            except NotFound:
                return False

    def require(self, conn: Connection, user: str, instance_id: int) -> None:
        """Raise unless ``user`` may see the case.

        Raises:
            NotFound: there is no such instance, or the user may not see it (the same error: :func:`no_case`).
        """
        if not self.sees(conn, user, instance_id):
            raise no_case(instance_id)

    def task_case(self, conn: Connection, user: str, task_id: str) -> int:
        """The case of task ``task_id`` (open or done), if ``user`` may see that case.

        Raises:
            NotFound: no such task, or its case is not for ``user`` (the same error: :func:`no_task`).
        """
        instance_id = conn.execute(_CASE_OF_TASK, {"task_id": task_id}).scalar()
        if instance_id is None or not self.sees(conn, user, instance_id):
            raise no_task(task_id)
        return int(instance_id)

    def visible_cases(self, conn: Connection, user: str) -> VisibleCases:
        """The rules of :meth:`sees` for every case at once: what ``user`` may see, as a set of case ids.

        Leaders and administrators see everything; anyone else the cases they or (for a unit head) someone in a
        unit they head, at any depth, started, acted on or hold an open task of, and those with an open unassigned
        task offered to them or their groups.
        """
        params = {"user": user, "leader_group": self.leader_group, "admin_group": self.admin_group}
        who = conn.execute(_WHO, params).first()
        if who is None or not who.active:
            return VisibleCases()
        if who.leader or who.admin:
            return VisibleCases(everything=True)
        people = {user}
        if who.heads:
            units = units_below(conn, set(conn.execute(_HEADED, params).scalars()))
            people.update(conn.execute(_PEOPLE_IN, {"units": sorted(units)}).scalars())
        codes = [*sorted(conn.execute(_GROUPS, params).scalars()), USER_PREFIX + user, EVERYONE]
        return VisibleCases(ids=_visible_ids(sorted(people), codes), people=tuple(sorted(people)), codes=tuple(codes))

    def sees(self, conn: Connection, user: str, instance_id: int) -> bool:
        """Apply the visibility rules on ``conn``; raise NotFound if there is no such instance."""
        starter = conn.execute(_STARTER, {"instance_id": instance_id}).first()
        if starter is None:
            raise no_case(instance_id)
        params = {"user": user, "user_code": USER_PREFIX + user, "instance_id": instance_id,
                  "leader_group": self.leader_group, "admin_group": self.admin_group}
        who = conn.execute(_WHO, params).first()
        if who is None or not who.active:
            return False
        if starter.started_by == user or who.leader or who.admin or conn.execute(_DIRECT, params).scalar():
            return True
        if not who.heads:
            return False
        units = units_below(conn, set(conn.execute(_HEADED, params).scalars()))
        return conn.execute(_INVOLVED_BELOW, {**params, "units": sorted(units)}).first() is not None

"""Administering the organisation one change at a time: units (add, rename, move, head), groups and their
members, users (create, edit, active or not), and exporting it all in the import's own formats."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidInput, NotFound, no_user
from engine.i18n import LOCALES, N_
from engine.persistence.case_fields import fold
from engine.persistence.db import Database
from engine.persistence.models import Group, Membership, Unit, User

_CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]+$", error="use letters, digits, '_', '.' or '-' only")
CSV_COLUMNS = ("username", "full_name", "email", "unit", "unit_name", "parent_unit", "title", "groups", "head",
               "language", "active")


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class UnitInput(Schema):
    code = fields.String(required=True, validate=[validate.Length(1, 100), _CODE])
    name = fields.String(required=True, validate=validate.Length(1, 500))
    parent = fields.String(load_default=None, allow_none=True)


class UserInput(Schema):
    """A user as the administrators' form gives them; ``username`` only when creating."""

    username = fields.String(validate=[validate.Length(1, 100), _CODE])
    full_name = fields.String(required=True, validate=validate.Length(1, 500))
    email = fields.Email(load_default=None, allow_none=True)
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    unit = fields.String(load_default=None, allow_none=True)
    groups = fields.List(fields.String(), load_default=list)
    language = fields.String(load_default="vi", validate=validate.OneOf(LOCALES))


@dataclass(frozen=True)
class UnitNode:
    """A unit in the tree, with its depth (0 at the top) and how many active users it has."""

    code: str
    name: str
    parent: str | None
    head: str | None
    head_name: str | None
    depth: int
    members: int


@dataclass(frozen=True)
class Person:
    """A user as the administrators' pages show them."""

    username: str
    full_name: str
    email: str | None
    title: str | None
    unit: str | None
    language: str
    active: bool
    deactivated_at: datetime | None
    groups: tuple[str, ...]


class PeopleService:
    """The administrators' changes to units, groups and users; each is one transaction, checked first."""

    def __init__(self, *, db: Database) -> None:
        self.db = db

    # -- units --------------------------------------------------------------------------------
    def tree(self) -> list[UnitNode]:
        """Every unit, parents before their children (depth-first, by name)."""
        with self.db.read() as session:
            units = list(session.execute(select(Unit.code, Unit.name, Unit.parent_code, Unit.head_username)
                                         .order_by(Unit.name)))
            counts: dict[str | None, int] = {r[0]: int(r[1]) for r in session.execute(
                select(User.unit_code, func.count()).where(User.active.is_(True)).group_by(User.unit_code))}
            names: dict[str, str] = {r[0]: r[1] for r in session.execute(select(User.username, User.full_name))}
        children: dict[str | None, list[Any]] = {}
        codes = {u.code for u in units}
        for unit in units:
            children.setdefault(unit.parent_code if unit.parent_code in codes else None, []).append(unit)
        out: list[UnitNode] = []

        def walk(parent: str | None, depth: int) -> None:
            for unit in children.get(parent, []):
                out.append(UnitNode(unit.code, unit.name, unit.parent_code, unit.head_username,
                                    names.get(unit.head_username or ""), depth, counts.get(unit.code, 0)))
                if depth < 50:
                    walk(unit.code, depth + 1)

        walk(None, 0)
        return out

    def add_unit(self, raw: dict[str, Any]) -> str:
        """Create a unit (code, name, optional parent); return its code."""
        data = _load(UnitInput(), raw)
        with self.db.write() as session:
            if session.get(Unit, data["code"]) is not None:
                raise Conflict(N_("unit '{code}' already exists"), code=data["code"])
            if data["parent"]:
                _unit(session, data["parent"])
            session.add(Unit(code=data["code"], name=data["name"], parent_code=data["parent"], head_username=None))
        return str(data["code"])

    def rename_unit(self, code: str, name: str) -> None:
        """Give unit ``code`` a new name."""
        name = name.strip()
        if not 1 <= len(name) <= 500:
            raise InvalidInput(N_("a unit's name must have 1 to 500 characters"), {"name": ["1 to 500 characters"]})
        with self.db.write() as session:
            _unit(session, code).name = name

    def move_unit(self, code: str, parent: str | None) -> None:
        """Put unit ``code`` under ``parent`` (None: at the top); a unit cannot go under itself or its own units."""
        parent = _blank_is_none(parent)
        with self.db.write() as session:
            unit = _unit(session, code)
            above = parent
            for _ in range(100):
                if above is None:
                    break
                if above == code:
                    raise InvalidInput(N_("unit '{code}' cannot be moved under itself or one of its own units"),
                                       {"parent": [f"'{parent}' is inside '{code}'"]}, code=code)
                above = _unit(session, above).parent_code
            unit.parent_code = parent

    def set_head(self, code: str, username: str | None) -> None:
        """Make ``username`` (an active user) the head of unit ``code``; None: the unit has no head."""
        username = _blank_is_none(username)
        with self.db.write() as session:
            unit = _unit(session, code)
            if username is not None:
                _active_user(session, username)
            unit.head_username = username

    # -- groups -------------------------------------------------------------------------------
    def groups(self) -> list[tuple[str, str, int]]:
        """Every group: code, name and number of active members."""
        with self.db.read() as session:
            active = (select(Membership.group_code, func.count().label("n")).join(User)
                      .where(User.active.is_(True)).group_by(Membership.group_code).subquery())
            rows = session.execute(select(Group.code, Group.name, func.coalesce(active.c.n, 0))
                                   .outerjoin(active, active.c.group_code == Group.code).order_by(Group.code))
            return [(r[0], r[1], int(r[2])) for r in rows]

    def save_group(self, code: str, name: str) -> None:
        """Create group ``code`` or rename it."""
        data = _load(UnitInput(only=("code", "name")), {"code": code, "name": name})
        with self.db.write() as session:
            group = session.get(Group, data["code"])
            if group is None:
                session.add(Group(code=data["code"], name=data["name"]))
            else:
                group.name = data["name"]

    def members(self, group: str) -> list[str]:
        """The user names in ``group``."""
        with self.db.read() as session:
            if session.get(Group, group) is None:
                raise NotFound(N_("no group '{group}'"), group=group)
            return list(session.scalars(select(Membership.username).where(Membership.group_code == group)
                                        .order_by(Membership.username)))

    def set_membership(self, group: str, username: str, member: bool) -> None:
        """Put ``username`` in ``group`` or take them out."""
        with self.db.write() as session:
            if session.get(Group, group) is None:
                raise NotFound(N_("no group '{group}'"), group=group)
            if session.get(User, username) is None:
                raise no_user(username)
            session.execute(delete(Membership).where(Membership.group_code == group,
                                                     Membership.username == username))
            if member:
                session.add(Membership(group_code=group, username=username))

    # -- users --------------------------------------------------------------------------------
    def people(self, *, search: str = "", unit: str | None = None, include_inactive: bool = True,
               limit: int = 500) -> list[Person]:
        """Users by name, optionally only those of ``unit`` or whose name or user name contains ``search``, typed
        with or without Vietnamese diacritics ("tran" finds "Trần", "đang" finds "Đặng")."""
        query = select(User).order_by(User.active.desc(), User.username)
        wanted = fold(search)
        if not wanted:
            query = query.limit(limit)
        if unit:
            query = query.where(User.unit_code == unit)
        if not include_inactive:
            query = query.where(User.active.is_(True))
        with self.db.read() as session:
            users = list(session.scalars(query))
            if wanted:  # folded here, not by the database: SQLite's lower() leaves "Đ" and every diacritic alone
                users = [u for u in users if wanted in fold(u.username) or wanted in fold(u.full_name or "")][:limit]
            groups = _groups_of(session, [u.username for u in users])
            return [_person(u, groups.get(u.username, ())) for u in users]

    def person(self, username: str) -> Person:
        """One user, active or not.

        Raises:
            NotFound: no such user.
        """
        with self.db.read() as session:
            user = session.get(User, username)
            if user is None:
                raise no_user(username)
            return _person(user, _groups_of(session, [username]).get(username, ()))

    def create_user(self, raw: dict[str, Any]) -> str:
        """Create an active user from the form's fields; return the user name (they have no password yet)."""
        data = _load(UserInput(), {**raw, "username": raw.get("username") or ""})
        with self.db.write() as session:
            if session.get(User, data["username"]) is not None:
                raise Conflict(N_("user '{user}' already exists"), user=data["username"])
            session.add(User(username=data["username"], full_name=data["full_name"], active=True))
            session.flush()
            _apply(session, session.get_one(User, data["username"]), data)
        return str(data["username"])

    def update_user(self, username: str, raw: dict[str, Any]) -> None:
        """Change a user's name, e-mail, title, unit, groups and language."""
        data = _load(UserInput(exclude=("username",)), raw)
        with self.db.write() as session:
            user = session.get(User, username)
            if user is None:
                raise no_user(username)
            _apply(session, user, data)

    # -- export -------------------------------------------------------------------------------
    def export_structure(self) -> dict[str, Any]:
        """The organisation as the import reads it (YAML structure), inactive users marked ``active: false``."""
        with self.db.read() as session:
            units = [{"code": u.code, "name": u.name, "parent": u.parent_code, "head": u.head_username}
                     for u in session.execute(select(Unit.code, Unit.name, Unit.parent_code, Unit.head_username)
                                              .order_by(Unit.code))]
            groups = [{"code": g.code, "name": g.name}
                      for g in session.execute(select(Group.code, Group.name).order_by(Group.code))]
            users = [_person(u, ()) for u in session.scalars(select(User).order_by(User.username))]
            member_of = _groups_of(session, [u.username for u in users])
        people = []
        for u in users:
            row: dict[str, Any] = {"username": u.username, "full_name": u.full_name, "email": u.email,
                                   "unit": u.unit, "title": u.title, "groups": list(member_of.get(u.username, ())),
                                   "language": u.language}
            if not u.active:
                row["active"] = False
            people.append(row)
        return {"units": units, "groups": groups, "users": people}

    def export_yaml(self) -> str:
        """The organisation as a YAML file ``procflow org import`` reads back."""
        return str(yaml.safe_dump(self.export_structure(), allow_unicode=True, sort_keys=False))

    def export_csv(self) -> str:
        """The organisation as a CSV file, one user per row (columns of docs/organisation.md)."""
        data = self.export_structure()
        units = {u["code"]: u for u in data["units"]}
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for user in data["users"]:
            unit = units.get(user["unit"] or "", {})
            writer.writerow({
                "username": user["username"], "full_name": user["full_name"], "email": user["email"] or "",
                "unit": user["unit"] or "", "unit_name": unit.get("name", ""), "parent_unit": unit.get("parent") or "",
                "title": user["title"] or "", "groups": ";".join(user["groups"]),
                "head": "yes" if unit.get("head") == user["username"] else "", "language": user["language"],
                "active": "no" if user.get("active") is False else "yes"})
        return out.getvalue()


def set_active(conn: Connection, username: str, active: bool, now: datetime) -> bool:
    """Mark ``username`` active or not in the caller's transaction (the row stays: history names them);
    return whether they were active before.

    Raises:
        NotFound: no such user.
    """
    was = conn.execute(select(User.active).where(User.username == username)).scalar()
    if was is None:
        raise no_user(username)
    if bool(was) != active:
        conn.execute(update(User).where(User.username == username)
                     .values(active=active, deactivated_at=None if active else now))
    return bool(was)


def _apply(session: Session, user: User, data: dict[str, Any]) -> None:
    unit = _blank_is_none(data.get("unit"))
    if unit is not None:
        _unit(session, unit)
    groups = [g.strip() for g in data["groups"] if g.strip()]
    known = set(session.scalars(select(Group.code).where(Group.code.in_(groups))))
    unknown = [g for g in groups if g not in known]
    if unknown:
        raise InvalidInput(N_("check the marked fields"), {"groups": [f"unknown group '{g}'" for g in unknown]})
    user.full_name = data["full_name"].strip()
    user.email = _blank_is_none(data.get("email"))
    user.title = _blank_is_none(data.get("title"))
    user.unit_code = unit
    user.language = data["language"]
    session.execute(delete(Membership).where(Membership.username == user.username))
    for code in dict.fromkeys(groups):
        session.add(Membership(username=user.username, group_code=code))


def _person(user: User, groups: tuple[str, ...]) -> Person:
    return Person(user.username, user.full_name, user.email, user.title, user.unit_code, user.language, user.active,
                  user.deactivated_at, groups)


def _groups_of(session: Session, usernames: list[str]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    if usernames:
        for username, code in session.execute(select(Membership.username, Membership.group_code)
                                              .where(Membership.username.in_(usernames))
                                              .order_by(Membership.group_code)):
            found.setdefault(username, []).append(code)
    return {k: tuple(v) for k, v in found.items()}


def _unit(session: Session, code: str) -> Unit:
    unit = session.get(Unit, code)
    if unit is None:
        raise NotFound(N_("no unit '{code}'"), code=code)
    return unit


def _active_user(session: Session, username: str) -> User:
    user = session.get(User, username)
    if user is None or not user.active:
        raise no_user(username)
    return user


def _load(schema: Schema, raw: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: _blank_is_none(v) if k in ("email", "title", "unit", "parent") else v for k, v in raw.items()}
    try:
        return dict(schema.load(cleaned))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        raise InvalidInput(N_("check the marked fields"),
                           {str(k): [str(m) for m in (v if isinstance(v, list) else [v])]
                            for k, v in messages.items()}) from exc

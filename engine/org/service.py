"""The organisation: units (nested), their heads, users, and the groups that lanes name."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.errors import InvalidInput, no_user
from engine.i18n import DEFAULT_LOCALE, LOCALES, N_
from engine.persistence.db import Database
from engine.persistence.models import Group, Membership, Unit, User

_CODE = validate.Regexp(r"^[A-Za-z0-9_.\-]+$", error="use letters, digits, '_', '.' or '-' only")


class UnitSchema(Schema):
    code = fields.String(required=True, validate=[validate.Length(1, 100), _CODE])
    name = fields.String(required=True, validate=validate.Length(1, 500))
    parent = fields.String(load_default=None, allow_none=True)
    head = fields.String(load_default=None, allow_none=True)


class GroupSchema(Schema):
    code = fields.String(required=True, validate=[validate.Length(1, 100), _CODE])
    name = fields.String(required=True, validate=validate.Length(1, 500))


class UserSchema(Schema):
    username = fields.String(required=True, validate=[validate.Length(1, 100), _CODE])
    full_name = fields.String(required=True, validate=validate.Length(1, 500))
    email = fields.Email(load_default=None, allow_none=True)
    unit = fields.String(load_default=None, allow_none=True)
    title = fields.String(load_default=None, allow_none=True)
    groups = fields.List(fields.String(), load_default=list)
    password_hash = fields.String(load_default=None, allow_none=True)
    # The language of the user's e-mails and of the web app until they pick one; absent: kept (new users: vi).
    language = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(LOCALES))
    # Absent: kept (new users: active). ``procflow org export`` writes ``active: false`` for those who left.
    active = fields.Boolean(load_default=None, allow_none=True)


class OrgFileSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    units = fields.List(fields.Nested(UnitSchema), load_default=list)
    groups = fields.List(fields.Nested(GroupSchema), load_default=list)
    users = fields.List(fields.Nested(UserSchema), load_default=list)


@dataclass
class OrgImportResult:
    """Counts of what an import created or updated."""

    units: int = 0
    groups: int = 0
    users: int = 0
    warnings: list[str] = field(default_factory=list)


def read_org_file(path: Path) -> dict[str, Any]:
    """Read an organisation file (YAML, or CSV with one user per row) into the YAML structure."""
    if not path.is_file():
        raise InvalidInput(N_("{path}: no such file"), path=path)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return _csv_to_structure(text)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise InvalidInput(N_("{path}{where}: not valid YAML ({problem})"), path=path, where=where,
                           problem=getattr(exc, 'problem', exc)) from exc
    if not isinstance(data, dict):
        raise InvalidInput(N_("{path}: expected a mapping with units, groups and users"), path=path)
    return data


def _csv_to_structure(text: str) -> dict[str, Any]:
    """CSV columns: username, full_name, email, unit, unit_name, parent_unit, title, groups (a;b), head (yes),
    language (vi or en), active (no: a user who left)."""
    units: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, Any]] = {}
    users = []
    for row in csv.DictReader(io.StringIO(text)):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        unit = row.get("unit") or None
        if unit and unit not in units:
            units[unit] = {"code": unit, "name": row.get("unit_name") or unit,
                           "parent": row.get("parent_unit") or None, "head": None}
        if unit and row.get("head", "").lower() in ("yes", "y", "true", "1", "x", "có"):
            units[unit]["head"] = row.get("username")
        names = [g.strip() for g in row.get("groups", "").split(";") if g.strip()]
        for g in names:
            groups.setdefault(g, {"code": g, "name": g})
        users.append({"username": row.get("username"), "full_name": row.get("full_name"),
                      "email": row.get("email") or None, "unit": unit, "title": row.get("title") or None,
                      "groups": names, "language": row.get("language") or None,
                      "active": False if row.get("active", "").lower() in ("no", "n", "false", "0", "không") else None})
    return {"units": list(units.values()), "groups": list(groups.values()), "users": users}


class OrgService:
    """Imports and answers questions about the organisation."""

    def __init__(self, *, db: Database) -> None:
        self.db = db

    def import_structure(self, raw: dict[str, Any]) -> OrgImportResult:
        """Create or update units, groups and users from ``raw``; all or nothing."""
        try:
            data = OrgFileSchema().load(raw)
        except ValidationError as exc:
            raise InvalidInput(N_("invalid organisation file"), _flatten(exc.messages)) from exc
        _check_references(data)
        result = OrgImportResult()
        with self.db.write() as session:
            for unit in data["units"]:
                session.merge(Unit(code=unit["code"], name=unit["name"], parent_code=None,
                                   head_username=unit["head"]))
                result.units += 1
            session.flush()
            for unit in data["units"]:  # parents after every unit exists
                session.get_one(Unit, unit["code"]).parent_code = unit["parent"]
            for group in data["groups"]:
                known = session.get(Group, group["code"])
                if known is not None and group["name"] == group["code"]:
                    continue  # a CSV names groups by code only: an existing group keeps its name
                session.merge(Group(code=group["code"], name=group["name"]))
                result.groups += 1
            session.flush()
            for user in data["users"]:
                self._merge_user(session, user)
                result.users += 1
        return result

    def import_file(self, path: Path) -> OrgImportResult:
        """Import a YAML or CSV organisation file."""
        return self.import_structure(read_org_file(path))

    def _merge_user(self, session: Session, user: dict[str, Any]) -> None:
        row = session.get(User, user["username"])
        if row is None:
            row = User(username=user["username"], active=True)
            session.add(row)
        row.full_name = user["full_name"]
        row.email = user["email"]
        row.unit_code = user["unit"]
        row.title = user["title"]
        if user["password_hash"]:
            row.password_hash = user["password_hash"]
        if user["active"] is not None:
            row.active = user["active"]
        if user["language"]:
            row.language = user["language"]
        elif row.language is None:
            row.language = DEFAULT_LOCALE
        session.flush()
        session.execute(delete(Membership).where(Membership.username == user["username"]))
        for code in dict.fromkeys(user["groups"]):
            session.add(Membership(username=user["username"], group_code=code))

    def groups_of(self, session: Session, username: str) -> set[str]:
        """The group codes ``username`` belongs to."""
        return set(session.scalars(select(Membership.group_code).where(Membership.username == username)))

    def require_user(self, session: Session, username: str) -> User:
        """Return the active user ``username`` or raise NotFound."""
        user = session.get(User, username)
        if user is None or not user.active:
            raise no_user(username)
        return user

    def head_of_unit_of(self, session: Session, username: str) -> str | None:
        """The head of ``username``'s unit; for the head themself, the head of the unit above."""
        user = session.get(User, username)
        code = user.unit_code if user else None
        while code is not None:
            unit = session.get(Unit, code)
            if unit is None:
                return None
            if unit.head_username and unit.head_username != username:
                return unit.head_username
            code = unit.parent_code
        return None


_GROUP_BY_CODE_OR_NAME = (select(Group.code).where(or_(Group.code == bindparam("g"), Group.name == bindparam("g")))
                          .order_by((Group.code == bindparam("g")).desc()).limit(1))


_USER_UNIT = select(User.unit_code).where(User.username == bindparam("u"))
_UNIT = select(Unit.head_username, Unit.parent_code).where(Unit.code == bindparam("c"))


def head_for(conn: Connection, username: str | None) -> str | None:
    """The head of ``username``'s unit; for the head themself, the head of the unit above (None if none)."""
    if not username:
        return None
    code = conn.execute(_USER_UNIT, {"u": username}).scalar()
    for _ in range(50):  # units are checked for cycles on import; this bounds a damaged table too
        if code is None:
            return None
        unit = conn.execute(_UNIT, {"c": code}).first()
        if unit is None:
            return None
        if unit.head_username and unit.head_username != username:
            return str(unit.head_username)
        code = unit.parent_code
    return None


def resolve_group(conn: Connection, lane_or_group: str) -> str:
    """Map a lane name or candidate-group text to a group code (by code, then by name); else keep it."""
    code = conn.execute(_GROUP_BY_CODE_OR_NAME, {"g": lane_or_group}).scalar()
    return code or lane_or_group


def _check_references(data: dict[str, Any]) -> None:
    units = {u["code"] for u in data["units"]}
    groups = {g["code"] for g in data["groups"]}
    users = {u["username"] for u in data["users"]}
    errors: dict[str, list[str]] = {}
    for i, unit in enumerate(data["units"]):
        if unit["parent"] and unit["parent"] not in units:
            errors[f"units.{i}.parent"] = [f"unknown unit '{unit['parent']}'"]
        if unit["head"] and unit["head"] not in users:
            errors[f"units.{i}.head"] = [f"unknown user '{unit['head']}'"]
    for i, user in enumerate(data["users"]):
        if user["unit"] and user["unit"] not in units:
            errors[f"users.{i}.unit"] = [f"unknown unit '{user['unit']}'"]
        missing = [g for g in user["groups"] if g not in groups]
        if missing:
            errors[f"users.{i}.groups"] = [f"unknown group '{g}'" for g in missing]
    cycle = _find_cycle({u["code"]: u["parent"] for u in data["units"]})
    if cycle:
        errors["units"] = [f"units form a cycle: {' -> '.join(cycle)}"]
    if errors:
        raise InvalidInput(N_("invalid organisation file"), errors)


def _find_cycle(parents: dict[str, str | None]) -> list[str]:
    for start in parents:
        seen = [start]
        code = parents.get(start)
        while code is not None:
            if code in seen:
                return seen[seen.index(code):] + [code]
            seen.append(code)
            code = parents.get(code)
    return []


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages into ``{"users.3.email": [...]}``."""
    if isinstance(messages, list):
        return {prefix or "_": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat

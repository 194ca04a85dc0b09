"""Saved inbox filters: each user keeps named sets of filters (one name, one set) to reopen their inbox with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from engine.clock import Clock
from engine.errors import InvalidState, NotFound, no_user
from engine.i18n import N_
from engine.inbox.queries import InboxFilter
from engine.persistence import repository
from engine.persistence.case_models import SavedFilter
from engine.persistence.db import Database
from engine.runtime.checks import load_input

MAX_SAVED_FILTERS = 50


class SavedFilterNameSchema(Schema):
    """A saved filter's name."""

    name = fields.String(required=True, validate=validate.Length(1, 100))


NAME = SavedFilterNameSchema()


@dataclass(frozen=True)
class SavedFilterView:
    """A saved filter as its owner sees it."""

    id: int
    name: str
    filters: InboxFilter
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"id": self.id, "name": self.name, "filters": self.filters.as_dict(),
                "updated_at": self.updated_at.isoformat()}


class SavedFilterService:
    """Lists, saves (create or replace by name) and deletes a user's saved inbox filters."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def list_for(self, user: str) -> list[SavedFilterView]:
        """The user's saved filters, by name."""
        with self.db.read() as session:
            rows = session.scalars(select(SavedFilter).where(SavedFilter.username == user)
                                   .order_by(SavedFilter.name)).all()
            return [_view(r) for r in rows]

    def save(self, user: str, name: str, filters: InboxFilter) -> SavedFilterView:
        """Store ``filters`` under ``name`` for ``user``, replacing a saved filter of the same name.

        Raises:
            InvalidInput: the name is empty or too long.
            InvalidState: the user already keeps the most saved filters allowed (50).
        """
        name = load_input(NAME, {"name": name.strip()})["name"]
        now = self.clock.now()
        with self.db.write() as session:
            if repository.user_groups(session.connection(), user) is None:
                raise no_user(user)
            row = session.scalars(select(SavedFilter).where(SavedFilter.username == user,
                                                            SavedFilter.name == name)).first()
            if row is None:
                self._check_room(session, user)
                row = SavedFilter(username=user, name=name, created_at=now)
                session.add(row)
            row.filters, row.updated_at = filters.as_dict(), now
            session.flush()
            return _view(row)

    def delete(self, user: str, name: str) -> None:
        """Forget the user's saved filter ``name``; raise NotFound if they have none by that name."""
        with self.db.write() as session:
            row = session.scalars(select(SavedFilter).where(SavedFilter.username == user,
                                                            SavedFilter.name == name)).first()
            if row is None:
                raise NotFound(N_("no saved filter '{name}'"), name=name)
            session.delete(row)

    def _check_room(self, session: Any, user: str) -> None:
        count = session.scalar(select(func.count()).select_from(SavedFilter).where(SavedFilter.username == user))
        if count >= MAX_SAVED_FILTERS:
            raise InvalidState(N_("at most {limit} saved filters; delete one first"), limit=MAX_SAVED_FILTERS)


def _view(row: SavedFilter) -> SavedFilterView:
    return SavedFilterView(row.id, row.name, InboxFilter.load(row.filters or {}), row.updated_at)

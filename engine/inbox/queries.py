"""The staff inbox: one page of the open tasks a user may work on, filtered, searched and sorted by deadline.

A user sees the tasks assigned to them and the unassigned ones offered to them, to one of their groups
or to everyone. The page query starts from exactly those rows, found by index (``inbox_tasks.assignee``
and ``task_candidate_groups(group_code, task_id)``), so its cost follows the size of the user's inbox,
not of the whole table. It reads columns only and never deserializes a workflow. See docs/inbox.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from marshmallow import Schema, validate
from marshmallow import fields as mf
from sqlalchemy import Integer, bindparam, case, false, func, or_, select, union
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from engine.calendar.due_soon import due_soon_until, due_state
from engine.cases.queries import TaskView
from engine.cases.search import Terms, matching_ids
from engine.cases.visibility import units_below
from engine.clock import Clock
from engine.errors import InvalidInput
from engine.i18n import N_
from engine.persistence import repository
from engine.persistence.base import table_of
from engine.persistence.case_fields import URGENCY_LEVELS
from engine.persistence.db import Database
from engine.persistence.models import InboxTask, Instance, TaskCandidateGroup, Unit
from engine.runtime.checks import load_input
from engine.runtime.inbox_rows import EVERYONE, USER_PREFIX

STATES = ("all", "overdue", "due_soon", "no_deadline")
SCOPES = ("all", "assigned", "offered")
MAX_PER_PAGE = 200

_inbox = table_of(InboxTask)
_offers = table_of(TaskCandidateGroup)
_instances = table_of(Instance)
_UNIT_EXISTS = select(Unit.code).where(Unit.code == bindparam("unit"))


class InboxFilterSchema(Schema):
    """The inbox filters as the web layer (query string) or a saved filter gives them."""

    process_id = mf.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    unit = mf.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    urgency = mf.String(load_default=None, allow_none=True, validate=validate.OneOf(URGENCY_LEVELS))
    state = mf.String(load_default="all", validate=validate.OneOf(STATES))
    scope = mf.String(load_default="all", validate=validate.OneOf(SCOPES))
    search = mf.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


FILTER_SCHEMA = InboxFilterSchema()


@dataclass(frozen=True)
class InboxFilter:
    """What to show: procedure, the case's unit (and units under it), urgency, deadline state, scope, search."""

    process_id: str | None = None
    unit: str | None = None
    urgency: str | None = None
    state: str = "all"
    scope: str = "all"
    search: str | None = None

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> InboxFilter:
        """Validate filters from outside (empty values mean "any"); raise InvalidInput with field messages."""
        cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items()}
        cleaned = {k: v for k, v in cleaned.items() if v not in ("", None)}
        return cls(**load_input(FILTER_SCHEMA, cleaned))

    def as_dict(self) -> dict[str, Any]:
        """The filters that differ from the defaults, JSON-ready (what a saved filter stores)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != f.default}

    def shape(self) -> tuple[Any, ...]:
        """Which conditions the SQL needs (filters with the same shape share one prebuilt statement)."""
        urgency = "normal" if self.urgency == "normal" else bool(self.urgency)
        search = ("words" if Terms.parse(self.search) else "nothing") if self.search else False
        return (self.scope, bool(self.process_id), bool(self.unit), urgency, self.state, search)


@dataclass(frozen=True)
class InboxRow(TaskView):
    """One task as the inbox lists it: the task's view, its case's key facts and its deadline marks."""

    business_key: str | None
    summary: str | None
    urgency: str | None
    unit_code: str | None
    overdue: bool
    due_soon: bool


@dataclass(frozen=True)
class InboxPage:
    """A page of the inbox and the counts over every matching task (not only this page)."""

    rows: list[InboxRow]
    total: int
    overdue: int
    due_soon: int
    page: int
    per_page: int
    now: datetime
    due_soon_until: datetime

    @property
    def pages(self) -> int:
        """How many pages the matching tasks fill (at least one)."""
        return max(1, -(-self.total // self.per_page))


def _visible(scope: str) -> Any:
    """Ids of the tasks :user may work on: assigned to them, or offered to one of :codes (their groups, etc.)."""
    assigned = select(_inbox.c.id.label("task_id")).where(_inbox.c.assignee == bindparam("user"))
    # The codes come as a list of values (not a subquery) so that PostgreSQL estimates the user's share of
    # the offers from its statistics and drives the whole query from these few rows.
    offered = select(_offers.c.task_id).where(_offers.c.group_code.in_(bindparam("codes", expanding=True)))
    parts = {"assigned": [assigned], "offered": [offered]}.get(scope, [assigned, offered])
    return (union(*parts) if len(parts) > 1 else parts[0]).subquery("visible")


def _counted(condition: Any) -> Any:
    """How many of the matching tasks meet ``condition`` (a window over the whole result, not the page)."""
    return func.sum(case((condition, 1), else_=0)).over()


_OVERDUE = _inbox.c.due_at < bindparam("now")
_DUE_SOON = (_inbox.c.due_at >= bindparam("now")) & (_inbox.c.due_at < bindparam("soon"))
_STATE = {"overdue": _OVERDUE, "due_soon": _DUE_SOON, "no_deadline": _inbox.c.due_at.is_(None)}
_TASK_COLUMNS = (_inbox.c.id, _inbox.c.instance_id, _inbox.c.process_id, _inbox.c.element_id, _inbox.c.name,
                 _inbox.c.lane, _inbox.c.group_codes, _inbox.c.assignee, _inbox.c.created_at, _inbox.c.due_at,
                 _inbox.c.form_key)
_CASE_COLUMNS = (_instances.c.business_key, _instances.c.summary, _instances.c.urgency, _instances.c.unit_code)


def _page_statement(shape: tuple[Any, ...], dialect: str) -> Select[Any]:
    """Build the page query for one shape of filters.

    The inner query sorts and counts the user's matching tasks; only the page's rows then fetch their case's
    facts (a filter on the case joins the cases inside too).
    """
    scope, _process, unit, urgency, _state, search = shape
    visible = _visible(scope)
    source = visible.join(_inbox, _inbox.c.id == visible.c.task_id)
    cases = _instances.alias("filtered_cases")
    if unit or urgency:
        source = source.join(cases, cases.c.id == _inbox.c.instance_id)
    inner = (select(*_TASK_COLUMNS, func.count().over().label("total"), _counted(_OVERDUE).label("n_overdue"),
                    _counted(_DUE_SOON).label("n_due_soon"))
             .select_from(source)
             .where(or_(_inbox.c.assignee.is_(None), _inbox.c.assignee == bindparam("user"))))
    page = (_filtered(inner, shape, cases, dialect)
            .order_by(_inbox.c.due_at.is_(None), _inbox.c.due_at, _inbox.c.created_at, _inbox.c.id)
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)).subquery("page"))
    return (select(*page.c, *_CASE_COLUMNS).join_from(page, _instances, _instances.c.id == page.c.instance_id)
            .order_by(page.c.due_at.is_(None), page.c.due_at, page.c.created_at, page.c.id))


def _filtered(query: Select[Any], shape: tuple[Any, ...], cases: Any, dialect: str) -> Select[Any]:
    """Add the conditions of the filters in ``shape``; ``cases`` is the joined instances table. The search is the
    case search's full-text match (engine/cases/search.py): every word, any case, with or without diacritics."""
    _scope, process, unit, urgency, state, search = shape
    if process:
        query = query.where(_inbox.c.process_id == bindparam("process_id"))
    if unit:
        query = query.where(cases.c.unit_code.in_(bindparam("units", expanding=True)))
    if urgency == "normal":
        query = query.where(or_(cases.c.urgency == "normal", cases.c.urgency.is_(None)))
    elif urgency:
        query = query.where(cases.c.urgency == bindparam("urgency"))
    if state in _STATE:
        query = query.where(_STATE[state])
    if search == "words":
        query = query.where(_inbox.c.instance_id.in_(matching_ids(dialect)))
    elif search:  # punctuation only: no word to find, nothing found
        query = query.where(false())
    return query


class InboxQueries:
    """Answers the inbox page: what a user may work on, one page at a time."""

    def __init__(self, *, db: Database, clock: Clock, calendar: Any = None) -> None:
        self.db = db
        self.clock = clock
        self.calendar = calendar
        # Built once per shape of filters: SQLAlchemy then reuses the compiled form on every call.
        self._statements: dict[tuple[Any, ...], Select[Any]] = {}

    def page(self, user: str, filters: InboxFilter | None = None, *, page: int = 1,
             per_page: int = 50) -> InboxPage:
        """One page of ``user``'s inbox, earliest deadline first (tasks without one last), then oldest.

        Args:
            user: whose inbox; an unknown or inactive user sees nothing.
            filters: what to show (default: everything).
            page: 1-based page number.
            per_page: tasks per page, 1 to 200.

        Returns:
            The rows, each marked overdue or due soon (within one working day), and counts over all pages.
        """
        filters = filters or InboxFilter()
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidInput(N_("page must be >= 1 and per_page between 1 and 200"),
                               {"page": ["out of range"], "per_page": ["out of range"]})
        now = self.clock.now()
        soon = self.due_soon_until(now)
        statement = self._statement(filters)
        with self.db.connect() as conn:
            params = self._params(conn, user, filters, now, soon)
            if params is None:  # no such active user
                return _page([], [], page, per_page, now, soon)
            rows = conn.execute(statement, {**params, "limit": per_page, "offset": (page - 1) * per_page}).all()
            if not rows and page > 1:  # past the end: still say how many there are
                rows_for_count = conn.execute(statement, {**params, "limit": 1, "offset": 0}).all()
                return _page([], rows_for_count, page, per_page, now, soon)
        return _page([_row(r, now, soon) for r in rows], rows, page, per_page, now, soon)

    def due_soon_until(self, now: datetime) -> datetime:
        """The end of the due-soon window: one working day from ``now`` (engine/calendar/due_soon.py)."""
        return due_soon_until(self.calendar, now)

    def _statement(self, filters: InboxFilter) -> Select[Any]:
        shape = (*filters.shape(), self.db.engine.dialect.name)
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = _page_statement(shape[:-1], shape[-1])
        return statement

    def _params(self, conn: Connection, user: str, filters: InboxFilter, now: datetime,
                soon: datetime) -> dict[str, Any] | None:
        groups = repository.user_groups(conn, user)
        if groups is None:
            return None
        params: dict[str, Any] = {"user": user, "codes": [*sorted(groups), USER_PREFIX + user, EVERYONE],
                                  "now": now, "soon": soon, "process_id": filters.process_id,
                                  "urgency": filters.urgency}
        if filters.unit:
            if conn.execute(_UNIT_EXISTS, {"unit": filters.unit}).first() is None:
                raise InvalidInput(N_("no unit '{unit}'"), {"unit": ["unknown unit"]}, unit=filters.unit)
            params["units"] = sorted(units_below(conn, {filters.unit}))
        terms = Terms.parse(filters.search)
        if terms:
            params["query"] = terms.for_dialect(conn.dialect.name)
        return params


def _row(r: Any, now: datetime, soon: datetime) -> InboxRow:
    state = due_state(r.due_at, now, soon)
    return InboxRow(r.id, r.instance_id, r.process_id, r.element_id, r.name, r.lane, list(r.group_codes or []),
                    r.assignee, r.created_at, r.due_at, r.form_key, r.business_key, r.summary, r.urgency,
                    r.unit_code, state == "overdue", state == "soon")


def _page(rows: list[InboxRow], raw: Sequence[Any], page: int, per_page: int, now: datetime,
          soon: datetime) -> InboxPage:
    first = raw[0] if raw else None
    total, overdue, due_soon = (first.total, first.n_overdue or 0, first.n_due_soon or 0) if first else (0, 0, 0)
    return InboxPage(rows, int(total), int(overdue), int(due_soon), page, per_page, now, soon)

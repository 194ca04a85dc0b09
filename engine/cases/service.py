"""Cases as a user sees them: "my cases" (started or worked on), one case's page, history and diagram, if visible."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, union
from sqlalchemy.sql import Select

from engine.audit.access import CASE_VIEWED, AccessLog
from engine.cases.catalogue import Diagram, ProcessCatalogue
from engine.cases.queries import HistoryView, InstanceView, Queries
from engine.cases.search import Terms, matching_ids
from engine.cases.story import Fact, case_facts, decision_facts, held_by, holding
from engine.cases.visibility import CaseAccess
from engine.errors import InvalidInput
from engine.i18n import N_
from engine.org.directory import Names, read_names
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import HistoryEvent, InboxTask, Instance, InstanceStatus
from engine.runtime.versions import case_version

MAX_PER_PAGE = 200

_instances = table_of(Instance)
_history = table_of(HistoryEvent)
_inbox = table_of(InboxTask)
_OPEN = (select(_inbox.c.id, _inbox.c.instance_id, _inbox.c.name, _inbox.c.assignee, _inbox.c.created_at,
                _inbox.c.due_at)
         .where(_inbox.c.instance_id.in_(bindparam("ids", expanding=True))).order_by(_inbox.c.created_at))


@dataclass(frozen=True)
class OpenStep:
    """An open task of a case: where the case is now."""

    task_id: str
    name: str
    assignee: str | None
    created_at: datetime
    due_at: datetime | None


@dataclass(frozen=True)
class CaseRow:
    """One of a user's cases, where it is now and since when."""

    id: int
    process_id: str
    business_key: str | None
    summary: str | None
    urgency: str | None
    status: str
    started_by: str | None
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    since: datetime  # the newest open task's creation; for a case without open tasks, its end or last change
    open_tasks: list[OpenStep] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = {k: v for k, v in self.__dict__.items() if k != "open_tasks"}
        for key in ("started_at", "updated_at", "ended_at", "since"):
            out[key] = out[key].isoformat() if out[key] else None
        out["open_tasks"] = [{"task_id": t.task_id, "name": t.name, "assignee": t.assignee,
                              "created_at": t.created_at.isoformat(),
                              "due_at": t.due_at.isoformat() if t.due_at else None} for t in self.open_tasks]
        return out


@dataclass(frozen=True)
class CaseStory:
    """A case's data as its forms label it, what each completed task decided (by task id), and everyone's names."""

    facts: list[Fact]
    decisions: dict[str, list[Fact]]
    names: Names


@dataclass(frozen=True)
class CasePage:
    """A page of a user's cases and how many there are in all."""

    rows: list[CaseRow]
    total: int
    page: int
    per_page: int


@cache
def _my_cases(dialect: str, with_status: bool, with_process: bool, with_search: bool) -> Select[Any]:
    """Cases :user started or acted on, most recently changed first."""
    mine = union(select(_instances.c.id.label("id")).where(_instances.c.started_by == bindparam("user")),
                 select(_history.c.instance_id.label("id")).where(_history.c.actor == bindparam("user"))
                 ).subquery("mine")
    query = (select(_instances.c.id, _instances.c.process_id, _instances.c.business_key, _instances.c.summary,
                    _instances.c.urgency, _instances.c.status, _instances.c.started_by, _instances.c.started_at,
                    _instances.c.updated_at, _instances.c.ended_at, func.count().over().label("total"))
             .join(mine, mine.c.id == _instances.c.id))
    if with_status:
        query = query.where(_instances.c.status == bindparam("status"))
    if with_process:
        query = query.where(_instances.c.process_id == bindparam("process_id"))
    if with_search:  # every word of :query in the case's title, key or data: the full-text index, as the inbox's
        query = query.where(_instances.c.id.in_(matching_ids(dialect)))
    return (query.order_by(_instances.c.updated_at.desc(), _instances.c.id.desc())
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


_VERSION = select(_instances.c.lock_version).where(_instances.c.id == bindparam("instance_id"))


class CaseService:
    """A user's cases, and one case's page and history for those who may see it."""

    def __init__(self, *, db: Database, queries: Queries, access: CaseAccess, catalogue: ProcessCatalogue,
                 access_log: AccessLog) -> None:
        self.db = db
        self.queries = queries
        self.access = access
        self.catalogue = catalogue
        self.access_log = access_log

    def my_cases(self, user: str, *, status: str | None = None, process_id: str | None = None, page: int = 1,
                 per_page: int = 20, search: str = "") -> CasePage:
        """The cases ``user`` started or acted on, most recently changed first, each with its open tasks.

        Args:
            status: only cases in this status (running, suspended, error, completed, terminated).
            process_id: only cases of this procedure.
            search: words that must each occur in the case's title, business key or data text, case and
                Vietnamese diacritics ignored, the last one also as a prefix (engine/cases/search.py, ``Terms``);
                punctuation only finds nothing.
        """
        if status is not None and status not in {s.value for s in InstanceStatus}:
            raise InvalidInput(N_("unknown status '{status}'"), {"status": ["unknown status"]}, status=status)
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidInput(N_("page must be >= 1 and per_page between 1 and 200"),
                               {"page": ["out of range"], "per_page": ["out of range"]})
        terms = Terms.parse(search)
        if search.strip() and not terms:
            return CasePage([], 0, page, per_page)
        params = {"user": user, "status": status, "process_id": process_id, "limit": per_page,
                  "offset": (page - 1) * per_page}
        with self.db.connect() as conn:
            dialect = conn.dialect.name
            if terms:
                params["query"] = terms.for_dialect(dialect)
            statement = _my_cases(dialect, status is not None, process_id is not None, bool(terms))
            rows = conn.execute(statement, params).all()
            steps: dict[int, list[OpenStep]] = {}
            if rows:
                for t in conn.execute(_OPEN, {"ids": [r.id for r in rows]}):
                    steps.setdefault(t.instance_id, []).append(OpenStep(t.id, t.name, t.assignee, t.created_at,
                                                                        t.due_at))
        total = rows[0].total if rows else 0
        return CasePage([_case_row(r, steps.get(r.id, [])) for r in rows], int(total), page, per_page)

    def case(self, instance_id: int, user: str, *, with_history: bool = True) -> InstanceView:
        """The case page: its status, open tasks, current data and history, if ``user`` may see it.

        The view is recorded in the case's access log (engine/audit/access.py) before anything is shown.
        """
        self._require(instance_id, user)
        self.access_log.record(instance_id, user, CASE_VIEWED)
        return self.queries.instance(instance_id, with_history=with_history)

    def story(self, case: InstanceView, locale: str = "vi") -> CaseStory:
        """What the case is about for its page (``case`` as :meth:`case` gave it, so already allowed): its data
        labelled as its forms label it, a person picked for a step told as who held it (engine/cases/story.py),
        and what each completed task decided."""
        forms = self.catalogue.case_forms(case.id)
        holdings = {name: found for name, elements in self.catalogue.assigned_by_field(case.id).items()
                    if isinstance(case.data.get(name), str)
                    and (found := holding(case.history, elements, case.data[name])) is not None}
        with self.db.connect() as conn:
            names = read_names(conn)
        decisions: dict[str, list[Fact]] = {}
        for event in case.history:
            form = forms.get(event.element_id or "")
            if event.kind == "task_completed" and event.task_id and form is not None:
                submitted = (event.data or {}).get("data") or {}
                decisions[event.task_id] = decision_facts(form, submitted, names, locale)
        facts = held_by(case_facts(forms.values(), case.data, names, locale), holdings, names)
        return CaseStory(facts, decisions, names)

    def version(self, instance_id: int, user: str) -> str:
        """The case's version (engine/runtime/versions.py), if ``user`` may see it (else NotFound)."""
        with self.db.connect() as conn:
            self.access.require(conn, user, instance_id)
            return case_version(int(conn.execute(_VERSION, {"instance_id": instance_id}).scalar_one()))

    def history(self, instance_id: int, user: str) -> list[HistoryView]:
        """The case's history, oldest first, if ``user`` may see the case."""
        self._require(instance_id, user)
        return self.queries.history(instance_id)

    def diagram(self, instance_id: int, user: str) -> Diagram:
        """The case's diagram with where it stands (``ProcessCatalogue.diagram``), if ``user`` may see the case.

        Raises:
            NotFound: no such case; PermissionDenied: the user may not see it.
        """
        self._require(instance_id, user)
        return self.catalogue.diagram(instance_id)

    def _require(self, instance_id: int, user: str) -> None:
        with self.db.connect() as conn:
            self.access.require(conn, user, instance_id)


def _case_row(r: Any, steps: list[OpenStep]) -> CaseRow:
    since = max(s.created_at for s in steps) if steps else (r.ended_at or r.updated_at)
    return CaseRow(r.id, r.process_id, r.business_key, r.summary, r.urgency, InstanceStatus(r.status).value,
                   r.started_by, r.started_at, r.updated_at, r.ended_at, since, steps)

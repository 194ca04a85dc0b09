"""Full-text search over the cases a user may see: ranked, with highlighted snippets (docs/search.md).

A query is cut into words the way the index is (engine/persistence/search_index.py: lower case, no diacritics, đ as
d), so "cong van" finds "Công văn". Every word must occur (a word joined to the next by punctuation, as in
"12/UBND-VP", must be followed by it); the last word also matches as a prefix while one is typing. Hits are ranked
by the database's full-text rank (PostgreSQL ``ts_rank_cd`` on a ``tsvector`` with the title and business key
weighted above the data; SQLite FTS5's ``bm25`` with the same weights), then most recently changed first.

Only cases the user may see are searched: the visibility rule (engine/cases/visibility.py) is part of the query,
so a case one may not see is neither counted nor listed, and no snippet of it is built. Filters: procedure,
status, the case's unit (and the units under it) and the period in which the case started.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, validate, validates_schema
from marshmallow import ValidationError as MarshmallowError
from marshmallow import fields as mf
from sqlalchemy import Integer, bindparam, cast, func, literal_column, select, table
from sqlalchemy import column as sql_column
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from engine.cases.queries import Queries
from engine.cases.visibility import CaseAccess, VisibleCases, units_below
from engine.errors import InvalidInput
from engine.i18n import N_
from engine.persistence import search_index
from engine.persistence.base import table_of
from engine.persistence.case_models import CaseSearchRow
from engine.persistence.db import Database
from engine.persistence.models import Instance, InstanceStatus, Unit
from engine.persistence.search_index import SEPARATOR, words
from engine.runtime.checks import load_input

MAX_PER_PAGE = 100
MAX_WORDS = 12
FEW_MATCHES = 1000  # SQLite: up to this many matches, visibility is checked match by match rather than as a set
RANKED = 1000  # words matching more cases: the most recent this many are ranked and the count says "more than"
MAX_MONTHS = 36  # a longer period is not narrowed by month lexemes (PostgreSQL), only by its exact condition
SNIPPET_LENGTH = 200

_search = table_of(CaseSearchRow)
_instances = table_of(Instance)
_units = table_of(Unit)
_fts = table("case_search_fts", sql_column("rowid"), sql_column("case_search_fts"))
# What the GIN index of case_search covers on PostgreSQL (migration 0027): a query must name it so to use it.
_INDEXED: Any = literal_column("(case_search.document || case_search.access)")
_UNIT_EXISTS = select(_units.c.code).where(_units.c.code == bindparam("unit"))
STATUSES = tuple(s.value for s in InstanceStatus)


class SearchFilterSchema(Schema):
    """The search filters as the web layer (query string), the API or the CLI give them."""

    process_id = mf.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    status = mf.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))
    unit = mf.String(load_default=None, allow_none=True, validate=validate.Length(1, 100))
    started_from = mf.Date(load_default=None, allow_none=True)
    started_to = mf.Date(load_default=None, allow_none=True)

    @validates_schema
    def _period(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("started_from"), data.get("started_to")
        if start and end and end < start:
            raise MarshmallowError("the period ends before it starts", field_name="started_to")


_FILTER_SCHEMA = SearchFilterSchema()


@dataclass(frozen=True)
class SearchFilters:
    """What to narrow a search to (None: any)."""

    process_id: str | None = None
    status: str | None = None
    unit: str | None = None
    started_from: date | None = None
    started_to: date | None = None

    @classmethod
    def load(cls, raw: Mapping[str, Any]) -> SearchFilters:
        """Validate filters from outside (empty values mean "any"); raise InvalidInput with field messages."""
        cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in raw.items()
                   if k in {f.name for f in fields(cls)}}
        cleaned = {k: v for k, v in cleaned.items() if v not in ("", None)}
        return cls(**load_input(_FILTER_SCHEMA, cleaned))

    def as_dict(self) -> dict[str, str]:
        """The filters that are set, as strings (for links)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Terms:
    """A query cut into words: groups of words that must follow each other; the last word may be a prefix."""

    groups: tuple[tuple[str, ...], ...]
    prefix: bool

    @classmethod
    def parse(cls, query: str | None) -> Terms:
        """The words of ``query`` as the index cuts them (at most :data:`MAX_WORDS`)."""
        groups: list[tuple[str, ...]] = []
        count = 0
        for chunk in (query or "").split():
            found = words(chunk)[:MAX_WORDS - count]
            if found:
                groups.append(tuple(found))
                count += len(found)
            if count >= MAX_WORDS:
                break
        last = groups[-1][-1] if groups else ""
        return cls(tuple(groups), len(last) >= 2 and not last.isdigit())

    def __bool__(self) -> bool:
        return bool(self.groups)

    @property
    def all_words(self) -> list[str]:
        """Every word of the query."""
        return [w for g in self.groups for w in g]

    def postgres(self) -> str:
        """The query for ``to_tsquery('simple', ...)``: words are letters and digits only, so quoting is safe."""
        parts = []
        for i, group in enumerate(self.groups):
            last_group = i == len(self.groups) - 1
            quoted = [f"'{w}'" + (":*" if last_group and j == len(group) - 1 and self.prefix else "")
                      for j, w in enumerate(group)]
            parts.append("(" + " <-> ".join(quoted) + ")")
        return " & ".join(parts)

    def sqlite(self) -> str:
        """The query for FTS5 ``MATCH``: each group a quoted phrase, the last one a prefix when typing."""
        parts = ['"' + " ".join(g) + '"' for g in self.groups]
        if self.prefix:
            parts[-1] += "*"
        return " AND ".join(parts)

    def for_dialect(self, dialect: str) -> str:
        """The query text for the database ``dialect`` (postgresql or sqlite)."""
        return self.postgres() if dialect == "postgresql" else self.sqlite()

    def matches(self, word: str) -> bool:
        """True if an indexed ``word`` is one of the query's (or starts with its last word, when a prefix)."""
        if word in self._exact:
            return True
        return self.prefix and word.startswith(self.groups[-1][-1])

    @property
    def _exact(self) -> set[str]:
        return set(self.all_words)


@dataclass(frozen=True)
class SearchHit:
    """One case found: its key facts and where the query's words are in its title and text."""

    id: int
    process_id: str
    business_key: str | None
    title: str | None
    status: str
    urgency: str | None
    unit_code: str | None
    started_at: datetime
    updated_at: datetime
    title_marks: list[tuple[str, bool]]  # the title cut into (text, is a hit) pieces
    key_marks: list[tuple[str, bool]]  # the business key as people write it ("12/UBND — Tỉnh — 2026"), cut the same way
    snippet: list[tuple[str, bool]]  # the data text the title does not say, around its first hit, cut the same way

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (marks as ``[text, hit]`` pairs)."""
        out = dict(self.__dict__)
        out["started_at"] = self.started_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        return out


@dataclass(frozen=True)
class SearchPage:
    """A page of hits and how many cases match in all."""

    hits: list[SearchHit]
    total: int
    page: int
    per_page: int
    query: str
    more: bool = False  # more than ``total`` cases have the words: the most recent ``total`` were ranked

    @property
    def pages(self) -> int:
        """How many pages the hits fill (at least one)."""
        return max(1, -(-self.total // self.per_page))


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """One character folded as the index folds text (it may become several, or none)."""
    return "".join(p for p in unicodedata.normalize("NFD", char.casefold().replace("đ", "d"))
                   if not unicodedata.combining(p))


def _folded_with_positions(text: str) -> tuple[str, list[int]]:
    """``text`` folded character by character, with the index in ``text`` of each folded character."""
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        piece = char if char.isascii() and not char.isupper() else _fold_char(char)
        out.append(piece)
        where.extend([i] * len(piece))
    return "".join(out), where


_WORD = re.compile(r"[^\W_]+")


def hit_spans(text: str, terms: Terms) -> list[tuple[int, int]]:
    """Where in ``text`` (start, end) the words of the query are, found without regard to case and diacritics."""
    if not terms:
        return []
    folded, where = _folded_with_positions(text)
    return [(where[m.start()], where[m.end() - 1] + 1) for m in _WORD.finditer(folded) if terms.matches(m.group())]


def marks(text: str, spans: list[tuple[int, int]], start: int = 0, end: int | None = None) -> list[tuple[str, bool]]:
    """``text[start:end]`` cut into (text, is a hit) pieces."""
    end = len(text) if end is None else end
    pieces: list[tuple[str, bool]] = []
    at = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > at:
            pieces.append((text[at:s], False))
        pieces.append((text[s:e], True))
        at = e
    if at < end:
        pieces.append((text[at:end], False))
    return pieces


def beside(content: str, title: str | None) -> str:
    """``content`` (data texts joined by :data:`SEPARATOR`) without the texts ``title`` already shows: a text whose
    words all stand, in order, in the title's (the trích yếu a title is made of, the number in "Số 12/UBND: …")."""
    if not title:
        return content
    said = f" {' '.join(words(title))} "
    return SEPARATOR.join(part for part in content.split(SEPARATOR)
                          if not (found := words(part)) or f" {' '.join(found)} " not in said)


def snippet(text: str, terms: Terms, length: int = SNIPPET_LENGTH, *,
            title: str | None = None) -> list[tuple[str, bool]]:
    """About ``length`` characters of ``text`` around its first hit (its start if none), hits marked; what
    ``title`` (shown above the snippet) already says is left out (:func:`beside`), so nothing is said twice."""
    text = beside(text, title)
    spans = hit_spans(text, terms)
    if len(text) <= length:
        return marks(text, spans)
    first = spans[0][0] if spans else 0
    start = max(0, first - length // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > (spans[0][1] if spans else start) else end
    pieces = marks(text, spans, start, end)
    if start:
        pieces.insert(0, ("… ", False))
    if end < len(text):
        pieces.append((" …", False))
    return pieces


def matching_ids(dialect: str) -> Select[Any]:
    """The ids of the cases whose index row matches ``:query`` (:meth:`Terms.for_dialect`): for other queries'
    ``IN``, as the inbox's search box uses it."""
    if dialect == "postgresql":
        query = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("query"))
        return select(_search.c.instance_id).where(_INDEXED.op("@@")(query))
    return select(_fts.c.rowid).select_from(_fts).where(
        literal_column("case_search_fts").op("MATCH")(bindparam("query")))


def _lexeme(value: str) -> str:
    """``value`` as one quoted lexeme of a ``tsquery`` literal (taken as it is: no parsing, no normalising)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _any(prefix: str, values: Any) -> str:
    return "(" + " | ".join(_lexeme(prefix + v) for v in values) + ")"


def _months(start: datetime | None, end: datetime | None) -> list[str] | None:
    """The months (UTC, ``YYYY-MM``) a period [start, end) touches, for the ``m:`` lexemes; None when it has no
    start or end or spans more than :data:`MAX_MONTHS` (then only the exact condition on ``started_at`` narrows)."""
    if start is None or end is None:
        return None
    first, last = start.astimezone(UTC), (end - timedelta(microseconds=1)).astimezone(UTC)
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        if len(months) > MAX_MONTHS:
            return None
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def access_query(visible: VisibleCases, filters: SearchFilters, params: Mapping[str, Any]) -> str | None:
    """The ``tsquery`` over ``case_search.access`` (PostgreSQL; migration 0027) that selects the cases ``visible``
    holds and the filters keep: who is involved (``u:``) or offered the work (``g:``), the procedure (``p:``),
    status (``s:``), unit (``n:``) and the months of the period (``m:``). None: no condition."""
    parts = []
    if not visible.everything:
        parts.append("(" + " | ".join([_lexeme("u:" + p) for p in visible.people]
                                      + [_lexeme("g:" + c) for c in visible.codes]) + ")")
    if filters.process_id:
        parts.append(_lexeme("p:" + filters.process_id))
    if filters.status:
        parts.append(_lexeme("s:" + filters.status))
    if filters.unit:
        parts.append(_any("n:", params["units"]))
    months = _months(params.get("start"), params.get("end"))
    if months:
        parts.append(_any("m:", months))
    return " & ".join(parts) or None


def _conditions(*, visible: Any, per_match: bool, process: bool, status: bool, unit: bool, start: bool,
                end: bool) -> list[Any]:
    conditions: list[Any] = []
    if visible is not None and per_match:
        conditions.append(visible.condition(_instances.c.id))
    elif visible is not None:
        conditions.append(_instances.c.id.in_(visible.ids))
    if process:
        conditions.append(_instances.c.process_id == bindparam("process_id"))
    if status:
        conditions.append(_instances.c.status == bindparam("status"))
    if unit:
        conditions.append(_instances.c.unit_code.in_(bindparam("units", expanding=True)))
    conditions.extend(_period(start=start, end=end))
    return conditions


def _period(*, start: bool, end: bool) -> list[Any]:
    conditions = []
    if start:
        conditions.append(_instances.c.started_at >= bindparam("start", type_=_instances.c.started_at.type))
    if end:
        conditions.append(_instances.c.started_at < bindparam("end", type_=_instances.c.started_at.type))
    return conditions


_SHOWN = (_instances.c.id, _instances.c.process_id, _instances.c.business_key, _instances.c.summary,
          _instances.c.status, _instances.c.urgency, _instances.c.unit_code, _instances.c.started_at,
          _instances.c.updated_at)


def _page(source: Any, rank: Any, conditions: list[Any], *, total: Any = None) -> Select[Any]:
    ranked = rank.label("rank")
    counted = func.count().over() if total is None else total
    return (select(*_SHOWN, _search.c.title, _search.c.content, ranked, counted.label("total"))
            .select_from(source).where(*conditions)
            .order_by(ranked.desc(), _instances.c.updated_at.desc(), _instances.c.id.desc())
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


def _listing(*, visible: Any, **shape: bool) -> Select[Any]:
    """The page query without words: the cases the filters select, most recently changed first."""
    source = _search.join(_instances, _instances.c.id == _search.c.instance_id)
    return _page(source, literal_column("0"), _conditions(visible=visible, per_match=False, **shape))


def _postgres_words(*, access: bool, start: bool, end: bool) -> Select[Any]:
    """The page query for words on PostgreSQL: one GIN search of ``document || access`` finds the cases that have
    the words, may be seen by the user and pass the filters (``:access``, :func:`access_query`); the most recent
    :data:`RANKED` + 1 of them are ranked, and only the page's rows read their case."""
    words_query = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("query"))
    query = words_query.op("&&")(cast(bindparam("access"), TSQUERY)) if access else words_query
    window = select(_search.c.instance_id, _search.c.title, _search.c.content,
                    literal_column("case_search.document").label("document")).where(_INDEXED.op("@@")(query))
    if start or end:
        window = window.join(_instances, _instances.c.id == _search.c.instance_id).where(
            *_period(start=start, end=end))
    found = _most_recent(window.order_by(_search.c.instance_id.desc()).limit(RANKED + 1).subquery("window"),
                         "instance_id")
    rank = func.ts_rank_cd(found.c.document, words_query).label("rank")
    return (select(*_SHOWN, found.c.title, found.c.content, rank, found.c.total)
            .select_from(found.join(_instances, _instances.c.id == found.c.instance_id))
            .where(found.c.recent <= RANKED)
            .order_by(rank.desc(), _instances.c.updated_at.desc(), _instances.c.id.desc())
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


def _most_recent(window: Any, key: str) -> Any:
    """``window`` (at most :data:`RANKED` + 1 matches) with how many it holds (``total``: more than RANKED says
    "more") and each row's place from the newest (``recent``: only the first RANKED are shown)."""
    return select(window, func.count().over().label("total"),
                  func.row_number().over(order_by=window.c[key].desc()).label("recent")).subquery("found")


def _sqlite_words(*, visible: Any, per_match: bool, **shape: bool) -> Select[Any]:
    """The page query for words on SQLite: FTS5 finds the words (ranked by ``bm25``, the title and key weighing 4
    to the data's 1), the visibility rule and the filters are joined; the most recent :data:`RANKED` + 1 are ranked.
    """
    # FTS5 ranks only in the query that scans it with MATCH: that query is a table of its own here.
    hits = (select(_fts.c.rowid.label("id"), (-func.bm25(literal_column("case_search_fts"), 4.0, 1.0))
                   .label("score"))
            .select_from(_fts).where(literal_column("case_search_fts").op("MATCH")(bindparam("query")))
            .subquery("fts_hits"))
    found = _most_recent(select(hits.c.id, hits.c.score).join(_instances, _instances.c.id == hits.c.id)
                         .where(*_conditions(visible=visible, per_match=per_match, **shape))
                         .order_by(hits.c.id.desc()).limit(RANKED + 1).subquery("window"), "id")
    source = found.join(_instances, _instances.c.id == found.c.id).join(
        _search, _search.c.instance_id == found.c.id)
    return _page(source, found.c.score, [found.c.recent <= RANKED], total=found.c.total)


class CaseSearch:
    """Finds the cases a user may see by the words of their title, key and data."""

    def __init__(self, *, db: Database, access: CaseAccess, timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.db = db
        self.access = access
        self.zone = ZoneInfo(timezone)

    def search(self, user: str, query: str | None, filters: SearchFilters | None = None, *, page: int = 1,
               per_page: int = 20) -> SearchPage:
        """One page of the cases ``user`` may see that contain every word of ``query``, best first.

        An empty query lists the cases the filters select, most recently changed first.

        Raises:
            InvalidInput: a page out of range, a query longer than 200 characters or an unknown unit.
        """
        filters = filters or SearchFilters()
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidInput(N_("page must be >= 1 and per_page between 1 and 200"),
                               {"page": ["out of range"], "per_page": ["out of range"]})
        if query is not None and len(query) > 200:
            raise InvalidInput(N_("the search text is longer than {limit} characters"), {"q": ["too long"]},
                               limit=200)
        terms = Terms.parse(query)
        with self.db.connect() as conn:
            visible = self.access.visible_cases(conn, user)
            if visible.nothing:
                return SearchPage([], 0, page, per_page, query or "")
            params: dict[str, Any] = {"limit": per_page, "offset": (page - 1) * per_page,
                                      "process_id": filters.process_id, "status": filters.status}
            if filters.unit:
                if conn.execute(_UNIT_EXISTS, {"unit": filters.unit}).first() is None:
                    raise InvalidInput(N_("no unit '{unit}'"), {"unit": ["unknown unit"]}, unit=filters.unit)
                params["units"] = sorted(units_below(conn, {filters.unit}))
            if filters.started_from:
                params["start"] = self._midnight(filters.started_from)
            if filters.started_to:
                params["end"] = self._midnight(filters.started_to + timedelta(days=1))
            dialect = conn.dialect.name
            if terms:
                params["query"] = terms.for_dialect(dialect)
            elif query and query.strip():  # only punctuation: no word to find
                return SearchPage([], 0, page, per_page, query)
            statement = self._statement(conn, terms, visible, filters, params)
            rows = conn.execute(statement, params).all()
            total = rows[0].total if rows else 0
            if not rows and page > 1:
                again = conn.execute(statement, {**params, "limit": 1, "offset": 0}).first()
                total = again.total if again else 0
        more = bool(terms) and total > RANKED
        return SearchPage([_hit(r, terms) for r in rows], min(int(total), RANKED) if terms else int(total), page,
                          per_page, query or "", more)

    @staticmethod
    def _statement(conn: Connection, terms: Terms, visible: VisibleCases, filters: SearchFilters,
                   params: dict[str, Any]) -> Select[Any]:
        """The page query for this search's shape (sets ``params["access"]`` on PostgreSQL)."""
        shape = {"process": bool(filters.process_id), "status": bool(filters.status), "unit": bool(filters.unit),
                 "start": "start" in params, "end": "end" in params}
        if not terms:
            return _listing(visible=None if visible.everything else visible, **shape)
        if conn.dialect.name == "postgresql":
            params["access"] = access_query(visible, filters, params)
            return _postgres_words(access=params["access"] is not None, start=shape["start"], end=shape["end"])
        # Few matches (a number, a rare word): check each against the rule by index; many: build the user's set of
        # cases once and join (what costs less, docs/search.md "Performance").
        per_match = not visible.everything and conn.execute(
            select(func.count()).select_from(matching_ids(conn.dialect.name).limit(FEW_MATCHES + 1).subquery()),
            {"query": params["query"]}).scalar_one() <= FEW_MATCHES
        return _sqlite_words(visible=None if visible.everything else visible, per_match=per_match, **shape)

    def reindex(self, queries: Queries, *, batch: int = 200) -> int:
        """Write every case's index row again from its current data (after a change to what is indexed, or when
        cases got titles after the index was filled); return how many cases. Each batch is one transaction."""
        title = getattr(_instances.c, "title", None)
        columns = [_instances.c.id, _instances.c.business_key, _instances.c.summary]
        last, done = 0, 0
        while True:
            with self.db.connect() as conn:
                rows = conn.execute(select(*columns, *([title] if title is not None else []))
                                    .where(_instances.c.id > last).order_by(_instances.c.id).limit(batch)).all()
            if not rows:
                self._refresh_access()
                return done
            with self.db.transaction() as conn:
                for row in rows:
                    data = queries.instance(row.id, with_history=False).data
                    search_index.write(conn, row.id, search_index.document(
                        title=getattr(row, "title", None), summary=row.summary, business_key=row.business_key,
                        data=data), new=False)
            last, done = rows[-1].id, done + len(rows)

    def _refresh_access(self) -> None:
        """PostgreSQL: every case's ``access`` lexemes written again from the tables (triggers keep them right;
        this repairs what a bulk load with triggers off left)."""
        with self.db.transaction() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.procflow_case_access_backfill()))

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), self.zone)


def shown_key(business_key: str | None) -> str:
    """A business key as people write it: its parts joined by dashes ("12/UBND-VP — Ủy ban nhân dân tỉnh — 2026")."""
    return " — ".join(p.strip() for p in business_key.split("|")) if business_key else ""


def _hit(r: Any, terms: Terms) -> SearchHit:
    title, key = r.title or r.summary, shown_key(r.business_key)
    return SearchHit(r.id, r.process_id, r.business_key, title, InstanceStatus(r.status).value, r.urgency,
                     r.unit_code, r.started_at, r.updated_at, marks(title, hit_spans(title, terms)) if title else [],
                     marks(key, hit_spans(key, terms)), snippet(r.content or "", terms, title=title))

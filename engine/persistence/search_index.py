"""The full-text search index of cases: what a case is found by, written in the step's transaction.

Each case has one ``case_search`` row (engine/persistence/case_models.py): its title (or summary), business key and
the text values of its data, once as people wrote them (for snippets) and once folded into words. Folding is done
here, in Python, for both databases and for both sides (the indexed text and the query): lower case, Vietnamese
diacritics removed, "đ" as "d", every run of letters and digits one word ("12/UBND-VP" is "12 ubnd vp"). So the same
query finds the same cases on SQLite (FTS5) and PostgreSQL (``tsvector`` with the ``simple`` configuration), and
"cong van", "Công Văn" and "CÔNG VĂN" are one query. Why not PostgreSQL's ``unaccent``: it is not immutable, so it
cannot feed a generated column or an index expression without a wrapper, it needs the extension (a superuser) in
every database, and SQLite has no equivalent; see docs/search.md.

The step writes the row with :func:`write` (an UPDATE that changes nothing when the text is unchanged, an INSERT
when there is no row yet), so search never lags behind the case and never shows a case a rolled-back step left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, insert, literal, or_, select, update
from sqlalchemy.engine import Connection

from engine.persistence.base import table_of
from engine.persistence.case_fields import fold
from engine.persistence.case_models import CaseSearchRow
from engine.persistence.prepared import Prepared

CONTENT_LENGTH = 4000  # characters of data text kept per case (the first ones: the registration's fields)
_WORD = re.compile(r"[^\W_]+")
# Values that say nothing to a person searching: ISO dates and times, UUIDs, hex digests, e-mail-less machine ids.
_NOISE = re.compile(r"^(\d{4}-\d{2}-\d{2}([T ][\d:.+\-Z]*)?"
                    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                    r"|[0-9a-f]{32,}|true|false|none|null)$", re.IGNORECASE)
# Codes rather than words: a choice's value ("cong_van", "khan"), a username ("vanthu"), an id. People search by
# what a form shows (its labels, names), not by these.
_CODE = re.compile(r"^[a-z][a-z0-9_.\-]*$")
SEPARATOR = " · "
# An attached file's value (engine/forms/files.py): its size, type and digest are not what anyone searches for.
_FILE_KEYS = {"name", "size", "content_type", "sha256"}

_search = table_of(CaseSearchRow)


def made_by_migration(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object``: False for the index's database-specific parts, which no model declares (the
    FTS5 table and its shadow tables on SQLite; the generated ``document`` column, the ``access`` column its
    triggers keep, and their GIN index on PostgreSQL)."""
    if type_ == "table" and name and name.startswith("case_search_fts"):
        return False
    if type_ == "column" and name in ("document", "access") \
            and getattr(getattr(obj, "table", None), "name", "") == "case_search":
        return False
    return not (type_ == "index" and name == "ix_case_search_document")


def words(text: str) -> list[str]:
    """``text`` folded (lower case, no diacritics, đ as d) and cut into words of letters and digits."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class SearchDocument:
    """One case's index row."""

    title: str | None
    content: str
    head: str
    body: str

    def values(self) -> dict[str, Any]:
        """The row's columns as statement parameters."""
        return {"title": self.title, "content": self.content, "head": self.head, "body": self.body}


def data_texts(data: Any, *, limit: int = CONTENT_LENGTH) -> list[str]:
    """The text values of a case's data, in the data's order, without machine values and repeats.

    Nested objects and lists are walked; keys starting with ``_`` (internal) are skipped; of an attached file only
    its name is kept; numbers are kept (a document number may be a number); booleans, dates, UUIDs, digests and
    codes (lower-case identifiers such as a choice's value or a username) are not.
    """
    found: list[str] = []
    seen: set[str] = set()
    size = 0

    def walk(value: Any) -> None:
        nonlocal size
        if size >= limit:
            return
        if isinstance(value, dict) and _FILE_KEYS <= value.keys():  # a file: people know it by its name
            walk(value.get("name"))
        elif isinstance(value, dict):
            for key, item in value.items():
                if not str(key).startswith("_"):
                    walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            text = " ".join(str(value).split())
            if text and not _NOISE.match(text) and not (isinstance(value, str) and _CODE.match(text)) \
                    and text not in seen:
                seen.add(text)
                found.append(text)
                size += len(text) + len(SEPARATOR)

    walk(data)
    return found


def document(*, title: str | None, summary: str | None = None, business_key: str | None,
             data: Any = None) -> SearchDocument:
    """The index row of a case: ``title`` (else ``summary``) and the business key weigh most, data text less.

    ``content`` is the data text as written, for snippets; the title and key are shown apart from it."""
    shown_title = title or summary
    head_parts = [p for p in dict.fromkeys((shown_title, summary, business_key)) if p]
    texts = data_texts(data) if data is not None else []
    content = SEPARATOR.join(texts)[:CONTENT_LENGTH]  # the key is shown (and marked) on its own line
    return SearchDocument(shown_title[:500] if shown_title else None, content,
                          " ".join(words(" ".join(head_parts))), " ".join(words(" ".join(texts))[:1000]))


_NEW: dict[str, Any] = {name: bindparam(f"b_{name}") for name in ("title", "content", "head", "body")}
_CHANGED = or_(_search.c.title.is_distinct_from(_NEW["title"]), _search.c.content != _NEW["content"],
               _search.c.head != _NEW["head"], _search.c.body != _NEW["body"])
_UPDATE = Prepared(update(_search).where(_search.c.instance_id == bindparam("b_id"), _CHANGED).values(**_NEW))
_INSERT = Prepared(insert(_search), columns=("instance_id", "title", "content", "head", "body"))
_MISSING = Prepared(select(literal(1)).where(~exists().where(_search.c.instance_id == bindparam("b_id"))))


def write(conn: Connection, instance_id: int, doc: SearchDocument, *, new: bool) -> None:
    """Write case ``instance_id``'s index row in the current transaction (nothing when the text is unchanged)."""
    values = doc.values()
    if new:
        _INSERT.rowcount(conn, {"instance_id": instance_id, **values})
        return
    changed = _UPDATE.rowcount(conn, {"b_id": instance_id, **{f"b_{k}": v for k, v in values.items()}})
    if changed == 0 and _MISSING.first(conn, {"b_id": instance_id}):
        _INSERT.rowcount(conn, {"instance_id": instance_id, **values})


def write_many(conn: Connection, rows: Iterable[tuple[int, SearchDocument]]) -> int:
    """Insert index rows for cases that have none (the migration's backfill, a rebuild); return how many."""
    batch = [{"instance_id": i, **d.values()} for i, d in rows]
    if batch:
        conn.execute(insert(_search), batch)
    return len(batch)

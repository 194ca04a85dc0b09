"""Hash chains over append-only rows: each row's SHA-256 covers its content and the previous row's hash.

The hashed form is canonical JSON of the row's content fields plus ``prev`` (the previous hash of the same
chain, :data:`GENESIS` for the first row): keys sorted, no spaces, UTF-8 (not ASCII-escaped), datetimes as
UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; a NULL field is left out (most history rows leave most fields empty, and
encoding fewer keys is what the hot path saves). The database id is not hashed (it is assigned on insert); the
order of a chain is its rows' id order, and each row also carries its position in the chain (``seq``, 1, 2, ...),
hashed too, so that a missing or an added row is named, not only noticed. The writer hashes the values it inserts and
the verifier the values it reads back; both go through the same column types, so they are equal (JSON data has
string keys only).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64  # the "previous hash" of a chain's first row
HASH_LENGTH = 64

# What a history row says (the columns seeding tools copy in), and what its hash covers: that and its position.
HISTORY_CONTENT = ("instance_id", "at", "kind", "element_id", "element_type", "task_id", "actor", "data",
                   "process_id", "unit_code", "task_created_at", "due_at", "late_seconds")
HISTORY_FIELDS = (*HISTORY_CONTENT, "seq")
# document_id came later (migration 0020): a NULL field is not hashed, so the rows written before still verify.
ACCESS_FIELDS = ("instance_id", "seq", "at", "username", "action", "attachment_id", "document_id")

# orjson writes exactly this form (compact, UTF-8, keys sorted) about ten times faster than the standard library,
# which matters on the step's hot path; datetimes are handed to _moment for the fixed UTC form, and non-string
# keys become strings, as they are when the JSON is read back. What orjson refuses (integers beyond 64 bits) goes
# through the standard library's encoder of the same form: the choice depends on the value only, so the writer
# and the verifier always make the same one.
_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_fallback = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                             default=lambda value: _moment(value))


def _moment(value: Any) -> str:
    """A datetime as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (isoformat: several times faster than strftime)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not hashed; give a time zone")
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    raise TypeError(f"{type(value).__name__} is not hashed")


def canonical(fields: Any) -> bytes:
    """The canonical JSON bytes of ``fields`` (sorted keys, no spaces, UTF-8, fixed datetimes)."""
    try:
        return orjson.dumps(fields, default=_moment, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return _fallback.encode(_string_keys(fields)).encode()


def _string_keys(value: Any) -> Any:
    """``value`` with every dict key a string, as JSON makes it (what orjson's OPT_NON_STR_KEYS does)."""
    if isinstance(value, dict):
        return {k if isinstance(k, str) else json.dumps(k).strip('"'): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_string_keys(v) for v in value]
    return value


def row_hash(row: Mapping[str, Any], names: Iterable[str], prev: str) -> str:
    """The hex SHA-256 of the fields ``names`` of ``row`` chained to ``prev`` (missing and null fields left out)."""
    fields = {name: value for name in names if (value := row.get(name)) is not None}
    fields["prev"] = prev
    return hashlib.sha256(canonical(fields)).hexdigest()


def fields_hash(fields: dict[str, Any], prev: str) -> str:
    """The hex SHA-256 of ``fields`` (a fresh dict without null values: it is changed) chained to ``prev``."""
    fields["prev"] = prev
    return hashlib.sha256(canonical(fields)).hexdigest()


def chain_history(rows: list[dict[str, Any]], head: str, count: int) -> tuple[str, int]:
    """Give each history row its position ``seq`` and ``hash`` (in order, after ``head``); return the new head
    and count."""
    for row in rows:
        count += 1
        row["seq"] = count
        head = row["hash"] = row_hash(row, HISTORY_FIELDS, head)
    return head, count

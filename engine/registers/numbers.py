"""Yearly running numbers that model scripts can take: ``so_den = next_number("van_ban_den")``.

Decree 30/2020 numbers incoming documents (arrival number) and outgoing ones from 1 each year, unique
per year, without gaps. A script calls ``next_number(name)``; the number is taken in the transaction of
the step that runs the script (two steps running at once never get the same one) and remembered on the
task: if the script then fails and is retried, the task gets the same number again, so a failure leaves
no gap. One task takes at most one number per series.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.persistence.base import table_of
from engine.persistence.models import Counter

_counters = table_of(Counter)
_current: ContextVar[tuple[Connection, datetime, str] | None] = ContextVar("procflow_step", default=None)
_task: ContextVar[Any] = ContextVar("procflow_script_task", default=None)
CLAIMS = "procflow_numbers"


@contextmanager
def running_task(task: Any) -> Iterator[None]:
    """Mark ``task`` as the one whose script is running (numbers it takes are remembered on it)."""
    token = _task.set(task)
    try:
        yield
    finally:
        _task.reset(token)


@contextmanager
def numbering(conn: Connection, now: datetime, timezone: str) -> Iterator[None]:
    """Let scripts run inside this block take numbers in ``conn``'s transaction."""
    token = _current.set((conn, now, timezone))
    try:
        yield
    finally:
        _current.reset(token)


def next_number(name: str) -> int:
    """Take the next number of the yearly series ``name`` (1 on the first call of each year)."""
    current = _current.get()
    if current is None:
        raise RuntimeError("next_number can only be called while the engine runs a step")
    conn, now, timezone = current
    year = now.astimezone(ZoneInfo(timezone)).year
    task = _task.get()
    claims = task.internal_data.setdefault(CLAIMS, {}) if task is not None else {}
    key = f"{name}/{year}"
    if key not in claims:
        claims[key] = take(conn, str(name), year)
    return int(claims[key])


def take(conn: Connection, name: str, year: int) -> int:
    """Increment and return the counter (``name``, ``year``), creating it at 1 (one atomic upsert)."""
    insert: Any = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(_counters)
    statement = insert.values(name=name, year=year, value=1).on_conflict_do_update(
        index_elements=["name", "year"], set_={"value": _counters.c.value + 1}).returning(_counters.c.value)
    return int(conn.execute(statement).scalar_one())


def peek(conn: Connection, name: str, year: int) -> int:
    """The last number taken in a series (0 if none)."""
    value = conn.execute(select(_counters.c.value).where(_counters.c.name == name, _counters.c.year == year)).scalar()
    return int(value or 0)

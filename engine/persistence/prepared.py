"""Statements compiled once per database and run on the driver's cursor: the engine's hot path.

A step (start an instance, complete a task) runs about a dozen statements. Through
``Connection.execute`` each one pays SQLAlchemy's per-call bookkeeping (cache key, execution
context, result set-up, events), about 60 µs on SQLite, several times what SQLite itself needs
for the statement. A :class:`Prepared` statement is built with SQLAlchemy as usual, compiled once
for each dialect it meets (SQL text, parameter order, the column types' own bind and result
processors, all public API), and executed on the DBAPI cursor of the connection's current
transaction. Types behave exactly as through SQLAlchemy (UTC datetimes, JSON, enums). A driver error
goes through the connection's own error handling, the one ``Connection.execute`` uses: it arrives as
SQLAlchemy's ``DBAPIError`` subclass, ``handle_error`` events run, and a lost connection is flagged
(``connection_invalidated``) and invalidated in the pool, so the next transaction gets a fresh one. That
handler (``Connection._handle_dbapi_exception``) is the one private name used here; SQLAlchemy is pinned
below 2.2 and tests/engine/persistence/test_prepared.py drops a connection on both databases. With the
engine's ``echo`` on (``PROCFLOW_SQL_ECHO``) or the ``sqlalchemy.engine`` logger at INFO, statements and
their parameters are logged there as SQLAlchemy logs its own.

Only plain statements are accepted: no expanding ``IN`` parameters and no Python-side column
defaults (give every value).
"""

from __future__ import annotations

import logging
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]
    bind: tuple[Processor, ...]
    none_kept: tuple[bool, ...]  # per parameter: None needs no processing (JSON's does: it becomes 'null')
    fixed: dict[str, Any]  # parameters whose value the statement carries (literals)
    positional: bool
    result: tuple[Processor, ...]


class Prepared:
    """One statement, compiled per dialect on first use and run on the DBAPI cursor.

    Args:
        statement: a SQLAlchemy Core statement with named bind parameters.
        columns: for an INSERT or UPDATE without ``.values()``, the columns it sets (their names are
            the parameter names); other statements take their parameters from the statement itself.
    """

    def __init__(self, statement: ClauseElement, *, columns: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        compiled: Any = self.statement.compile(dialect=dialect, column_keys=self.columns)
        if any(bind.expanding for bind in compiled.binds.values()):
            raise ValueError("prepared statements take no expanding IN parameters")
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
        bind = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        none_kept = tuple(_keeps_none(processor) for processor in bind)
        fixed = {name: b.effective_value for name, b in compiled.binds.items() if not b.required}
        columns = getattr(self.statement, "exported_columns", ())
        result = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns)
        return _Plan(compiled.string, names, bind, none_kept, fixed, positional, result)

    # -- running ------------------------------------------------------------------------------
    def execute(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Run once with ``params``; return the DBAPI cursor (rows unconverted: use :meth:`rows`)."""
        plan = self._plan(conn.dialect)
        values = _values(plan, params)
        _echo(conn, plan.sql, values, many=False)
        cursor = None
        try:
            cursor = _cursor(conn)
            cursor.execute(plan.sql, values)
        except conn.dialect.loaded_dbapi.Error as exc:
            _failed(conn, plan.sql, values, cursor, exc)
        return cursor

    def executemany(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        """Run once for each of ``rows`` (one driver call)."""
        plan = self._plan(conn.dialect)
        values = [_values(plan, row) for row in rows]
        _echo(conn, plan.sql, values, many=True)
        cursor = None
        try:
            cursor = _cursor(conn)
            cursor.executemany(plan.sql, values)
        except conn.dialect.loaded_dbapi.Error as exc:
            _failed(conn, plan.sql, values, cursor, exc)
        cursor.close()

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run once and return how many rows it changed."""
        cursor = self.execute(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a query (or a statement with RETURNING) and return its rows, values converted by type."""
        plan = self._plan(conn.dialect)
        cursor = self.execute(conn, params)
        try:
            fetched = cursor.fetchall()
        except conn.dialect.loaded_dbapi.Error as exc:
            _failed(conn, plan.sql, params, cursor, exc)
        cursor.close()
        if not any(plan.result):
            return [tuple(row) for row in fetched]
        return [tuple(p(v) if p else v for p, v in zip(plan.result, row, strict=True)) for row in fetched]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of :meth:`rows`, or None."""
        found = self.rows(conn, params)
        return found[0] if found else None


def _keeps_none(processor: Processor) -> bool:
    """True where the processor leaves None as None (most types), so a missing value need not go through it."""
    if processor is None:
        return True
    try:
        return processor(None) is None
    except Exception:  # a processor that cannot take None must still see it
        return False


def _cursor(conn: Connection) -> Any:
    """A cursor on the connection's DBAPI connection, inside the transaction SQLAlchemy began."""
    return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _values(plan: _Plan, params: Mapping[str, Any]) -> Any:
    if plan.fixed:
        params = {**plan.fixed, **params}
    processed = [value if p is None or (value is None and kept) else p(value)
                 for value, p, kept in zip([params[n] for n in plan.names], plan.bind, plan.none_kept, strict=True)]
    return processed if plan.positional else dict(zip(plan.names, processed, strict=True))


def _failed(conn: Connection, sql: str, values: Any, cursor: Any, exc: Exception) -> NoReturn:
    """Raise a driver error as ``Connection.execute`` would, invalidating a lost connection on the way."""
    try:
        conn._handle_dbapi_exception(exc, sql, values, cursor, None)
    finally:
        if cursor is not None:
            with suppress(Exception):  # the cursor of a lost connection may not close cleanly
                cursor.close()


_shown = reprlib.Repr()
_shown.maxlist = _shown.maxtuple = _shown.maxdict = 10
_shown.maxstring = _shown.maxother = 300


def _echo(conn: Connection, sql: str, values: Any, *, many: bool) -> None:
    """Log the statement and its parameters where and when SQLAlchemy logs its own (``echo``)."""
    logger = conn.engine.logger
    if not logger.isEnabledFor(logging.INFO):
        return
    logger.info(sql)
    if conn.engine.hide_parameters:
        logger.info("[prepared] [SQL parameters hidden due to hide_parameters=True]")
    elif many:
        logger.info("[prepared, %d rows] %s", len(values), _shown.repr(values))
    else:
        logger.info("[prepared] %s", _shown.repr(values))

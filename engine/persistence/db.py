"""The database handle: one engine, sessions for reading and for writing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict
from engine.i18n import N_


class Database:
    """Owns the SQLAlchemy engine and hands out sessions.

    On SQLite, writing sessions start with ``BEGIN IMMEDIATE`` so that two writers queue instead
    of one failing half-way; on PostgreSQL, services lock the instance row (``FOR UPDATE``).
    """

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            _ensure_sqlite_folder(url)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_hooks(self.engine)
        # SQLite readers run without BEGIN: each query sees the latest commit, and no read lock is held.
        self._read_engine = self.engine.execution_options(sqlite_begin="NONE") if self.is_sqlite else self.engine
        self._readers = sessionmaker(self._read_engine, expire_on_commit=False)
        self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._writers = sessionmaker(self._write_engine, expire_on_commit=False)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; rolled back at the end."""
        with self._readers() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection for hot-path queries (the inbox); rolled back at the end."""
        with self._read_engine.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """An ORM session whose work is committed together at the end, or not at all."""
        with _conflicts_translated(), self._writers() as session, session.begin():
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a writing transaction, for the engine's hot path (no ORM bookkeeping)."""
        with _conflicts_translated(), self._write_engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


@contextmanager
def _conflicts_translated() -> Iterator[None]:
    """Turn a concurrent change that slipped past the row locks (stale version, deadlock, serialization
    failure) into a :class:`Conflict`; the transaction is rolled back, never half-applied."""
    try:
        yield
    except StaleDataError as exc:
        raise Conflict(N_("someone else changed this case at the same moment; reload and try again")) from exc
    except DBAPIError as exc:
        if _is_concurrency_failure(exc):
            raise Conflict(N_("someone else changed this case at the same moment; reload and try again")) from exc
        raise


def _is_concurrency_failure(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01")  # serialization failure, deadlock detected


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")}


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode != "NONE":  # on the driver's connection: this runs before every write, keep it light
            conn.connection.dbapi_connection.execute(_BEGIN[mode])

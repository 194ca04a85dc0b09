"""The database handle: one engine, sessions for reading and for writing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict, Unavailable
from engine.i18n import N_


class Database:
    """Owns the SQLAlchemy engine and hands out sessions.

    On SQLite, writing sessions start with ``BEGIN IMMEDIATE`` so that two writers queue instead
    of one failing half-way; on PostgreSQL, services lock the instance row (``FOR UPDATE``).
    """

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 5, max_overflow: int = 10,
                 pool_timeout: float = 30.0) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if ":memory:" not in url:  # an in-memory SQLite database has a single-connection pool of its own
            kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout)
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
        with _conflicts_translated(), self._readers() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection for hot-path queries (the inbox); rolled back at the end."""
        with _conflicts_translated(), self._read_engine.connect() as conn:
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
    """Turn a concurrent change that slipped past the row locks (stale version) into a :class:`Conflict`, and
    a database that cannot serve the step now (pool exhausted, connection lost, deadlock, serialization
    failure, SQLite busy) into :class:`Unavailable`; either way the transaction is rolled back, never
    half-applied."""
    try:
        yield
    except StaleDataError as exc:
        raise Conflict(N_("someone else changed this case at the same moment; reload and try again")) from exc
    except Unavailable:
        raise
    except Exception as exc:
        unavailable = unavailable_from(exc)
        if unavailable is not None:
            raise unavailable from exc
        raise


# SQLSTATEs that say "not now" rather than "never": serialization failure, deadlock, lock not available,
# and the classes of connection exceptions (08), insufficient resources (53) and operator intervention (57).
_TRANSIENT_STATES = ("40001", "40P01", "55P03")
_TRANSIENT_CLASSES = ("08", "53", "57")
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def unavailable_from(exc: BaseException) -> Unavailable | None:
    """The :class:`Unavailable` behind ``exc`` if it (or what it wraps) is the database failing for a moment.

    Model code (scripts, expressions) runs inside a step and SpiffWorkflow wraps what it raises; a pool
    timeout or a lost connection met there is still the infrastructure's, never the model's fault. So the
    chain of causes is searched, and SpiffWorkflow's ``exception`` attribute with it.
    """
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, Unavailable):
            return current
        if isinstance(current, PoolTimeout):
            return Unavailable(N_("the database is busy (no free connection); try again in a moment"))
        if isinstance(current, DBAPIError) and _is_transient(current):
            return Unavailable(N_("the database could not serve this now; nothing was changed, try again"))
        todo.extend([current.__cause__, current.__context__, getattr(current, "exception", None)])
    return None


def raise_if_unavailable(exc: BaseException) -> None:
    """Raise :class:`Unavailable` if ``exc`` is the database failing for a moment; model code catching
    every exception calls this first, so that such a failure is never taken for the model's."""
    unavailable = unavailable_from(exc)
    if unavailable is not None:
        raise unavailable from exc


def _is_transient(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlstate", None)
    if code:
        return code in _TRANSIENT_STATES or code[:2] in _TRANSIENT_CLASSES
    if isinstance(exc, OperationalError) and "sqlite" in type(exc.orig).__module__:
        return any(text in str(exc.orig).lower() for text in _SQLITE_BUSY)
    # psycopg raises an OperationalError without a SQLSTATE when the server cannot be reached at all
    return isinstance(exc, OperationalError | InterfaceError)


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

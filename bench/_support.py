"""Shared set-up for benchmarks: throwaway databases on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from engine.clock import Clock, SystemClock
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings, normalize_database_url

BENCH = Path(__file__).resolve().parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ORG = {"groups": [{"code": "staff", "name": "Staff"}],
       "users": [{"username": "bench", "full_name": "Bench User", "groups": ["staff"]}]}


@contextmanager
def sqlite_services(clock: Clock | None = None) -> Iterator[Services]:
    """Services on a fresh SQLite file, removed afterwards."""
    with tempfile.TemporaryDirectory() as home:
        url = f"sqlite:///{home}/bench.sqlite3"
        upgrade_database(url)
        services = build_services(Settings(database_url=url, home=Path(home)), clock=clock or SystemClock())
        try:
            yield services
        finally:
            services.close()


@contextmanager
def postgres_services(clock: Clock | None = None, *, keep: bool = False) -> Iterator[Services | None]:
    """Services in a fresh schema of the PostgreSQL server (None if it cannot be reached); the schema is dropped
    afterwards unless ``keep`` (its name is printed, to measure it again)."""
    base = normalize_database_url(POSTGRES_URL)
    schema = f"bench_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        _execute(base, f"CREATE SCHEMA {schema}")
    except Exception as exc:  # no server: the benchmark reports null for PostgreSQL
        print(f"PostgreSQL not reachable ({type(exc).__name__}); skipping its figures")
        yield None
        return
    url = f"{base}?options=-csearch_path%3D{schema}"
    try:
        upgrade_database(url)
        services = build_services(Settings(database_url=url), clock=clock or SystemClock())
        try:
            yield services
        finally:
            services.close()
    finally:
        if keep:
            print(f"kept schema {schema}", flush=True)
        else:
            _execute(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _execute(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def copy_rows(services: Services, table: str, columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Stream rows into ``table`` with PostgreSQL's COPY (the benchmarks' large datasets)."""
    raw = services.db.engine.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw.commit()
    finally:
        raw.close()

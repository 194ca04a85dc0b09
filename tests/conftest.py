"""Shared fixtures: a real database (SQLite by default, PostgreSQL when DATABASE_URL says so), a virtual clock."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import text

from engine.clock import VirtualClock
from engine.persistence.models import Base
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings, normalize_database_url

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRANSLATIONS = ROOT / "web" / "translations"
# A Wednesday morning in Hanoi, 2026-04-29 09:00 +07:00.
T0 = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def _secrets_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the secrets of apps and commands the tests start (also in subprocesses) out of ~/.config."""
    previous = os.environ.get("PROCFLOW_SECRETS_DIR")
    os.environ["PROCFLOW_SECRETS_DIR"] = str(tmp_path_factory.mktemp("secrets"))
    yield
    if previous is None:
        del os.environ["PROCFLOW_SECRETS_DIR"]
    else:
        os.environ["PROCFLOW_SECRETS_DIR"] = previous


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The database every test uses; the schema is built by the real Alembic migrations, once.

    On PostgreSQL each test session gets its own schema, so parallel runs on one server do not collide.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        upgrade_database(url)
        yield url
        return
    url = normalize_database_url(url)
    schema = f"pytest_{os.getpid()}_{secrets.token_hex(3)}"
    _postgres(url, f"CREATE SCHEMA {schema}")
    scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    try:
        upgrade_database(scoped)
        yield scoped
    finally:
        _postgres(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _postgres(url: str, statement: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    """True when the suite runs against PostgreSQL."""
    return database_url.startswith("postgresql")


@pytest.fixture
def clock() -> VirtualClock:
    """A clock that only moves when the test says so."""
    return VirtualClock(T0)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database and a per-test home folder."""
    return Settings(database_url=database_url, redis_url=os.environ.get("REDIS_URL", ""), home=tmp_path,
                    processes_dir=ROOT / "processes", forms_dir=FIXTURES / "forms_used",
                    secrets_dir=tmp_path.with_name(f"{tmp_path.name}-secrets"))


@pytest.fixture
def services(settings: Settings, clock: VirtualClock) -> Iterator[Services]:
    """All services on the test database, with every saved state checked by a serializer round trip."""
    built = build_services(settings, clock=clock, verify_state=True)
    yield built
    _empty_tables(built)
    built.close()


# Tables whose rows the migrations seed (the shipped holidays): restored after each test, not just emptied.
SEEDED = ("calendar_days", "calendar_settings")
_seed_rows: dict[str, list[dict[str, object]]] = {}


def _empty_tables(services: Services) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with services.db.engine.begin() as conn:
        if services.db.is_sqlite:
            for table in tables:
                conn.execute(table.delete())
        else:
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        for name, rows in _seed_rows.items():
            if rows:
                conn.execute(Base.metadata.tables[name].insert(), rows)


@pytest.fixture(scope="session", autouse=True)
def _remember_seed_rows(database_url: str) -> None:
    """Keep the migration-seeded rows so that each test starts from them."""
    from sqlalchemy import create_engine

    engine = create_engine(database_url)
    with engine.connect() as conn:
        for name in SEEDED:
            if name in Base.metadata.tables:
                _seed_rows[name] = [dict(r._mapping) for r in conn.execute(Base.metadata.tables[name].select())]
    engine.dispose()


@pytest.fixture(scope="session")
def translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web app's .po catalogues compiled into a temporary folder (what `make setup` does with pybabel compile)."""
    out = tmp_path_factory.mktemp("translations")
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        target = out / po.relative_to(TRANSLATIONS).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source, target.open("wb") as mo:
            write_mo(mo, read_po(source, locale=po.parts[-3]))
    return out


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgres_only`` (a property only PostgreSQL has, such as per-row locks) are deselected, not
    skipped, on the embedded default: the suite's PostgreSQL run (CI does both) runs them."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    dropped = [item for item in items if item.get_closest_marker("postgres_only")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("postgres_only")]

"""Migration 0028 drops ``instances.search_text`` (every case search reads the full-text index) and keeps the cases;
downgrading brings the column back, filled. On SQLite, and on PostgreSQL when DATABASE_URL names one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect, text

from alembic import command
from engine.services import ALEMBIC_INI
from engine.settings import normalize_database_url
from tests.conftest import _postgres

NOW = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)


# The PostgreSQL variant runs in the suite's PostgreSQL run (DATABASE_URL), which CI does too.
KINDS = ["sqlite", "postgresql"] if os.environ.get("DATABASE_URL", "").startswith("postgres") else ["sqlite"]


@pytest.fixture(params=KINDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (PostgreSQL: a schema of its own on DATABASE_URL's server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    url = normalize_database_url(os.environ["DATABASE_URL"])
    schema = f"mig_{os.getpid()}_{secrets.token_hex(3)}"
    _postgres(url, f"CREATE SCHEMA {schema}")
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        _postgres(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "alembic"))
    config.attributes["database_url"] = url
    return config


def _columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("instances")}


def test_0028_drops_search_text_keeps_the_cases_and_downgrades_filled(empty_url: str) -> None:
    config = _config(empty_url)
    command.upgrade(config, "0027")
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO deployed_files (id, name, kind, content_hash, content, deployed_at) "
                          "VALUES (1, 'a.bpmn', 'bpmn', 'h', '', :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO process_versions (id, process_id, version, name, content_hash, file_id, "
                          "spec_json, tasks_meta, documentation, deployed_at) "
                          "VALUES (1, 'p', 1, 'P', 'h', 1, '{}', '{}', '', :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO instances (id, process_version_id, process_id, business_key, summary, "
                          "status, started_by, started_at, updated_at, lock_version, completed_tasks, state, "
                          "search_text, history_count, history_head) VALUES (1, 1, 'p', 'CV-1', 'Công văn Đảng ủy', "
                          "'running', 'vt', :t, :t, 1, 0, '{}', 'cv-1 cong van dang uy', 0, '')"), {"t": NOW})
    assert "search_text" in _columns(engine)
    command.upgrade(config, "0028")
    assert "search_text" not in _columns(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT business_key, summary FROM instances")).one() == ("CV-1", "Công văn Đảng ủy")
    command.downgrade(config, "0027")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT search_text FROM instances")).scalar_one() == "cv-1 cong van dang uy"
    command.upgrade(config, "head")
    engine.dispose()

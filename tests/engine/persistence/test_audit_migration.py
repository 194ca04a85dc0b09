"""Migration 0017 on a database with history in it: every case's chain is computed, so verification passes."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import create_engine, text

from alembic import command
from engine.audit.verify import Verifier
from engine.persistence.chain import GENESIS
from engine.persistence.db import Database
from engine.services import ALEMBIC_INI

NOW = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own, on the suite's kind of server, with no schema yet."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    base = database_url.split("?", 1)[0]
    schema = f"mig_{secrets.token_hex(4)}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "alembic"))
    config.attributes["database_url"] = url
    return config


def _old_data(url: str) -> None:
    """Two cases with history written before 0017 (interleaved ids, JSON data, a datetime with microseconds)."""
    engine = create_engine(url)
    stamp = NOW.replace(tzinfo=None) if url.startswith("sqlite") else NOW
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO deployed_files (id, name, kind, content_hash, content, deployed_at) "
                          "VALUES (1, 'a.bpmn', 'bpmn', 'h', '', :t)"), {"t": stamp})
        conn.execute(text("INSERT INTO process_versions (id, process_id, version, name, content_hash, file_id, "
                          "spec_json, tasks_meta, documentation, deployed_at) "
                          "VALUES (1, 'p', 1, 'P', 'h', 1, '{}', '{}', '', :t)"), {"t": stamp})
        for case in (1, 2, 3):
            conn.execute(text("INSERT INTO instances (id, process_version_id, process_id, status, started_at, "
                              "updated_at, lock_version, completed_tasks, state) "
                              "VALUES (:i, 1, 'p', 'running', :t, :t, 1, 0, '{}')"), {"i": case, "t": stamp})
        for row_id, case, kind, data in ((1, 1, "instance_started", '{"title": "Công văn"}'),
                                         (2, 2, "instance_started", None), (3, 1, "task_created", '{"a": [1, 2.5]}'),
                                         (4, 1, "comment_added", '{"comment_id": 7}'), (5, 2, "terminated", None)):
            conn.execute(text("INSERT INTO history (id, instance_id, at, kind, actor, data, due_at) "
                              "VALUES (:id, :case, :t, :kind, 'vanthu', :data, :due)"),
                         {"id": row_id, "case": case, "t": stamp, "kind": kind, "data": data,
                          "due": stamp.replace(microsecond=123456)})
    engine.dispose()


def test_0017_chains_existing_history_so_verification_passes(empty_url: str) -> None:
    config = _config(empty_url)
    command.upgrade(config, "0016")
    _old_data(empty_url)
    command.upgrade(config, "0017")
    command.upgrade(config, "head")  # the verifier reads today's tables; later revisions keep the chains intact
    db = Database(empty_url)
    try:
        report = Verifier(db=db).verify()
        with db.engine.connect() as conn:
            heads = conn.execute(text("SELECT id, history_count, history_head FROM instances ORDER BY id")).all()
            seqs = conn.execute(text("SELECT id, seq FROM history ORDER BY id")).all()
        with db.engine.begin() as conn:  # and an edit after the upgrade is caught
            conn.execute(text("UPDATE history SET actor = 'khac' WHERE id = 3"))
        tampered = Verifier(db=db).verify()
    finally:
        db.dispose()
    assert report.intact, report.problems
    assert (report.cases, report.history_rows) == (2, 5)
    assert [(i, n) for i, n, _ in heads] == [(1, 3), (2, 2), (3, 0)]
    assert heads[2][2] == GENESIS and heads[0][2] != GENESIS
    assert [tuple(s) for s in seqs] == [(1, 1), (2, 1), (3, 2), (4, 3), (5, 2)]
    assert str(tampered.problems[0]) == "case 1, history row 3: was edited: its content does not match its hash"


def test_0017_downgrades(empty_url: str) -> None:
    config = _config(empty_url)
    command.upgrade(config, "0017")
    command.downgrade(config, "0016")
    command.upgrade(config, "0017")

"""``procflow backup`` then ``procflow restore`` into a second, empty database gives back the same cases, tasks,
history and attachments (SQLite by default; PostgreSQL when DATABASE_URL names a server: two fresh databases)."""

from __future__ import annotations

import io
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.errors import InvalidInput
from engine.ops.backup import backup, read_manifest, restore, table_rows
from engine.services import build_services, upgrade_database
from engine.settings import Settings, normalize_database_url
from tests.conftest import FIXTURES, T0

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[object]:
    """Gives URLs of new, empty databases (SQLite files, or PostgreSQL databases dropped afterwards)."""
    server = os.environ.get("DATABASE_URL")
    made: list[str] = []

    def make(name: str) -> str:
        if not server:
            return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        base = make_url(normalize_database_url(server))
        database = f"ops_{name}_{secrets.token_hex(4)}"
        _admin(base, f"CREATE DATABASE {database}")
        made.append(database)
        return base.set(database=database, query={}).render_as_string(hide_password=False)

    yield make
    for database in made:
        _admin(make_url(normalize_database_url(str(server))), f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def _admin(base: object, statement: str) -> None:
    engine = create_engine(base.set(database="postgres", query={}),  # type: ignore[attr-defined]
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _populated(url: str, home: Path, file_storage: str = "local") -> tuple[Settings, int]:
    """A database with the test organisation, a case with a completed task, an open task and an attachment."""
    settings = Settings(database_url=url, home=home, forms_dir=FIXTURES / "forms_used", file_storage=file_storage)
    upgrade_database(url)
    services = build_services(settings, clock=VirtualClock(T0))
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        services.org.import_file(FIXTURES / "org.yaml")
        services.accounts.set_password("chuyenvien", "mat-khau-thu")
        services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn"]))
        case = services.runtime.start("approve", data={"title": "Công văn 12"}, user="chuyenvien")
        services.attachments.add(case, "chuyenvien", "to-trinh.pdf", io.BytesIO(PDF))
        return settings, case
    finally:
        services.close()


@pytest.mark.parametrize("file_storage", ["local", "database"])
def test_a_backup_restores_into_an_empty_database_as_it_was(fresh_url: object, tmp_path: Path,
                                                            file_storage: str) -> None:
    source_url, target_url = fresh_url("source"), fresh_url("target")  # type: ignore[operator]
    settings, case = _populated(source_url, tmp_path / "home", file_storage)
    manifest = backup(settings, tmp_path / "backup", now=T0)
    assert manifest.rows["instances"] == 1 and manifest.rows["inbox_tasks"] == 1 and manifest.rows["attachments"] == 1
    # the file is in the folder (local) or in the database's blobs (database), never both
    assert any(p.startswith("attachments/") for p in manifest.files) == (file_storage == "local")
    assert manifest.rows["blobs"] == (file_storage == "database")
    on_disk = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert on_disk["files"] == manifest.files and on_disk["revision"] == manifest.revision

    restored = Settings(database_url=target_url, home=tmp_path / "home2", forms_dir=FIXTURES / "forms_used",
                        file_storage=file_storage)
    restore(restored, tmp_path / "backup")
    assert table_rows(target_url) == table_rows(source_url)
    before, after = build_services(settings), build_services(restored)
    try:
        old, new = before.queries.instance(case), after.queries.instance(case)
        assert [(h.kind, h.actor, h.at) for h in new.history] == [(h.kind, h.actor, h.at) for h in old.history]
        assert new.data == old.data and [t.id for t in new.open_tasks] == [t.id for t in old.open_tasks]
        with after.attachments.open(after.attachments.list_for(case, "chuyenvien")[0].id, "chuyenvien") as download:
            assert download.stream.read() == PDF
        assert after.accounts.account("chuyenvien") is not None
    finally:
        before.close()
        after.close()


def test_restore_refuses_a_database_that_is_not_empty(fresh_url: object, tmp_path: Path) -> None:
    settings, _ = _populated(fresh_url("source"), tmp_path / "home")  # type: ignore[operator]
    backup(settings, tmp_path / "backup", now=T0)
    with pytest.raises(InvalidInput, match="not empty"):
        restore(settings, tmp_path / "backup")


def test_a_changed_file_is_found_before_anything_is_restored(fresh_url: object, tmp_path: Path) -> None:
    settings, _ = _populated(fresh_url("source"), tmp_path / "home")  # type: ignore[operator]
    backup(settings, tmp_path / "backup", now=T0)
    stored = next(p for p in (tmp_path / "backup" / "attachments").rglob("*") if p.is_file())
    stored.write_bytes(b"tampered")
    with pytest.raises(InvalidInput, match="changed attachments/"):
        read_manifest(tmp_path / "backup")
    target = Settings(database_url=fresh_url("target"), home=tmp_path / "home2")  # type: ignore[operator]
    with pytest.raises(InvalidInput, match="damaged"):
        restore(target, tmp_path / "backup")
    assert table_rows(target.database_url) == ({}, None)


def test_backup_refuses_a_folder_that_is_not_empty(fresh_url: object, tmp_path: Path) -> None:
    settings, _ = _populated(fresh_url("source"), tmp_path / "home")  # type: ignore[operator]
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old.txt").write_text("x")
    with pytest.raises(InvalidInput, match="new or empty folder"):
        backup(settings, tmp_path / "backup", now=T0)

"""Both file stores on the real database and a real folder: keep, read back, stream chunk by chunk, refuse keys
that are not theirs; attachments and document contents through the database store; ``files migrate`` both ways,
checked by SHA-256, idempotent, resumable, and refusing a corrupt file."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from threading import Barrier, Thread

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine.clock import VirtualClock
from engine.documents.store import ContentStore
from engine.errors import NotFound
from engine.persistence.base import table_of
from engine.persistence.storage_models import Blob, BlobChunk
from engine.services import Services, build_services
from engine.settings import Settings
from engine.storage import CHUNK, DatabaseStorage, FileStorage, LocalStorage, key_for
from engine.storage.migrate import migrate
from tests.engine.inbox.inbox_support import prepare, start_document

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture(params=["local", "database"])
def storage(request: pytest.FixtureRequest, services: Services, tmp_path: Path) -> FileStorage:
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    return DatabaseStorage(services.db)


def test_a_content_is_kept_once_under_its_digest_and_read_back(storage: FileStorage) -> None:
    key = storage.put_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    assert key == key_for(digest) == f"{digest[:2]}/{digest}"
    assert storage.put_bytes(b"hello") == key
    assert storage.exists(key) and storage.read(key) == b"hello" and storage.sha256(key) == digest
    assert list(storage.keys()) == [key]
    empty = storage.put_bytes(b"")
    assert storage.read(empty) == b""
    storage.delete(key)
    assert not storage.exists(key) and storage.read(key) is None and storage.open(key) is None


def test_keys_that_are_not_the_stores_own_are_refused(storage: FileStorage) -> None:
    storage.put_bytes(b"x")
    for bad in ("../etc/passwd", "ab/../../x", "AB/" + "A" * 64, "", "2d/" + "2" * 63):
        assert not storage.exists(bad) and storage.open(bad) is None


def test_a_large_file_is_kept_in_chunks_and_streamed(storage: FileStorage, services: Services,
                                                     tmp_path: Path) -> None:
    content = os.urandom(2 * CHUNK + 12345)
    source = tmp_path / "big.bin"
    source.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    key = storage.put_file(source, digest)
    stream = storage.open(key)
    assert stream is not None
    with stream:
        first = stream.read(1000)
        rest = stream.read()
    assert first + rest == content
    if isinstance(storage, DatabaseStorage):
        with services.db.connect() as conn:
            chunks = conn.execute(select(func.count()).select_from(table_of(BlobChunk))).scalar_one()
            size = conn.execute(select(table_of(Blob).c.size)).scalar_one()
        assert (chunks, size) == (3, len(content))


def test_the_same_content_stored_twice_at_once_is_kept_once(services: Services, tmp_path: Path) -> None:
    storage = DatabaseStorage(services.db)
    barrier, errors = Barrier(4), []

    def put() -> None:
        try:
            barrier.wait()
            storage.put_bytes(b"same content" * 1000)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(list(storage.keys())) == 1


def test_in_the_database_a_file_written_in_a_step_is_rolled_back_with_it(services: Services) -> None:
    storage = DatabaseStorage(services.db)
    with pytest.raises(RuntimeError), services.db.transaction() as conn:
        key = storage.put_bytes(b"signed", conn)
        assert storage.read(key, conn) == b"signed"
        raise RuntimeError("the step failed")
    assert not storage.exists(key)
    store = ContentStore(storage)
    with services.db.transaction() as conn:
        stored = store.put(b"%PDF kept", "a.pdf", "application/pdf", conn)
    assert store.read(stored.stored_path) == b"%PDF kept"
    with pytest.raises(NotFound):
        store.read(key)


@pytest.fixture
def db_settings(settings: Settings) -> Settings:
    from dataclasses import replace

    return replace(settings, file_storage="database")


def test_attachments_go_to_the_database_and_never_to_the_disk(db_settings: Settings, clock: VirtualClock) -> None:
    built = build_services(db_settings, clock=clock)
    try:
        org = prepare(built)
        case = start_document(org, "VB-1", user="vanthu")
        added = org.attachments.add(case, "vanthu", "cv.pdf", io.BytesIO(PDF))
        with org.attachments.open(added.id, "vanthu") as download:
            assert download.stream.read() == PDF
        stored = db_settings.home / "attachments" / added.sha256[:2] / added.sha256
        assert not stored.exists()
        assert DatabaseStorage(built.db).exists(key_for(added.sha256))
    finally:
        from tests.conftest import _empty_tables

        _empty_tables(built)
        built.close()


def test_files_migrate_both_ways_checked_idempotent_and_resumable(services: Services, tmp_path: Path) -> None:
    local, database = LocalStorage(tmp_path / "attachments"), DatabaseStorage(services.db)
    contents = [os.urandom(100 + i) for i in range(3)] + [os.urandom(CHUNK + 7)]
    keys = [local.put_bytes(c) for c in contents]
    database.put_bytes(contents[0])  # as if an earlier run had stopped after the first file
    report = migrate(local, database, services.db)
    assert sorted(report.copied) == sorted(keys[1:]) and report.already == [keys[0]] and report.ok
    assert [database.read(k) for k in keys] == contents
    again = migrate(local, database, services.db)
    assert again.copied == [] and sorted(again.already) == sorted(keys)
    # back, removing the source's copies once checked
    local_back = LocalStorage(tmp_path / "back")
    back = migrate(database, local_back, services.db, remove_source=True)
    assert sorted(back.copied) == sorted(keys) and back.removed == 4
    assert list(database.keys()) == [] and [local_back.read(k) for k in keys] == contents


def test_a_corrupt_file_is_not_migrated(services: Services, tmp_path: Path) -> None:
    local, database = LocalStorage(tmp_path / "attachments"), DatabaseStorage(services.db)
    key = local.put_bytes(b"original")
    (tmp_path / "attachments" / key).write_bytes(b"changed on disk")
    report = migrate(local, database, services.db)
    assert report.corrupt == [key] and not report.ok and not database.exists(key)


def test_the_command_migrates_and_names_missing_files(services: Services, settings: Settings,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import main

    org = prepare(services)
    case = start_document(org, "VB-1", user="vanthu")
    kept = org.attachments.add(case, "vanthu", "cv.pdf", io.BytesIO(PDF))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PROCFLOW_HOME", str(settings.home))
    result = CliRunner().invoke(main, ["files", "migrate", "--to", "database"])
    assert result.exit_code == 0, result.output
    assert "1 copied to database" in result.output and "PROCFLOW_FILE_STORAGE=database" in result.output
    assert DatabaseStorage(services.db).read(key_for(kept.sha256)) == PDF
    again = CliRunner().invoke(main, ["files", "migrate", "--to", "database", "--format", "json"])
    assert '"already": 1' in again.output and '"copied": 0' in again.output
    (settings.home / "attachments" / key_for(kept.sha256)).unlink()
    DatabaseStorage(services.db).delete(key_for(kept.sha256))
    lost = CliRunner().invoke(main, ["files", "migrate", "--to", "database"])
    assert lost.exit_code == 1 and f"{key_for(kept.sha256)}: named by an attachment" in lost.output

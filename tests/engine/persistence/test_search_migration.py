"""Migration 0020 on a database with cases in it: every case gets its search row, data read from its saved state."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from alembic.config import Config
from sqlalchemy import create_engine, text

from alembic import command
from engine.services import ALEMBIC_INI

NOW = datetime(2026, 4, 29, 2, 0, tzinfo=UTC).replace(tzinfo=None)


def test_0020_backfills_the_index_from_key_summary_and_the_last_steps_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "alembic"))
    config.attributes["database_url"] = url
    command.upgrade(config, "0019")
    state = json.dumps({"data": {"old": "Dữ liệu cũ"}, "last_task": "t1",
                        "tasks": {"t1": {"data": {"trich_yeu": "Kế hoạch phòng chống lụt bão"}}}})
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO deployed_files (id, name, kind, content_hash, content, deployed_at) "
                          "VALUES (1, 'a.bpmn', 'bpmn', 'h', '', :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO process_versions (id, process_id, version, name, content_hash, file_id, "
                          "spec_json, tasks_meta, documentation, deployed_at) "
                          "VALUES (1, 'p', 1, 'P', 'h', 1, '{}', '{}', '', :t)"), {"t": NOW})
        for id_, key, summary, saved in ((1, "CV-1", "Công văn Đảng ủy", state), (2, None, None, "not json")):
            conn.execute(text("INSERT INTO instances (id, process_version_id, process_id, business_key, summary, "
                              "status, started_by, started_at, updated_at, lock_version, completed_tasks, state) "
                              "VALUES (:i, 1, 'p', :k, :s, 'running', NULL, :t, :t, 1, 0, :state)"),
                         {"i": id_, "k": key, "s": summary, "t": NOW, "state": saved})
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT instance_id, title, content, head, body FROM case_search "
                                 "ORDER BY instance_id")).all()
        found = conn.execute(text("SELECT rowid FROM case_search_fts WHERE case_search_fts MATCH 'lut bao'")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, "Công văn Đảng ủy", "Kế hoạch phòng chống lụt bão", "cong van dang uy cv 1",
         "ke hoach phong chong lut bao"),
        (2, None, "", "", "")]
    assert [r[0] for r in found] == [1]

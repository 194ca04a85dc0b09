"""Migration 0008 on a database with cases in it, and the case fields it fills (urgency, search text)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import create_engine, text

from alembic import command
from engine.persistence.case_fields import fold, urgency_level
from engine.services import ALEMBIC_INI

NOW = datetime(2026, 4, 29, 2, 0, tzinfo=UTC).replace(tzinfo=None)


def _config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_INI.parent / "alembic"))
    config.attributes["database_url"] = url
    return config


def test_0008_fills_unit_and_search_text_and_rewrites_offers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = _config(url)
    command.upgrade(config, "0007")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units (code, name) VALUES ('VP', 'Văn phòng')"))
        conn.execute(text("INSERT INTO users (username, full_name, unit_code, active) VALUES ('vt', 'V', 'VP', 1)"))
        conn.execute(text("INSERT INTO deployed_files (id, name, kind, content_hash, content, deployed_at) "
                          "VALUES (1, 'a.bpmn', 'bpmn', 'h', '', :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO process_versions (id, process_id, version, name, content_hash, file_id, "
                          "spec_json, tasks_meta, documentation, deployed_at) "
                          "VALUES (1, 'p', 1, 'P', 'h', 1, '{}', '{}', '', :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO instances (id, process_version_id, process_id, business_key, summary, "
                          "status, started_by, started_at, updated_at, lock_version, completed_tasks, state) "
                          "VALUES (1, 1, 'p', 'CV-1', 'Công văn Đảng ủy', 'running', 'vt', :t, :t, 1, 0, '{}')"),
                     {"t": NOW})
        for task, assignee, groups in (("t-open", None, "g"), ("t-mine", "vt", "g"), ("t-all", None, None)):
            conn.execute(text("INSERT INTO inbox_tasks (id, instance_id, process_id, element_id, name, assignee, "
                              "created_at, group_codes) VALUES (:i, 1, 'p', 'e', 'n', :a, :t, '[]')"),
                         {"i": task, "a": assignee, "t": NOW})
            if groups:
                conn.execute(text("INSERT INTO task_candidate_groups VALUES (:i, :g)"), {"i": task, "g": groups})
    command.upgrade(config, "0008")
    with engine.connect() as conn:
        case = conn.execute(text("SELECT unit_code, search_text, urgency FROM instances")).one()
        offers = set(conn.execute(text("SELECT task_id, group_code FROM task_candidate_groups")).all())
    engine.dispose()
    assert tuple(case) == ("VP", "cv-1 cong van dang uy", None)
    assert offers == {("t-open", "g"), ("t-all", "*")}


@pytest.mark.parametrize(("value", "level"), [
    ("hỏa tốc", "flash"), ("Hoả tốc", "flash"), ("HOA TOC", "flash"), ("flash", "flash"),
    ("Thượng khẩn", "top_urgent"), ("top-urgent", "top_urgent"), ("khẩn", "urgent"), ("Urgent", "urgent"),
    ("thường", "normal"), ("normal", "normal"), ("", None), ("mật", None), (None, None), (3, None),
])
def test_urgency_levels_from_codes_and_vietnamese_names(value: object, level: str | None) -> None:
    assert urgency_level(value) == level


def test_folding() -> None:
    assert fold("  Đề nghị   QUYẾT ĐỊNH ") == "de nghi quyet dinh"

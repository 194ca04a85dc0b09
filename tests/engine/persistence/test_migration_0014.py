"""Migration 0014: notifications stored as "vi / en" text become a wording key with parameters; users get a language."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.notify.wording import wording
from engine.services import upgrade_database
from engine.settings import normalize_database_url

T = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
OLD = {
    "reminder": "Việc \u201cXử lý văn bản\u201d (hồ sơ #7) đến hạn lúc 16:30 04/05/2026. "
                "/ Task \u201cXử lý văn bản\u201d is due at 16:30 04/05/2026.",
    "escalation": "Việc \u201cXử lý\u201d (hồ sơ #7, chuyenvien) đã quá hạn 16:30 04/05/2026. "
                  "/ Task \u201cXử lý\u201d is overdue.",
    "unclaimed": "Việc \u201cXử lý\u201d (hồ sơ #7, chưa nhận) đã quá hạn 16:30 04/05/2026. "
                 "/ Task \u201cXử lý\u201d is overdue.",
    "reassigned": "Việc \u201cXử lý\u201d quá hạn đã được chuyển cho đồng chí. / An overdue task was given to you.",
    "delegated": "Đồng chí chanhvp đã chuyển cho đồng chí việc \u201cDuyệt / ký\u201d (hồ sơ #7). "
                 "/ chanhvp delegated the task \u201cDuyệt / ký\u201d (case #7) to you.",
    "reminded": "Đồng chí chanhvp nhắc việc \u201cXử lý\u201d (hồ sơ #7), hạn -. "
                "/ chanhvp reminds you of the task \u201cXử lý\u201d (case #7), due -.",
    "given": "Đồng chí chanhvp đã giao cho đồng chí việc \u201cXử lý\u201d (hồ sơ #7). "
             "/ chanhvp gave you the task \u201cXử lý\u201d (case #7).",
    "other": "Thông báo khác / Another notice",
    "plain": "Chỉ một ngôn ngữ",
}


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind the suite runs on (its own PostgreSQL schema, or a new SQLite file)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    url = normalize_database_url(url)
    schema = f"migrate_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def test_old_notifications_are_read_back_into_keys_and_parameters(fresh_url: str) -> None:
    upgrade_database(fresh_url, "0013")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (username, full_name, active) VALUES ('chuyenvien', 'Hoàng Văn Viên', "
                          ":yes)"), {"yes": True})
        for name, message in OLD.items():
            conn.execute(text("INSERT INTO notifications (username, kind, message, created_at) "
                              "VALUES (:name, 'reminder', :message, :at)"),
                         {"name": name, "message": message, "at": T})
    engine.dispose()

    upgrade_database(fresh_url, "0014")

    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        rows = {r.username: r for r in conn.execute(text("SELECT username, message_key, params FROM notifications"))}
        language = conn.execute(text("SELECT language FROM users WHERE username = 'chuyenvien'")).scalar_one()
        columns = conn.execute(text("SELECT * FROM notifications")).keys()
    engine.dispose()
    assert language == "vi" and "message" not in columns

    def read(name: str, locale: str) -> str:
        row = rows[name]
        params = row.params if isinstance(row.params, dict) else json.loads(row.params)  # SQLite: JSON text
        return wording(row.message_key, params, locale)

    assert {name: row.message_key for name, row in rows.items()} == {
        "reminder": "reminder_due", "escalation": "overdue", "unclaimed": "overdue_unclaimed",
        "reassigned": "old_text", "delegated": "delegated", "reminded": "reminded_by_no_due",
        "given": "reassigned_by", "other": "old_text", "plain": "old_text"}
    assert read("reminder", "vi") == OLD["reminder"].split(" / ")[0]  # the same words as before
    assert read("reminder", "en") == "Task “Xử lý văn bản” (case #7) is due at 16:30 04/05/2026."
    assert read("escalation", "en") == ("Task “Xử lý” (case #7, with chuyenvien) was due at 16:30 04/05/2026 "
                                        "and is overdue.")
    assert read("reassigned", "en") == "An overdue task was given to you."  # no case to name: its old words
    assert read("delegated", "vi") == "Đồng chí chanhvp đã chuyển cho đồng chí việc “Duyệt / ký” (hồ sơ #7)."
    assert read("delegated", "en") == "chanhvp handed the task “Duyệt / ký” (case #7) to you."
    assert read("reminded", "en") == "chanhvp reminds you of the task “Xử lý” (case #7)."
    assert (read("other", "vi"), read("other", "en")) == ("Thông báo khác", "Another notice")
    assert (read("plain", "vi"), read("plain", "en")) == ("Chỉ một ngôn ngữ", "Chỉ một ngôn ngữ")

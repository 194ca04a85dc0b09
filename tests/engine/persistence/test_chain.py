"""The canonical form the hash chains hash: fixed, and the same for what is written and what is read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from engine.persistence.chain import GENESIS, HISTORY_FIELDS, canonical, chain_history, row_hash

ICT = timezone(timedelta(hours=7))


def test_canonical_json_is_sorted_compact_utf8_with_fixed_utc_datetimes() -> None:
    value = {"b": 1, "a": datetime(2026, 4, 29, 9, 0, tzinfo=ICT), "c": {"z": None, "y": [1, 2.5]}, "d": "Đã xử lý"}
    assert canonical(value) == ('{"a":"2026-04-29T02:00:00.000000Z","b":1,"c":{"y":[1,2.5],"z":null},'
                                '"d":"Đã xử lý"}').encode()


def test_what_is_written_hashes_as_what_is_read_back() -> None:
    written = {"instance_id": 3, "at": datetime(2026, 4, 29, 9, 0, 0, 5, tzinfo=ICT), "kind": "task_completed",
               "data": {2: "int keys become strings", "big": 2**70, "t": (1, 2)}, "actor": None}
    read_back = {**written, "at": written["at"].astimezone(UTC), "data": json.loads(json.dumps(written["data"]))}
    assert row_hash(written, HISTORY_FIELDS, GENESIS) == row_hash(read_back, HISTORY_FIELDS, GENESIS)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        canonical({"at": datetime(2026, 4, 29)})


def test_a_chain_numbers_and_links_its_rows() -> None:
    rows = [{"instance_id": 1, "at": datetime(2026, 4, 29, tzinfo=UTC), "kind": k} for k in ("a", "b")]
    head, count = chain_history(rows, GENESIS, 0)
    assert [r["seq"] for r in rows] == [1, 2] and count == 2 and head == rows[1]["hash"]
    assert rows[1]["hash"] == row_hash(rows[1], HISTORY_FIELDS, rows[0]["hash"])
    assert rows[0]["hash"] != row_hash({**rows[0], "kind": "x"}, HISTORY_FIELDS, GENESIS)

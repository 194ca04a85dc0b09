"""Verification rate of `procflow audit verify` on PostgreSQL: 1,000,000 history rows in 100,000 cases, anchored.

The cases and their chained history rows (each hashed exactly as the engine hashes, engine/persistence/chain.py)
are generated straight into a throwaway schema with COPY, then one anchor is taken over every case, so that
verification checks each row's hash and position, each case's head and each anchored checkpoint. Verification
runs twice (the figure is the faster, so that a cold cache does not count), then one row is edited and a third
run must name it.

Run: python -m bench.audit [--rows 1000000] [--per-case 10]
Last line: JSON with rows, seconds, rows_per_s (target: 1,000,000 rows in under 60 s) and detected.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench._support import BENCH, copy_rows, postgres_services
from bench.inbox import bulk_load
from engine.bpmn.validation import SourceFile
from engine.persistence.chain import GENESIS, HISTORY_FIELDS, row_hash
from engine.services import Services

KINDS = ("instance_started", "element_completed", "task_created", "task_claimed", "comment_added",
         "attachment_added", "element_completed", "task_created", "task_reassigned", "instance_completed")
_INSTANCE_COLUMNS = ("id", "process_version_id", "process_id", "status", "started_by", "started_at", "updated_at",
                     "lock_version", "completed_tasks", "state", "history_head", "history_count")
_HISTORY_COLUMNS = (*HISTORY_FIELDS, "hash")
START = datetime(2025, 1, 6, 1, 30, tzinfo=UTC)


class Seeder:
    """Generates cases and their hash-chained history rows for COPY."""

    def __init__(self, version_id: int, per_case: int) -> None:
        self.version_id = version_id
        self.per_case = per_case
        self.random = random.Random(7)
        self.heads: list[tuple[Any, ...]] = []

    def history(self, rows: int) -> Iterator[tuple[Any, ...]]:
        """``rows`` history rows, ``per_case`` to a case; each case's head is kept for its instance row."""
        cases = -(-rows // self.per_case)
        for case in range(1, cases + 1):
            at, head, count = START + timedelta(minutes=self.random.randrange(600_000)), GENESIS, 0
            for n in range(min(self.per_case, rows - (case - 1) * self.per_case)):
                at += timedelta(seconds=self.random.randrange(60, 86_400), microseconds=self.random.randrange(10**6))
                count += 1
                row = {"instance_id": case, "at": at, "kind": KINDS[n % len(KINDS)], "element_id": f"Task_{n}",
                       "element_type": "UserTask", "task_id": f"{case:08d}-0000-4000-8000-{n:012d}",
                       "actor": f"u{self.random.randrange(500):03d}", "data": {"n": n, "ghi_chu": "Đã xử lý"},
                       "process_id": None, "unit_code": None, "task_created_at": None, "due_at": None,
                       "late_seconds": None, "seq": count}
                head = row_hash(row, HISTORY_FIELDS, head)
                yield (*(json.dumps(row["data"]) if k == "data" else row[k] for k in HISTORY_FIELDS), head)
            self.heads.append((case, self.version_id, "one_task", "completed", "bench", at, at, 1, 1, "{}", head,
                               count))


def seed(services: Services, rows: int, per_case: int) -> None:
    """Fill the schema: the cases' history by COPY (indexes built after), their instances, one anchor over all."""
    services.org.import_structure({"users": [{"username": "bench", "full_name": "Bench"}]})
    services.deployment.deploy([SourceFile("one_task.bpmn", (BENCH / "one_task.bpmn").read_bytes())])
    with services.db.engine.connect() as conn:
        version_id = conn.execute(text("SELECT id FROM process_versions")).scalar_one()
    seeder = Seeder(version_id, per_case)
    with bulk_load(services, "history"):
        copy_rows(services, "history", _HISTORY_COLUMNS, seeder.history(rows))
        copy_rows(services, "instances", _INSTANCE_COLUMNS, seeder.heads)  # before the foreign key is back
    with services.db.engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('instances', 'id'), (SELECT max(id) FROM instances))"))
        conn.execute(text("ANALYZE history"))
        conn.execute(text("ANALYZE instances"))
    made = services.anchors.anchor()
    assert made is not None and made.cases == len(seeder.heads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="history rows in all")
    parser.add_argument("--per-case", type=int, default=10, help="history rows per case")
    args = parser.parse_args()
    with postgres_services() as services:
        if services is None:
            print(json.dumps({"rows": args.rows, "seconds": None, "rows_per_s": None, "detected": None}))
            return
        seed(services, args.rows, args.per_case)
        runs = []
        for number in (1, 2):
            report = services.verifier.verify()
            assert report.intact, report.problems[:5]
            assert report.history_rows == args.rows
            runs.append(report.seconds)
            print(f"run {number}: {report.history_rows:,} rows, {report.cases:,} cases, {report.anchors} anchor "
                  f"in {report.seconds:.1f} s ({report.history_rows / report.seconds:,.0f} rows/s)")
        with services.db.engine.begin() as conn:
            conn.execute(text("UPDATE history SET actor = 'ke_gian' WHERE id = (SELECT max(id) / 2 FROM history)"))
        tampered = services.verifier.verify()
        detected = not tampered.intact and "was edited" in tampered.problems[0].message
        print(f"after editing one row: {tampered.problems[0] if tampered.problems else 'NOT DETECTED'}")
    best = min(runs)
    print(json.dumps({"rows": args.rows, "cases": -(-args.rows // args.per_case), "seconds": round(best, 2),
                      "rows_per_s": round(args.rows / best), "target_seconds": 60, "detected": detected}))


if __name__ == "__main__":
    main()

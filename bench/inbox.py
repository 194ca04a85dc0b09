"""Server time of the inbox page in PostgreSQL: a user with 300 open tasks, among 1,000 and among 100,000 open tasks.

The data (200 users, 30 groups; open tasks either assigned to a user or offered to a group; completed tasks
as history rows) is generated straight into the tables with COPY, in two throwaway schemas: one with 1,000 open
tasks in all (and 10,000 completed ones), one with 100,000 open tasks and 1,000,000 completed ones. The same
user, with the same 300 open tasks in both, asks for the first page (50 rows, sorted by deadline); the calls
alternate between the two data sets.

Run: python -m bench.inbox [--runs 200] [--explain]
Last line: JSON with p95_ms_large, p95_ms_small and their ratio (target <= 1.5).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text

from bench._support import BENCH, copy_rows, postgres_services
from engine.bpmn.validation import SourceFile
from engine.inbox.queries import InboxFilter
from engine.persistence.search_index import words
from engine.services import Services

USERS, GROUPS, TARGET = 200, 30, "u000"
TARGET_ASSIGNED, TARGET_OFFERED = 100, 200  # the target user's 300 open tasks
SMALL_OPEN, SMALL_DONE = 1_000, 10_000
LARGE_OPEN, LARGE_DONE = 100_000, 1_000_000
DONE_PER_CASE = 8
PROCESSES = ("van_ban_den", "van_ban_di", "giao_viec", "ket_nap", "chuyen_sinh_hoat")
URGENCY = ("normal", "normal", "normal", "urgent", "top_urgent", "flash")
NOW = datetime.now(UTC)


def organisation() -> dict[str, Any]:
    """200 users in 10 units, each in one of 30 groups (the target user alone in g00 with five colleagues)."""
    units = [{"code": f"unit{n}", "name": f"Đơn vị {n}", "parent": "unit0" if n else None} for n in range(10)]
    groups = [{"code": f"g{n:02d}", "name": f"Nhóm {n}"} for n in range(GROUPS)]
    users = [{"username": f"u{n:03d}", "full_name": f"Cán bộ {n}", "unit": f"unit{n % 10}",
              "groups": [f"g{n % GROUPS:02d}"]} for n in range(USERS)]
    return {"units": units, "groups": groups, "users": users}


class Seeder:
    """Writes generated cases, open tasks and history straight into the tables with COPY."""

    def __init__(self, services: Services, version_id: int) -> None:
        self.services = services
        self.version_id = version_id
        self.random = random.Random(42)
        self.next_instance = 1
        self.index: list[tuple[Any, ...]] = []  # case_search rows: the words of each case's key and summary

    def open_tasks(self, count: int, *, target: bool = False) -> None:
        """Add ``count`` running cases with one open task each (the target user's 300 when ``target``)."""
        cases, tasks, offers, events = [], [], [], []
        for n in range(count):
            assignee, group = self._who(n) if target else self._anyone()
            case_id, task_id = self._case(cases, "running"), str(uuid.UUID(int=self.random.getrandbits(128)))
            created = NOW - timedelta(minutes=self.random.randrange(60 * 24 * 30))
            due = None if self.random.random() < 0.2 else created + timedelta(hours=self.random.randrange(-240, 480))
            tasks.append((task_id, case_id, cases[-1][2], "handle", "Xử lý văn bản", group, assignee, created, due,
                          json.dumps([group])))
            if assignee is None:
                offers.append((task_id, group))
            events.append((case_id, created, "task_created", "handle", task_id, None))
        copy_rows(self.services, "instances", _INSTANCE_COLUMNS, cases)
        copy_rows(self.services, "inbox_tasks", ("id", "instance_id", "process_id", "element_id", "name", "lane",
                                                 "assignee", "created_at", "due_at", "group_codes"), tasks)
        copy_rows(self.services, "task_candidate_groups", ("task_id", "group_code"), offers)
        copy_rows(self.services, "history", _HISTORY_COLUMNS, events)

    def completed_tasks(self, count: int) -> None:
        """Add completed cases holding ``count`` completed tasks in all (history rows only, as after pruning)."""
        cases: list[tuple[Any, ...]] = []
        events = []
        for n in range(count):
            if n % DONE_PER_CASE == 0:
                case_id = self._case(cases, "completed")
            at = NOW - timedelta(minutes=self.random.randrange(60 * 24 * 365))
            events.append((case_id, at, "task_completed", "handle", str(uuid.uuid4()),
                           f"u{self.random.randrange(USERS):03d}"))
        copy_rows(self.services, "instances", _INSTANCE_COLUMNS, cases)
        with bulk_load(self.services, "history"):
            copy_rows(self.services, "history", _HISTORY_COLUMNS, events)

    def _who(self, n: int) -> tuple[str | None, str]:
        return (TARGET, "g00") if n < TARGET_ASSIGNED else (None, "g00")

    def _anyone(self) -> tuple[str | None, str]:
        """40% assigned to someone (claimed: no offer rows), 60% offered to a group other than the target's."""
        user = self.random.randrange(1, USERS)
        if self.random.random() < 0.4:
            return f"u{user:03d}", f"g{user % GROUPS:02d}"
        return None, f"g{self.random.randrange(1, GROUPS):02d}"

    def _case(self, cases: list[tuple[Any, ...]], status: str) -> int:
        case_id, self.next_instance = self.next_instance, self.next_instance + 1
        key, summary = f"VB-{case_id:07d}", f"Số {case_id}/CV-VP: Về việc báo cáo số {case_id}"
        started = NOW - timedelta(days=self.random.randrange(400))
        cases.append((case_id, self.version_id, PROCESSES[case_id % len(PROCESSES)], key, summary,
                      self.random.choice(URGENCY), f"unit{case_id % 10}", status,
                      f"u{self.random.randrange(USERS):03d}", started, started, 1, 1, "{}"))
        self.index.append((case_id, summary, key, " ".join(words(f"{summary} {key}")), ""))
        return case_id



_INSTANCE_COLUMNS = ("id", "process_version_id", "process_id", "business_key", "summary", "urgency", "unit_code",
                     "status", "started_by", "started_at", "updated_at", "lock_version",
                     "completed_tasks", "state")
_HISTORY_COLUMNS = ("instance_id", "at", "kind", "element_id", "task_id", "actor")


@contextmanager
def bulk_load(services: Services, table: str) -> Iterator[None]:
    """Load a table the way one restores a dump: secondary indexes and foreign keys are dropped and built again
    after, and triggers that keep other tables (managers' figures) are off, since the inbox never reads those."""
    with services.db.engine.begin() as conn:
        indexes = [(n, d) for n, d in conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = :t"),
            {"t": table}) if not n.startswith("pk_")]
        keys = conn.execute(text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                                 "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'"), {"t": table}).all()
        for name, _ in indexes:
            conn.execute(text(f"DROP INDEX {name}"))
        for name, _ in keys:
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
    yield
    with services.db.engine.begin() as conn:
        conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        for _, definition in indexes:
            conn.execute(text(definition))
        for name, definition in keys:
            conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))


def analyze(services: Services) -> None:
    """VACUUM ANALYZE the tables the inbox reads, as autovacuum would after a bulk load."""
    with services.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("instances", "inbox_tasks", "task_candidate_groups", "history", "memberships", "users",
                      "case_search"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def measure(pair: dict[str, Services], runs: int, filters: InboxFilter | None = None) -> dict[str, dict[str, float]]:
    """Time the inbox page call (first page, 50 rows) on both data sets, alternating so that load from other
    programs on the machine weighs on both alike; p50 and p95 in milliseconds."""
    times: dict[str, list[float]] = {label: [] for label in pair}
    for n in range(runs + 20):
        for label, services in pair.items():
            started = time.perf_counter()
            services.inbox.page(TARGET, filters)
            if n >= 20:  # the first rounds warm caches and connections
                times[label].append((time.perf_counter() - started) * 1000)
    return {label: _percentiles(values) for label, values in times.items()}


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50": statistics.median(ordered), "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)]}


def explain(services: Services) -> list[str]:
    """PostgreSQL's plan of the page query exactly as the service sends it (captured, then EXPLAINed)."""
    captured: dict[str, Any] = {}

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        captured.update(statement=statement, parameters=parameters)

    event.listen(services.db.engine, "before_cursor_execute", capture)
    try:
        services.inbox.page(TARGET)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", capture)
    with services.db.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + captured["statement"], captured["parameters"])
        return [row[0] for row in plan]


def seed(services: Services, label: str, open_tasks: int, done: int) -> None:
    """The organisation, a deployed process, the target user's 300 tasks, other open and completed tasks."""
    started = time.perf_counter()
    services.org.import_structure(organisation())
    deployed = services.deployment.deploy([SourceFile("one_task.bpmn", (BENCH / "one_task.bpmn").read_bytes())])
    with services.db.connect() as conn:
        version_id = conn.execute(text("SELECT id FROM process_versions WHERE process_id = :p"),
                                  {"p": deployed[0].process_id}).scalar_one()
    seeder = Seeder(services, version_id)
    seeder.open_tasks(TARGET_ASSIGNED + TARGET_OFFERED, target=True)
    seeder.open_tasks(open_tasks - TARGET_ASSIGNED - TARGET_OFFERED)
    seeder.completed_tasks(done)
    # the search index the inbox's search box reads (key and summary)
    copy_rows(services, "case_search", ("instance_id", "title", "content", "head", "body"), seeder.index)
    analyze(services)
    with services.db.connect() as conn:
        counts = conn.execute(text("SELECT (SELECT count(*) FROM inbox_tasks), (SELECT count(*) FROM history "
                                   "WHERE kind = 'task_completed')")).one()
    page = services.inbox.page(TARGET)
    assert page.total == TARGET_ASSIGNED + TARGET_OFFERED, page.total
    print(f"{label}: {counts[0]:,} open tasks, {counts[1]:,} completed; {TARGET} sees {page.total} "
          f"(seeded in {time.perf_counter() - started:.1f}s)")


def run(pair: dict[str, Services], runs: int, show_plan: bool) -> dict[str, dict[str, dict[str, float]]]:
    """Seed both data sets, then measure the plain first page and two filtered ones on both."""
    seed(pair["small"], "small", SMALL_OPEN, SMALL_DONE)
    seed(pair["large"], "large", LARGE_OPEN, LARGE_DONE)
    cases = {"page": None, "overdue": InboxFilter(state="overdue"), "search": InboxFilter(search="cv-vp: ve viec")}
    figures: dict[str, dict[str, dict[str, float]]] = {"small": {}, "large": {}}
    for name, filters in cases.items():
        for label, f in measure(pair, runs, filters).items():
            figures[label][name] = f
            print(f"  {label:5} {name:8} p50 {f['p50']:7.2f} ms   p95 {f['p95']:7.2f} ms")
    if show_plan:
        print("\n".join(explain(pair["large"])))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plan of the page query")
    args = parser.parse_args()
    with postgres_services() as small, postgres_services() as large:
        figures = run({"small": small, "large": large}, args.runs, args.explain) if small and large else None
    if figures is None:
        print(json.dumps({"p95_ms_large": None, "p95_ms_small": None, "ratio": None}))
        return
    large_page, small_page = figures["large"]["page"], figures["small"]["page"]
    ratio = large_page["p95"] / small_page["p95"]
    print(f"ratio large / small (p95): {ratio:.2f}   (target <= 1.5)")
    print(json.dumps({
        "p95_ms_large": round(large_page["p95"], 2), "p95_ms_small": round(small_page["p95"], 2),
        "ratio": round(ratio, 2), "p50_ms_large": round(large_page["p50"], 2),
        "p50_ms_small": round(small_page["p50"], 2),
        "p95_ms_large_overdue": round(figures["large"]["overdue"]["p95"], 2),
        "p95_ms_large_search": round(figures["large"]["search"]["p95"], 2),
        "runs": args.runs, "open_tasks_large": LARGE_OPEN, "completed_tasks_large": LARGE_DONE,
        "open_tasks_small": SMALL_OPEN, "user_open_tasks": TARGET_ASSIGNED + TARGET_OFFERED,
    }))


if __name__ == "__main__":
    main()

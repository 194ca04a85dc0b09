"""Seeding a PostgreSQL schema for ``bench.dashboard``: an organisation, years of history and open tasks, by COPY.

Time is generated on a grid of working days (the business calendar's own days) and working minutes (07:30-11:30,
13:30-17:00), so working time between two generated moments is exact arithmetic and lateness needs no calendar
walk: ``late_seconds`` is what the engine would have stored.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text

from bench._support import copy_rows
from engine.services import Services

DAY_MINUTES = 450  # 7.5 working hours
PROCESSES = {f"proc_{n}": [f"step_{n}_{k}" for k in range(4)] for n in range(5)}
TASKS_PER_CASE = 5
LATE_SHARE = 0.15


@dataclass(frozen=True)
class Shape:
    """How much to seed."""

    completed: int
    open: int
    units: int = 50
    people_per_unit: int = 10
    years: int = 3


@dataclass
class Grid:
    """Working days from the start of the history to two months ahead, and how to turn (day, minute) into a moment."""

    days: list[date]
    zone: Any
    today: int  # index of the first working day not before today

    def moment(self, day: int, minute: int) -> datetime:
        """The moment ``minute`` working minutes into working day ``day``."""
        clock = time(7, 30) if minute < 240 else time(13, 30)
        start = datetime.combine(self.days[day], clock, tzinfo=self.zone)
        return start + timedelta(minutes=minute if minute < 240 else minute - 240)


def organisation(shape: Shape) -> dict[str, Any]:
    """A root unit, departments under it and offices under those; heads and staff in each."""
    codes = [f"U{n:02d}" for n in range(shape.units)]
    departments = codes[1:8]
    units = [{"code": codes[0], "name": "Tỉnh ủy", "head": f"{codes[0]}_p0"}]
    for n, code in enumerate(codes[1:], start=1):
        parent = codes[0] if code in departments else departments[n % len(departments)]
        units.append({"code": code, "name": f"Đơn vị {n}", "parent": parent, "head": f"{code}_p0"})
    users = [{"username": f"{code}_p{k}", "full_name": f"Cán bộ {code} {k}", "unit": code,
              "groups": ["lanh_dao"] if k == 0 else ["chuyen_vien"]}
             for code in codes for k in range(shape.people_per_unit)]
    groups = [{"code": "lanh_dao", "name": "Lãnh đạo"}, {"code": "chuyen_vien", "name": "Chuyên viên"}]
    return {"units": units, "groups": groups, "users": users}


def grid(services: Services, now: datetime, years: int) -> Grid:
    """The working days of the last ``years`` years up to today (by the database's calendar)."""
    calendar = services.calendar.calendar()
    today = now.astimezone(calendar.zone).date()
    first = today - timedelta(days=365 * years)
    days = [d for d in (first + timedelta(days=n) for n in range((today - first).days + 60))
            if calendar.is_working_day(d)]
    return Grid(days, calendar.zone, next(n for n, d in enumerate(days) if d >= today))


def seed(services: Services, shape: Shape, now: datetime, seed_value: int = 1) -> None:
    """Fill an empty, migrated schema: organisation, versions, cases, history, open tasks; then rollups and stats."""
    org = organisation(shape)
    services.org.import_structure(org)
    people = {u["code"]: [p["username"] for p in org["users"] if p["unit"] == u["code"]] for u in org["units"]}
    work = grid(services, now, shape.years)
    with services.db.engine.begin() as conn:
        conn.execute(text("INSERT INTO deployed_files (id, name, kind, content_hash, content, deployed_at) "
                          "VALUES (1, 'bench.bpmn', 'bpmn', 'x', '<bench/>', now())"))
        for n, (pid, steps) in enumerate(PROCESSES.items(), start=1):
            conn.execute(text("INSERT INTO process_versions (id, process_id, version, name, content_hash, file_id, "
                              "spec_json, tasks_meta, documentation, deployed_at) VALUES (:id, :pid, 1, :name, :pid, "
                              "1, '{}', :meta, '', now())"),
                         {"id": n, "pid": pid, "name": f"Thủ tục {n}",
                          "meta": json.dumps({s: {"name": s} for s in steps})})
    cases = shape.completed // TASKS_PER_CASE
    copy_rows(services, "instances", INSTANCE_COLUMNS, _instances(work, people, cases, shape.open, now, seed_value))
    with services.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE history DISABLE TRIGGER history_figures"))
    copy_rows(services, "history", HISTORY_COLUMNS, _history(work, people, cases, seed_value))
    with services.db.engine.begin() as conn:
        conn.execute(text("ALTER TABLE history ENABLE TRIGGER history_figures"))
        conn.execute(text("SELECT setval(pg_get_serial_sequence('instances', 'id'), (SELECT max(id) FROM instances))"))
    copy_rows(services, "inbox_tasks", INBOX_COLUMNS, _open_tasks(work, people, cases, shape.open, seed_value))
    services.analytics.rebuild_figures()
    with services.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        # Write the loaded pages out now rather than in a checkpoint in the middle of the measurements.
        conn.execute(text("CHECKPOINT"))


INSTANCE_COLUMNS = ("id", "process_version_id", "process_id", "business_key", "summary", "status", "started_by",
                    "started_at", "updated_at", "ended_at", "lock_version", "completed_tasks", "state", "unit_code")
HISTORY_COLUMNS = ("instance_id", "at", "kind", "element_id", "task_id", "actor", "process_id", "unit_code",
                   "task_created_at", "due_at", "late_seconds")
INBOX_COLUMNS = ("id", "instance_id", "process_id", "element_id", "name", "assignee", "created_at", "due_at",
                 "group_codes")


@dataclass(frozen=True)
class Case:
    """One generated completed case and its tasks (element, actor, created, due, done, late seconds)."""

    id: int
    process_id: str
    unit: str
    starter: str
    tasks: list[tuple[str, str, datetime, datetime, datetime, int]]


def _cases(work: Grid, people: dict[str, list[str]], count: int, seed_value: int) -> Iterator[Case]:
    """Completed cases spread over the history; the same ``seed_value`` gives the same cases."""
    rng = random.Random(seed_value)
    units = sorted(people)
    last_start = work.today - TASKS_PER_CASE * 11
    for case_id in range(1, count + 1):
        pid = f"proc_{rng.randrange(len(PROCESSES))}"
        unit = rng.choice(units)
        day, minute = rng.randrange(last_start), rng.randrange(DAY_MINUTES)
        tasks = []
        for element in (PROCESSES[pid] + PROCESSES[pid])[:TASKS_PER_CASE]:
            allowed = rng.randint(1, 5) * DAY_MINUTES
            late = rng.randint(1, 5 * DAY_MINUTES) if rng.random() < LATE_SHARE else 0
            spent = allowed + late if late else rng.randint(1, allowed)
            end = day * DAY_MINUTES + minute + spent
            due = day * DAY_MINUTES + minute + allowed
            tasks.append((element, rng.choice(people[unit]), work.moment(day, minute),
                          work.moment(*divmod(due, DAY_MINUTES)), work.moment(*divmod(end, DAY_MINUTES)), late * 60))
            day, minute = divmod(end, DAY_MINUTES)
        yield Case(case_id, pid, unit, people[unit][1], tasks)


def _instances(work: Grid, people: dict[str, list[str]], cases: int, open_count: int, now: datetime,
               seed_value: int) -> Iterator[tuple[Any, ...]]:
    """Instance rows: the completed cases, then one running case per open task."""
    for case in _cases(work, people, cases, seed_value):
        started, ended = case.tasks[0][2], case.tasks[-1][4]
        yield (case.id, _version(case.process_id), case.process_id, f"HS-{case.id}", f"Hồ sơ {case.id}", "completed",
               case.starter, started, ended, ended, 1, TASKS_PER_CASE, "{}", case.unit)
    for n, (pid, unit) in enumerate(_running(people, open_count, seed_value)):
        yield (cases + n + 1, _version(pid), pid, f"HS-{cases + n + 1}", None, "running", people[unit][1], now, now,
               None, 1, 0, "{}", unit)


def _running(people: dict[str, list[str]], count: int, seed_value: int) -> Iterator[tuple[str, str]]:
    """(process, unit) of each running case, the same for its instance row and its open task."""
    rng = random.Random(seed_value + 1)
    units = sorted(people)
    for _ in range(count):
        yield f"proc_{rng.randrange(len(PROCESSES))}", rng.choice(units)


def _history(work: Grid, people: dict[str, list[str]], cases: int, seed_value: int) -> Iterator[tuple[Any, ...]]:
    """History rows of the completed cases: started, each task created and completed, case completed."""
    task_number = 0
    for case in _cases(work, people, cases, seed_value):
        yield (case.id, case.tasks[0][2], "instance_started", None, None, case.starter, None, None, None, None, None)
        for element, actor, created, due, done, late in case.tasks:
            task_number += 1
            task_id = f"t{task_number}"
            yield (case.id, created, "task_created", element, task_id, None, None, None, None, None, None)
            yield (case.id, done, "task_completed", element, task_id, actor, case.process_id, case.unit, created, due,
                   late)
        yield (case.id, case.tasks[-1][4], "instance_completed", None, None, case.starter, None, None, None, None,
               None)


def _open_tasks(work: Grid, people: dict[str, list[str]], cases: int, count: int,
                seed_value: int) -> Iterator[tuple[Any, ...]]:
    """One open task per running case: 10% overdue, 10% due on the next working day, the rest later."""
    rng = random.Random(seed_value + 2)
    for n, (pid, unit) in enumerate(_running(people, count, seed_value)):
        instance_id = cases + n + 1
        roll = rng.random()
        due_day = work.today + (-rng.randint(1, 10) if roll < 0.10 else 1 if roll < 0.20 else rng.randint(2, 30))
        minute = rng.randrange(DAY_MINUTES)
        created = work.moment(max(due_day - rng.randint(1, 5), 0), minute)
        assignee = rng.choice(people[unit]) if rng.random() < 0.7 else None
        element = rng.choice(PROCESSES[pid])
        yield (f"o{instance_id}", instance_id, pid, element, element, assignee, created, work.moment(due_day, minute),
               json.dumps(["chuyen_vien"]))


def _version(process_id: str) -> int:
    """The version id seeded for a process."""
    return int(process_id.split("_")[1]) + 1



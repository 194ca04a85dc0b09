"""Prepared statements (the engine's hot path) behave as the same statements run through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from engine.deployment.service import collect_sources
from engine.persistence.base import table_of
from engine.persistence.models import HistoryEvent, InboxTask, TaskCandidateGroup
from engine.persistence.prepared import Prepared
from engine.services import Services
from tests.conftest import FIXTURES

ICT = timezone(timedelta(hours=7))
_INSERT_TASK = Prepared(insert(table_of(InboxTask)), columns=(
    "id", "instance_id", "process_id", "element_id", "name", "lane", "form_key", "assignee", "created_at", "due_at",
    "group_codes"))
_READ_TASK = Prepared(select(InboxTask.id, InboxTask.created_at, InboxTask.due_at, InboxTask.group_codes)
                      .where(InboxTask.id == bindparam("id")))
_EVERYONE_OFFERS = Prepared(select(TaskCandidateGroup.task_id)
                            .where(TaskCandidateGroup.group_code.in_([bindparam("code"), "*"]))
                            .order_by(TaskCandidateGroup.task_id))
_OFFER = Prepared(insert(table_of(TaskCandidateGroup)), columns=("task_id", "group_code"))


def _instance(services: Services) -> int:
    """A running case of the fixture approval process (its own inbox rows are not used here)."""
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn"]))
    return services.runtime.start("approve", data={"title": "x"})


def _row(task_id: str, instance_id: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": task_id, "instance_id": instance_id, "process_id": "p", "element_id": "e", "name": "Việc",
        "lane": None, "form_key": None, "assignee": None,
        "created_at": datetime(2026, 4, 29, 9, 30, tzinfo=ICT), "due_at": None, "group_codes": ["van_thu"]}
    row.update(changes)
    return row


def test_values_read_back_as_through_sqlalchemy(services: Services) -> None:
    instance_id = _instance(services)
    due = datetime(2026, 5, 4, 17, 0, 0, 123456, tzinfo=ICT)
    with services.db.transaction() as conn:
        _INSERT_TASK.executemany(conn, [_row("t1", instance_id, due_at=due), _row("t2", instance_id)])
    with services.db.connect() as conn:
        fast = _READ_TASK.first(conn, {"id": "t1"})
        orm = conn.execute(select(InboxTask.id, InboxTask.created_at, InboxTask.due_at, InboxTask.group_codes)
                           .where(InboxTask.id == "t1")).one()
        missing = _READ_TASK.first(conn, {"id": "nope"})
    assert fast == tuple(orm)
    assert fast is not None
    assert fast[1] == datetime(2026, 4, 29, 2, 30, tzinfo=UTC) and fast[1].tzinfo is UTC
    assert fast[2] == due and fast[3] == ["van_thu"]
    assert missing is None


def test_literal_parameters_and_rowcount(services: Services) -> None:
    instance_id = _instance(services)
    with services.db.transaction() as conn:
        _INSERT_TASK.executemany(conn, [_row("t1", instance_id), _row("t2", instance_id), _row("t3", instance_id)])
        _OFFER.executemany(conn, [{"task_id": "t1", "group_code": "*"}, {"task_id": "t2", "group_code": "van_thu"},
                                  {"task_id": "t3", "group_code": "lanh_dao"}])
        assert [r[0] for r in _EVERYONE_OFFERS.rows(conn, {"code": "van_thu"})] == ["t1", "t2"]
        gone = Prepared(delete(table_of(TaskCandidateGroup)).where(TaskCandidateGroup.task_id == bindparam("t")))
        assert gone.rowcount(conn, {"t": "t3"}) == 1
        assert gone.rowcount(conn, {"t": "t3"}) == 0


def test_driver_errors_arrive_as_sqlalchemy_errors_and_roll_back(services: Services) -> None:
    instance_id = _instance(services)
    with pytest.raises(IntegrityError, match="inbox_tasks"):
        with services.db.transaction() as conn:
            _INSERT_TASK.executemany(conn, [_row("t1", instance_id)])
            _INSERT_TASK.executemany(conn, [_row("t1", instance_id)])  # same primary key
    with services.db.connect() as conn:
        assert _READ_TASK.first(conn, {"id": "t1"}) is None  # the first insert went with the transaction


def test_a_missing_parameter_is_refused_before_the_database_sees_it(services: Services) -> None:
    instance_id = _instance(services)
    with pytest.raises(KeyError, match="group_codes"):
        with services.db.transaction() as conn:
            row = _row("t1", instance_id)
            del row["group_codes"]
            _INSERT_TASK.executemany(conn, [row])


def test_expanding_parameters_are_refused() -> None:
    statement = Prepared(select(HistoryEvent.id).where(HistoryEvent.task_id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="expanding"):
        statement._plan(sqlite.dialect())


def test_missing_values_are_stored_as_sqlalchemy_stores_them(services: Services) -> None:
    """None skips most types' processing, but not JSON's: SQLAlchemy stores a missing JSON value as 'null'."""
    instance_id = _instance(services)
    columns = ("instance_id", "at", "kind", "data", "due_at")
    row = {"instance_id": instance_id, "at": datetime(2026, 4, 29, 2, tzinfo=UTC), "data": None, "due_at": None}
    with services.db.transaction() as conn:
        Prepared(insert(table_of(HistoryEvent)), columns=columns).executemany(conn, [{**row, "kind": "fast"}])
        conn.execute(insert(table_of(HistoryEvent)), [{**row, "kind": "orm"}])
        stored = {kind: (data, due) for kind, data, due in conn.execute(text(
            "SELECT kind, CAST(data AS TEXT), due_at FROM history WHERE kind IN ('fast', 'orm')"))}
    assert stored["fast"] == stored["orm"] == ("null", None)

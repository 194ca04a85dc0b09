"""Prepared statements (the engine's hot path) behave as the same statements run through SQLAlchemy."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, create_engine, delete, event, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from engine.deployment.service import collect_sources
from engine.errors import Unavailable
from engine.persistence.base import table_of
from engine.persistence.models import HistoryEvent, InboxTask, TaskCandidateGroup
from engine.persistence.prepared import Prepared
from engine.services import Services, build_services
from engine.settings import Settings
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


# -- a lost connection ------------------------------------------------------------------------------
def _lose(services: Services, conn: Connection) -> None:
    """Lose ``conn``'s database connection the way it happens in production: on PostgreSQL its backend is
    terminated (an administrator, a server restart, a failover); SQLite has no server, so its driver
    connection is closed under SQLAlchemy's feet."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if services.db.is_sqlite:
        dbapi.close()
        return
    with services.db.engine.connect() as other:  # another pooled connection does the terminating
        assert other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"),
                             {"pid": dbapi.info.backend_pid}).scalar_one()


def _backend(conn: Connection) -> object:
    """Which database connection ``conn`` runs on (the PostgreSQL backend, or the SQLite driver object)."""
    dbapi = conn.connection.dbapi_connection
    return dbapi.info.backend_pid if hasattr(dbapi, "info") else id(dbapi)


def test_a_lost_connection_is_flagged_and_invalidated_and_the_next_transaction_gets_a_fresh_one(
        services: Services) -> None:
    instance_id = _instance(services)
    seen: list[tuple[DBAPIError, bool]] = []
    with pytest.raises(Unavailable) as raised:  # not the model's fault: the caller may try again (docs/security.md)
        with services.db.transaction() as conn:
            lost = _backend(conn)
            _lose(services, conn)
            try:
                _INSERT_TASK.executemany(conn, [_row("t1", instance_id)])
            except DBAPIError as exc:
                seen.append((exc, conn.invalidated))
                raise
    [(error, invalidated)] = seen
    assert error.connection_invalidated and invalidated  # at once, as Connection.execute does
    assert raised.value.__cause__ is error and error.statement is not None  # not an error of the rollback after it
    with services.db.transaction() as conn:
        assert _backend(conn) != lost
        _INSERT_TASK.executemany(conn, [_row("t1", instance_id)])
        assert _READ_TASK.first(conn, {"id": "t1"}) is not None


def test_a_step_that_lost_its_connection_can_be_done_again(services: Services) -> None:
    """Between two steps the server drops the connection a step is about to use; the step fails with a
    disconnect error and nothing half-done, and the same step then succeeds on a fresh connection."""
    instance_id = _instance(services)
    task = services.queries.tasks(instance_id=instance_id)[0]
    # after the pool's pre-ping, so that the step's own first statement (a prepared one) meets the loss
    event.listen(services.db.engine, "begin", lambda conn: _lose(services, conn), once=True)
    with pytest.raises(Unavailable) as raised:
        services.runtime.complete_task(task.id, user="chanhvp", data={"approved": True})
    lost = raised.value.__cause__
    assert isinstance(lost, DBAPIError) and lost.connection_invalidated
    assert lost.statement is not None and "inbox_tasks" in lost.statement  # the step's own
    assert services.queries.tasks(instance_id=instance_id)[0].id == task.id  # still open: nothing was kept
    services.runtime.complete_task(task.id, user="chanhvp", data={"approved": True})
    assert all(t.id != task.id for t in services.queries.tasks(instance_id=instance_id))


# -- echo ---------------------------------------------------------------------------------------------
def test_statements_are_logged_when_sqlalchemy_would_log_its_own(
        services: Services, caplog: pytest.LogCaptureFixture) -> None:
    instance_id = _instance(services)
    caplog.set_level(logging.WARNING, logger="sqlalchemy.engine")
    with services.db.transaction() as conn:
        _INSERT_TASK.executemany(conn, [_row("t0", instance_id)])
    assert not caplog.records  # echo off: the hot path stays quiet
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # as a logging configuration may ask
    with services.db.transaction() as conn:
        _INSERT_TASK.executemany(conn, [_row("t1", instance_id), _row("t2", instance_id)])
        _READ_TASK.first(conn, {"id": "t1"})
    logged = [(r.name, r.getMessage()) for r in caplog.records]
    assert all(name.startswith("sqlalchemy.engine") for name, _ in logged)
    messages = [message for _, message in logged]
    insert_at = next(i for i, m in enumerate(messages) if m.startswith("INSERT INTO inbox_tasks"))
    assert messages[insert_at + 1].startswith("[prepared, 2 rows]") and "'t2'" in messages[insert_at + 1]
    select_at = next(i for i, m in enumerate(messages) if m.startswith("SELECT inbox_tasks.id"))
    assert messages[select_at + 1].startswith("[prepared]") and "'t1'" in messages[select_at + 1]
    assert messages[-1] == "COMMIT"  # SQLAlchemy's own lines, in their place


def test_the_sql_echo_setting_turns_on_the_engines_echo(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    assert Settings.from_env({"PROCFLOW_SQL_ECHO": "1"}).sql_echo
    assert not Settings.from_env({}).sql_echo
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    handlers = list(engine_logger.handlers)
    echoing = build_services(Settings(database_url=settings.database_url, home=settings.home, sql_echo=True))
    try:
        assert echoing.db.engine.echo
        with echoing.db.connect() as conn:
            _READ_TASK.first(conn, {"id": "nope"})
    finally:
        echoing.close()
        engine_logger.handlers[:] = handlers  # echo adds a handler printing to standard output
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("SELECT inbox_tasks.id") for m in messages)
    assert any(m.startswith("[prepared]") and "'nope'" in m for m in messages)


def test_hidden_parameters_stay_hidden(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    engine = create_engine(settings.database_url, hide_parameters=True)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    try:
        with engine.connect() as conn:
            _READ_TASK.first(conn, {"id": "secret"})
    finally:
        engine.dispose()
    assert not any("secret" in r.getMessage() for r in caplog.records)
    assert any(r.getMessage() == "[prepared] [SQL parameters hidden due to hide_parameters=True]"
               for r in caplog.records)

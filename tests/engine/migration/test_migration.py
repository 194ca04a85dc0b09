"""Migrating running cases between versions of a process: plans checked, cases moved with their inbox rows,
timers and history, one transaction per case (SQLite by default, PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.errors import InvalidInput, InvalidState
from engine.persistence.models import HistoryEvent, Timer
from engine.services import Services
from tests.conftest import FIXTURES, T0

MIGRATION = FIXTURES / "migration"


@pytest.fixture
def agency(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([MIGRATION / "v1.bpmn"]))
    return services


def deploy(services: Services, name: str) -> int:
    (deployed,) = services.deployment.deploy(collect_sources([MIGRATION / name]))
    return deployed.version


def start(services: Services, path: str) -> int:
    return services.runtime.start("ho_so", data={"path": path})


def open_tasks(services: Services, instance_id: int) -> list[str]:
    return sorted(t.element_id for t in services.queries.tasks(instance_id=instance_id))


def version_of(services: Services, instance_id: int) -> int:
    return services.queries.instance(instance_id).version


def pending_bpmn_timers(services: Services, instance_id: int) -> list[tuple[str | None, object]]:
    with services.db.read() as session:
        rows = session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.kind == "bpmn",
                                                   Timer.status == "pending")).all()
        return [(r.element_id, r.due_at) for r in rows]


def history_kinds(services: Services, instance_id: int) -> list[str]:
    return [h.kind for h in services.queries.history(instance_id)]


def complete(services: Services, instance_id: int, element_id: str, user: str = "chuyenvien") -> None:
    task = next(t for t in services.queries.tasks(instance_id=instance_id) if t.element_id == element_id)
    services.runtime.complete_task(task.id, user=user, data={})


def test_cases_at_a_user_task_a_timer_and_in_a_sub_process_move_and_run_on(agency: Services,
                                                                          clock: VirtualClock) -> None:
    at_review, at_timer, in_sub = start(agency, "review"), start(agency, "wait"), start(agency, "sub")
    review_task = agency.queries.tasks(instance_id=at_review)[0].id
    assert pending_bpmn_timers(agency, at_timer) == [("wait", T0 + timedelta(hours=2))]
    deploy(agency, "v2.bpmn")
    clock.advance(timedelta(minutes=10))
    plan = agency.migrations.plan("ho_so", 1, 2)
    assert plan.valid, plan.problems
    assert plan.cases == [at_review, at_timer, in_sub]
    assert {line.source: line.cases for line in plan.lines if line.cases} == {"review": 1, "wait": 1, "sub": 1,
                                                                              "check": 1}
    dry = agency.migrations.dry_run(plan)
    assert [r.status for r in dry] == ["ready"] * 3
    assert version_of(agency, at_review) == 1  # a dry run writes nothing

    run = agency.migrations.get(agency.migrations.start(plan, user="quantri"))
    assert (run.status, run.total, run.migrated, run.failed) == ("done", 3, 3, 0)
    assert [version_of(agency, i) for i in (at_review, at_timer, in_sub)] == [2, 2, 2]
    # The open task keeps its id (claims, links and history still name it); the timer follows its new definition,
    # counted from the migration (PT2H became PT1H).
    assert agency.queries.tasks(instance_id=at_review)[0].id == review_task
    assert pending_bpmn_timers(agency, at_timer) == [("wait", T0 + timedelta(minutes=70))]
    assert open_tasks(agency, in_sub) == ["check"]
    for case in (at_review, at_timer, in_sub):
        assert history_kinds(agency, case)[-1] == "migrated"
    moved = next(h for h in agency.queries.history(at_review) if h.kind == "migrated")
    assert moved.data["from_version"] == 1 and moved.data["to_version"] == 2
    assert moved.data["moves"] == [{"task_id": review_task, "from": "review", "to": "review"}]

    # They run on in the new version: the approval task is the one version 2 names.
    complete(agency, at_review, "review")
    complete(agency, in_sub, "check")
    clock.advance(timedelta(hours=1))
    agency.timers.fire_due()
    for case in (at_review, at_timer, in_sub):
        (task,) = agency.queries.tasks(instance_id=case)
        assert (task.element_id, task.name) == ("approve", "Approve (v2)")


def test_renamed_elements_move_with_an_explicit_mapping(agency: Services) -> None:
    at_review, in_sub = start(agency, "review"), start(agency, "sub")
    deploy(agency, "v3_renamed.bpmn")
    refused = agency.migrations.plan("ho_so", 1, 2)
    assert not refused.valid
    assert {p.element_id for p in refused.problems} == {"review", "check"}
    assert "map it with OLD=NEW" in str(refused.problems[0].message)
    with pytest.raises(InvalidState, match="refused"):
        agency.migrations.start(refused)

    plan = agency.migrations.plan("ho_so", 1, 2, mapping={"review": "examine", "check": "verify"})
    assert plan.valid, plan.problems
    run = agency.migrations.get(agency.migrations.start(plan))
    assert (run.migrated, run.failed) == (2, 0)
    assert open_tasks(agency, at_review) == ["examine"]
    assert open_tasks(agency, in_sub) == ["verify"]
    complete(agency, in_sub, "verify")
    assert open_tasks(agency, in_sub) == ["approve"]


def test_a_plan_mapping_into_another_kind_or_a_missing_id_is_refused(agency: Services) -> None:
    start(agency, "review")
    start(agency, "wait")
    deploy(agency, "v4_kinds.bpmn")
    plan = agency.migrations.plan("ho_so", 1, 2)
    problems = {p.element_id: str(p.message) for p in plan.problems}
    assert set(problems) == {"review", "wait"}
    assert "UserTask" in problems["review"] and "ScriptTask" in problems["review"]
    assert "timer" in problems["wait"] and "message" in problems["wait"]
    missing = agency.migrations.plan("ho_so", 1, 2, mapping={"nowhere": "review", "approve": "gone"})
    assert {str(p.message) for p in missing.problems} >= {"no element nowhere in version 1",
                                                          "no element gone in version 2"}
    moved_out = agency.migrations.plan("ho_so", 1, 2, mapping={"check": "approve"})  # out of its sub-process
    assert "check is in sub but approve in version 2 is in ho_so" in {str(p.message) for p in moved_out.problems}
    with pytest.raises(InvalidInput):
        agency.migrations.plan("ho_so", 1, 1)


def test_only_the_named_cases_move_and_one_failing_case_stops_nothing(agency: Services) -> None:
    first, broken, last, untouched = (start(agency, "review") for _ in range(4))
    deploy(agency, "v2.bpmn")
    plan = agency.migrations.plan("ho_so", 1, 2, cases=[first, broken, last])
    assert plan.cases == [first, broken, last]
    agency.runtime.terminate(broken, user="quantri")  # ended between the plan and the run
    run = agency.migrations.get(agency.migrations.start(plan))
    assert (run.status, run.migrated, run.failed) == ("done", 2, 1)
    assert {c.instance_id: c.status for c in run.cases} == {first: "migrated", broken: "failed", last: "migrated"}
    assert "no longer a live case" in next(c for c in run.cases if c.instance_id == broken).message
    assert [version_of(agency, i) for i in (first, broken, last, untouched)] == [2, 1, 2, 1]
    with pytest.raises(InvalidInput):
        agency.migrations.plan("ho_so", 1, 2, cases=[first])  # already moved


def test_a_migrated_history_stays_a_valid_chain(agency: Services) -> None:
    case = start(agency, "review")
    deploy(agency, "v2.bpmn")
    agency.migrations.start(agency.migrations.plan("ho_so", 1, 2))
    with agency.db.read() as session:
        kinds = session.scalars(select(HistoryEvent.kind).where(HistoryEvent.instance_id == case)
                                .order_by(HistoryEvent.id)).all()
    assert kinds[-1] == "migrated"
    assert agency.verifier.verify().intact


def test_a_task_with_a_boundary_timer_keeps_its_task_and_gets_the_new_timer(services: Services,
                                                                             clock: VirtualClock) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "timers.bpmn"]))
    case = services.runtime.start("timed")
    task = services.queries.tasks(instance_id=case)[0].id
    assert pending_bpmn_timers(services, case) == [("late", T0 + timedelta(hours=1))]
    services.deployment.deploy(collect_sources([MIGRATION / "timed_v2.bpmn"]))
    clock.advance(timedelta(minutes=5))
    plan = services.migrations.plan("timed", 1, 2)
    assert plan.valid, plan.problems
    run = services.migrations.get(services.migrations.start(plan))
    assert (run.migrated, run.failed) == (1, 0), run.cases
    assert [t.id for t in services.queries.tasks(instance_id=case)] == [task]
    assert pending_bpmn_timers(services, case) == [("late", T0 + timedelta(minutes=35))]
    clock.advance(timedelta(minutes=30))
    services.timers.fire_due()
    (escalated,) = services.queries.tasks(instance_id=case)
    assert (escalated.element_id, escalated.name) == ("escalated", "Escalated (v2)")


def test_a_message_wait_follows_the_new_message_name(services: Services) -> None:
    services.deployment.deploy(collect_sources([FIXTURES / "message.bpmn"]))
    case = services.runtime.start("transfer")
    services.deployment.deploy(collect_sources([MIGRATION / "transfer_v2.bpmn"]))
    plan = services.migrations.plan("transfer", 1, 2)
    assert [(line.source, line.cases) for line in plan.lines if line.cases] == [("wait_confirmation", 1)]
    assert services.migrations.get(services.migrations.start(plan)).migrated == 1
    with pytest.raises(InvalidState):
        services.runtime.send_message("xac_nhan_tiep_nhan", instance_id=case)
    services.runtime.send_message("xac_nhan_moi")  # routed by name: the subscription followed too
    assert services.queries.instance(case).status == "completed"


def test_a_claimed_task_whose_settings_changed_is_recomputed_and_stays_with_its_holder(agency: Services) -> None:
    case = start(agency, "review")
    (task,) = agency.queries.tasks(instance_id=case)
    assert task.due_at is None
    agency.work.claim(task.id, "chuyenvien")
    deploy(agency, "v5_groups.bpmn")
    agency.migrations.start(agency.migrations.plan("ho_so", 1, 2))
    (after,) = agency.queries.tasks(instance_id=case)
    assert (after.id, after.name, after.assignee) == (task.id, "Review by a specialist", "chuyenvien")
    assert after.due_at is not None  # the new version's deadline, counted from the migration
    created = [h for h in agency.queries.history(case) if h.kind == "task_created"]
    assert len(created) == 2


def test_a_renamed_task_brings_its_boundary_events_along(services: Services, clock: VirtualClock) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "timers.bpmn"]))
    case = services.runtime.start("timed")
    services.deployment.deploy(collect_sources([MIGRATION / "timed_v3_renamed.bpmn"]))
    assert not services.migrations.plan("timed", 1, 2).valid
    plan = services.migrations.plan("timed", 1, 2, mapping={"handle": "xu_ly"})
    assert plan.valid, plan.problems
    assert services.migrations.get(services.migrations.start(plan)).migrated == 1
    assert open_tasks(services, case) == ["xu_ly"]
    assert pending_bpmn_timers(services, case) == [("late", T0 + timedelta(hours=1))]  # unchanged: kept
    complete(services, case, "xu_ly")
    assert pending_bpmn_timers(services, case) == [("wait_day", T0 + timedelta(days=1))]


def test_a_case_waiting_inside_a_called_process_moves_with_its_mappings(services: Services) -> None:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "camunda_io" / "c7_request.bpmn"]))
    case = services.runtime.start("c7_request", data={"amount": 250, "urgent": False})
    services.deployment.deploy(collect_sources([MIGRATION / "c7_request_v2.bpmn"]))
    plan = services.migrations.plan("c7_request", 1, 2)
    assert {line.source for line in plan.lines if line.cases} == {"call_check", "check"}
    assert services.migrations.get(services.migrations.start(plan)).migrated == 1
    (check,) = services.queries.tasks(instance_id=case)
    services.runtime.complete_task(check.id, user="chuyenvien", data={"verdict": "ok"})
    (task,) = services.queries.tasks(instance_id=case)
    assert (task.element_id, task.name) == ("decide", "Decide (v2)")
    assert services.queries.instance(case).data["ket_qua"] == "ok"  # camunda:out still applied


def test_a_batch_run_twice_moves_nothing_twice(agency: Services) -> None:
    case = start(agency, "review")
    deploy(agency, "v2.bpmn")
    migration_id = agency.migrations.start(agency.migrations.plan("ho_so", 1, 2))
    assert agency.migrations.run_batch(migration_id, [case]) == {"migrated": 0, "failed": 0}  # a retried job
    run = agency.migrations.get(migration_id)
    assert (run.migrated, run.failed) == (1, 0)
    assert history_kinds(agency, case).count("migrated") == 1


def test_an_element_of_another_kind_where_no_case_is_does_not_refuse_the_plan(agency: Services) -> None:
    start(agency, "sub")  # nobody at review or wait, which version 2 redraws as a script task and a message wait
    deploy(agency, "v4_kinds.bpmn")
    plan = agency.migrations.plan("ho_so", 1, 2)
    assert plan.valid, plan.problems
    assert agency.migrations.get(agency.migrations.start(plan)).migrated == 1


def test_a_renamed_sub_process_carries_the_case_waiting_inside_it(agency: Services) -> None:
    case = start(agency, "sub")
    deploy(agency, "v6_sub_renamed.bpmn")
    assert "sub" in {p.element_id for p in agency.migrations.plan("ho_so", 1, 2).problems}
    plan = agency.migrations.plan("ho_so", 1, 2, mapping={"sub": "kiem_tra"})
    assert plan.valid, plan.problems
    assert agency.migrations.get(agency.migrations.start(plan)).migrated == 1
    complete(agency, case, "check")
    assert open_tasks(agency, case) == ["approve"]
    moved = next(h for h in agency.queries.history(case) if h.kind == "migrated")
    assert {"from": "sub", "to": "kiem_tra"} in [{k: m[k] for k in ("from", "to")} for m in moved.data["moves"]]

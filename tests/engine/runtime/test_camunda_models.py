"""Models drawn the Camunda way run as they are: a Camunda 7 model (JUEL, camunda:decisionRef) and a Camunda 8
model (FEEL, zeebe:calledDecision), deployed, started and driven through the Runtime, with their DMN tables and
their unquoted ISO 8601 timers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.persistence.models import Timer
from engine.services import Services
from tests.conftest import FIXTURES, T0


@pytest.fixture
def agency(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "camunda7", FIXTURES / "camunda8"]))
    return services


def open_tasks(services: Services, instance_id: int) -> list[str]:
    return sorted(t.element_id for t in services.queries.tasks(instance_id=instance_id))


def complete(services: Services, instance_id: int, element_id: str, user: str, **data: object) -> None:
    task = next(t for t in services.queries.tasks(instance_id=instance_id) if t.element_id == element_id)
    services.runtime.complete_task(task.id, user=user, data=dict(data))


def pending_timers(services: Services, instance_id: int) -> list[tuple[str, object]]:
    with services.db.read() as session:
        rows = session.scalars(select(Timer).where(Timer.instance_id == instance_id,
                                                   Timer.kind == "bpmn", Timer.status == "pending")).all()
        return [(r.element_id, r.due_at) for r in rows]


# -- Camunda 7 ------------------------------------------------------------------------------------
def test_camunda7_an_urgent_approved_document_goes_to_signing_with_hours_from_the_feel_table(
        agency: Services) -> None:
    instance_id = agency.runtime.start("c7_review", data={"urgency": "khan", "pages": 12})
    assert open_tasks(agency, instance_id) == ["review"]
    assert [(element, when) for element, when in pending_timers(agency, instance_id)] == [
        ("Event_hour", T0 + timedelta(hours=1))]  # PT1H, unquoted as Camunda Modeler writes it
    complete(agency, instance_id, "review", "bithu", approved=True)
    assert open_tasks(agency, instance_id) == ["sign"]
    # camunda:resultVariable="hours": the FIRST table's list "khan","thuong_khan" and range [1..50) matched.
    assert agency.queries.instance(instance_id).data["hours"] == 8


@pytest.mark.parametrize(("data", "after_review"), [
    ({"urgency": "thuong", "pages": 3, "approved": True}, ["file"]),
    ({"urgency": "khan", "pages": 3, "approved": False}, []),
    ({"urgency": "hoa_toc", "pages": 3, "approved": True}, ["sign"]),
])
def test_camunda7_each_juel_condition_picks_its_branch(agency: Services, data: dict[str, object],
                                                       after_review: list[str]) -> None:
    approved = data.pop("approved")
    instance_id = agency.runtime.start("c7_review", data=data)
    complete(agency, instance_id, "review", "bithu", approved=approved)
    assert open_tasks(agency, instance_id) == after_review


# -- Camunda 8 ------------------------------------------------------------------------------------
def test_camunda8_a_high_payment_is_countersigned_then_paid(agency: Services) -> None:
    instance_id = agency.runtime.start("c8_payment", data={"amount": 75000, "paid_on": "2026-05-01", "note": "ok"})
    assert agency.queries.instance(instance_id).data["level"] == "high"  # zeebe:calledDecision resultVariable
    assert open_tasks(agency, instance_id) == ["approve"]
    assert pending_timers(agency, instance_id) == [("Event_hour", T0 + timedelta(hours=1))]
    complete(agency, instance_id, "approve", "bithu", approved=True)
    assert open_tasks(agency, instance_id) == ["countersign"]
    complete(agency, instance_id, "countersign", "chanhvp")
    assert open_tasks(agency, instance_id) == ["pay"]


@pytest.mark.parametrize(("data", "after_approval"), [
    ({"amount": 999.5, "note": "pay now"}, ["pay"]),  # < 1000: low
    ({"amount": 1000, "note": "pay now"}, ["pay"]),  # [1000..50000): medium
    ({"amount": 1000, "note": "on hold"}, []),  # not(contains(upper case(note), "HOLD")) is false
    ({"amount": 1000}, []),  # no note: null, and null is false in a condition
])
def test_camunda8_each_feel_condition_picks_its_branch(agency: Services, data: dict[str, object],
                                                       after_approval: list[str]) -> None:
    instance_id = agency.runtime.start("c8_payment", data=data)
    complete(agency, instance_id, "approve", "bithu", approved=True)
    assert open_tasks(agency, instance_id) == after_approval
    if not after_approval:
        assert agency.queries.instance(instance_id).status == "completed"


def test_camunda8_the_timer_fires_an_hour_later(agency: Services, clock: VirtualClock) -> None:
    instance_id = agency.runtime.start("c8_payment", data={"amount": 10})
    with agency.db.read() as session:
        row = session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.kind == "bpmn")).one()
        timer_id = row.id
    assert agency.timers.fire(timer_id) == "early"
    clock.advance(timedelta(hours=1))
    assert agency.timers.fire(timer_id) == "fired"
    assert open_tasks(agency, instance_id) == ["approve", "remind"]  # the reminder does not interrupt

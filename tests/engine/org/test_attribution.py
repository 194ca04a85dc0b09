"""Lateness belongs to whoever holds the work: one rule for the managers' figures, the alerts and the record."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.analytics.periods import Period
from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.org.attribution import GroupUnits, alert_head, responsible_unit
from engine.persistence.models import InboxTask, Notification
from engine.services import Services
from tests.conftest import FIXTURES


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.fixture
def agency(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")  # TU > VP > PTH; chuyen_vien's members are all in PTH
    services.deployment.deploy(collect_sources([FIXTURES / "deadlines.bpmn"]))  # one task for chuyen_vien
    return services


def test_a_group_counts_for_the_smallest_unit_holding_all_its_active_members(agency: Services) -> None:
    with agency.db.connect() as conn:
        units = GroupUnits(conn)
        assert units.unit_of(["chuyen_vien"]) == "PTH"
        assert units.unit_of(["van_thu"]) == "VP"
        assert units.unit_of(["lanh_dao"]) == "TU"  # bithu (TU) and chanhvp (VP): the agency
        assert units.unit_of(["user:chuyenvien"]) == "PTH"  # an offer to one person: theirs
        assert units.unit_of(["nhom_khong_co", "van_thu"]) == "VP"  # a group without members gives way
        assert units.unit_of([]) is None and units.unit_of(["*"]) is None
        # the holder's unit first; the group's while nobody holds it; the case's only as the last resort
        assert responsible_unit(conn, "vanthu", "PTH", "TU") == "VP"
        assert responsible_unit(conn, None, "PTH", "VP") == "PTH"
        assert responsible_unit(conn, None, None, "VP") == "VP"
        assert alert_head(conn, None, "PTH", "VP") == "truongphong"
        assert alert_head(conn, "truongphong", None, "VP") == "chanhvp"  # a head is not told of their own lateness


def test_an_unassigned_task_counts_for_its_groups_unit_not_the_case_unit(agency: Services) -> None:
    # The clerk (VP) starts the case; the task is the specialists' (PTH) until someone takes it.
    case = agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    task = agency.queries.tasks(instance_id=case)[0]
    with agency.db.read() as session:
        row = session.get_one(InboxTask, task.id)
        assert (row.case_unit_code, row.group_unit_code) == ("VP", "PTH")
    agency.clock.set(at("2026-05-05T10:00:00+07:00"))  # overdue
    found = agency.analytics.deadlines_now("bithu")
    (shown,) = [t for t in found.tasks if t.task_id == task.id]
    assert shown.unit_code == "PTH"
    assert {g.key: g.overdue for g in found.units} == {"PTH": 1}
    assert agency.analytics.deadlines_now("chanhvp", unit="PTH").overdue == 1
    agency.analytics.reassign("bithu", task.id, "vanthu")  # now the clerk (VP) holds it: VP's
    assert {g.key for g in agency.analytics.deadlines_now("bithu").units} == {"VP"}


def test_the_overdue_alert_goes_to_the_head_of_the_unit_that_holds_the_work(agency: Services,
                                                                             clock: VirtualClock) -> None:
    agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    clock.set(at("2026-05-05T09:00:00+07:00"))
    agency.timers.fire_due()
    with agency.db.read() as session:
        told = [n.username for n in session.scalars(select(Notification).where(Notification.kind == "escalation"))]
    assert told == ["truongphong"]  # head of PTH, not chanhvp (head of the clerk's unit VP)


def test_the_on_time_record_counts_a_late_task_for_whoever_completed_it(agency: Services,
                                                                        clock: VirtualClock) -> None:
    case = agency.runtime.start("deadlines", data={"urgency": "thuong"}, user="vanthu")
    task = agency.queries.tasks(instance_id=case)[0]
    clock.set(at("2026-05-06T10:00:00+07:00"))
    agency.runtime.complete_task(task.id, user="chuyenvien")
    record = agency.analytics.on_time_record("bithu", Period.month(2026, 5))
    assert {(r.key, r.late) for r in record.units} == {("PTH", 1)}
    assert {(r.key, r.late) for r in record.people} == {("chuyenvien", 1)}

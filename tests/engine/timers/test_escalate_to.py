"""``procflow:escalateTo``: an overdue task goes to whom the model names, resolved when its timer fires."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.org.service import read_org_file
from engine.persistence.models import Notification
from engine.services import Services
from tests.conftest import FIXTURES

MODEL = FIXTURES / "escalate_to.bpmn"
ASSIGNEE = "chuyenvien"  # unit PTH: today's rule escalates to its head, truongphong
LEADERS = ["bithu", "chanhvp"]  # group lanh_dao


@pytest.fixture
def agency(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([MODEL]))
    return services


def start(services: Services, process_id: str = "escalate_to", **data: Any) -> int:
    return services.runtime.start(process_id, data={"don_vi": "TU", "nguoi_theo_doi": "vanthu", **data},
                                  user="vanthu")


def variant(services: Services, tmp_path: Path, process_id: str, old: str, new: str) -> None:
    """Deploy the fixture as another process with one attribute value replaced."""
    path = tmp_path / f"{process_id}.bpmn"
    text = MODEL.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace('id="escalate_to"', f'id="{process_id}"').replace(old, new), encoding="utf-8")
    services.deployment.deploy(collect_sources([path]))


def told(services: Services, instance_id: int, kind: str) -> dict[str, list[str]]:
    """Who got a notification of ``kind``, by the element of the task it is about."""
    elements = {t.id: t.element_id for t in services.queries.tasks(instance_id=instance_id)}
    found: dict[str, list[str]] = defaultdict(list)
    with services.db.read() as session:
        for note in session.scalars(select(Notification).where(Notification.kind == kind)
                                    .order_by(Notification.username)):
            found[elements[note.task_id]].append(note.username)
    return dict(found)


def history(services: Services, instance_id: int, kind: str) -> dict[str, dict[str, Any]]:
    """The data of each history event of ``kind``, by element."""
    return {h.element_id: h.data for h in services.queries.history(instance_id) if h.kind == kind}


def assignees(services: Services, instance_id: int) -> dict[str, str | None]:
    return {t.element_id: t.assignee for t in services.queries.tasks(instance_id=instance_id)}


def overdue(services: Services, clock: VirtualClock, hours: int = 1) -> int:
    clock.advance(timedelta(hours=hours))
    return services.timers.fire_due()


def test_each_form_escalates_to_whom_it_names(agency: Services, clock: VirtualClock) -> None:
    instance_id = start(agency)
    assert overdue(agency, clock) == 7
    assert told(agency, instance_id, "escalation") == {
        "to_user": ["chanhvp"], "to_head": ["chanhvp"], "to_unit_in_data": ["bithu"],
        "to_person_in_data": ["vanthu"], "to_group": LEADERS, "to_property": ["bithu"], "plain": ["truongphong"]}
    escalated = history(agency, instance_id, "escalated")
    assert escalated["to_unit_in_data"] == {"to": "bithu", "assignee": ASSIGNEE, "escalate_to": "head:${don_vi}",
                                            "fallback": False}
    assert escalated["to_group"] == {"to": LEADERS, "assignee": ASSIGNEE, "escalate_to": "group:lanh_dao",
                                     "group": "lanh_dao", "fallback": False}
    assert escalated["to_property"]["escalate_to"] == "head:TU"  # a Camunda extension property
    # a task without the attribute: exactly as before
    assert escalated["plain"] == {"to": "truongphong", "assignee": ASSIGNEE}


def test_reassignment_goes_to_the_one_person_named_and_a_group_is_only_told(agency: Services,
                                                                            clock: VirtualClock) -> None:
    instance_id = start(agency)
    overdue(agency, clock)
    assert overdue(agency, clock) == 7
    assert assignees(agency, instance_id) == {
        "to_user": "chanhvp", "to_head": "chanhvp", "to_unit_in_data": "bithu", "to_person_in_data": "vanthu",
        "to_group": ASSIGNEE, "to_property": "bithu", "plain": "truongphong"}
    assert "to_group" not in told(agency, instance_id, "reassigned")
    assert history(agency, instance_id, "reassigned")["to_person_in_data"] == {
        "from": ASSIGNEE, "to": "vanthu", "escalate_to": "${nguoi_theo_doi}", "fallback": False}
    assert history(agency, instance_id, "reassigned")["plain"] == {"from": ASSIGNEE, "to": "truongphong"}
    skipped = history(agency, instance_id, "reassign_skipped")
    assert list(skipped) == ["to_group"]
    assert skipped["to_group"]["reason"] == ("procflow:escalateTo names the group lanh_dao: its members are told, "
                                             "nobody is given the task")


@pytest.mark.parametrize(("data", "element", "reason"), [
    ({"nguoi_theo_doi": ""}, "to_person_in_data", "variable nguoi_theo_doi is empty"),
    ({"nguoi_theo_doi": None}, "to_person_in_data", "variable nguoi_theo_doi is empty"),
    ({"nguoi_theo_doi": "khong_ai"}, "to_person_in_data", "no active user 'khong_ai'"),
    ({"don_vi": "BAN_TC"}, "to_unit_in_data", "no unit 'BAN_TC' with a head"),
], ids=["empty", "none", "unknown-user", "unknown-unit"])
def test_when_the_data_names_nobody_the_head_of_the_assignees_unit_is_used_and_it_is_recorded(
        agency: Services, clock: VirtualClock, data: dict[str, Any], element: str, reason: str) -> None:
    instance_id = start(agency, **data)
    overdue(agency, clock)
    assert told(agency, instance_id, "escalation")[element] == ["truongphong"]
    assert history(agency, instance_id, "escalated")[element] == {
        "to": "truongphong", "assignee": ASSIGNEE, "escalate_to": MODEL_VALUES[element], "fallback": True,
        "fallback_reason": reason}
    overdue(agency, clock)
    assert assignees(agency, instance_id)[element] == "truongphong"
    assert history(agency, instance_id, "reassigned")[element]["fallback_reason"] == reason


MODEL_VALUES = {"to_person_in_data": "${nguoi_theo_doi}", "to_unit_in_data": "head:${don_vi}"}


def test_a_group_without_members_falls_back_and_the_task_is_given_to_the_head(agency: Services, clock: VirtualClock,
                                                                              tmp_path: Path) -> None:
    agency.org.import_structure({"groups": [{"code": "to_trong", "name": "Tổ trống"}]})
    variant(agency, tmp_path, "empty_group", 'procflow:escalateTo="group:lanh_dao"',
            'procflow:escalateTo="group:to_trong"')
    instance_id = start(agency, "empty_group")
    overdue(agency, clock)
    assert told(agency, instance_id, "escalation")["to_group"] == ["truongphong"]
    assert history(agency, instance_id, "escalated")["to_group"]["fallback_reason"] == (
        "group 'to_trong' has no active member")
    overdue(agency, clock)
    assert assignees(agency, instance_id)["to_group"] == "truongphong"


def test_a_malformed_value_is_deployed_and_falls_back_when_it_fires(agency: Services, clock: VirtualClock,
                                                                    tmp_path: Path) -> None:
    variant(agency, tmp_path, "malformed", 'procflow:escalateTo="chanhvp"',
            'procflow:escalateTo="role:chanh_van_phong"')
    instance_id = start(agency, "malformed")
    overdue(agency, clock)
    assert told(agency, instance_id, "escalation")["to_user"] == ["truongphong"]
    assert history(agency, instance_id, "escalated")["to_user"]["fallback_reason"].startswith(
        "procflow:escalateTo 'role:chanh_van_phong' is not a username, ${variable}, head:<unit>")


def test_a_value_naming_the_assignee_tells_them_and_gives_the_task_to_nobody_else(agency: Services,
                                                                                 clock: VirtualClock) -> None:
    instance_id = start(agency, nguoi_theo_doi=ASSIGNEE)
    overdue(agency, clock)
    assert told(agency, instance_id, "escalation")["to_person_in_data"] == [ASSIGNEE]
    overdue(agency, clock)
    assert assignees(agency, instance_id)["to_person_in_data"] == ASSIGNEE
    assert history(agency, instance_id, "reassign_skipped")["to_person_in_data"] == {
        "reason": "procflow:escalateTo names chuyenvien, who has the task already",
        "escalate_to": "${nguoi_theo_doi}", "fallback": False}


def test_whom_the_expression_names_is_decided_when_the_timer_fires(agency: Services, clock: VirtualClock) -> None:
    instance_id = start(agency)
    org = read_org_file(FIXTURES / "org.yaml")
    org["units"][0]["head"] = "chanhvp"  # Tỉnh ủy gets another head after the task opened
    agency.org.import_structure(org)
    overdue(agency, clock)
    escalations = told(agency, instance_id, "escalation")
    assert escalations["to_property"] == escalations["to_unit_in_data"] == ["chanhvp"]

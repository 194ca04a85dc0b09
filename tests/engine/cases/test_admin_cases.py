"""The administrators' list of cases: only for administrators, by status and procedure, newest change first."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.services import Services
from tests.conftest import FIXTURES

ADMIN = "quantri"


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.org.import_structure({"groups": [{"code": "quan_tri", "name": "Quản trị hệ thống"}],
                                   "users": [{"username": ADMIN, "full_name": "Đinh Văn Trị", "groups": ["quan_tri"]}]})
    services.deployment.deploy(collect_sources([FIXTURES / "approve.bpmn", FIXTURES / "failing_script.bpmn"]))
    return services


def fail(services: Services) -> int:
    instance_id = services.runtime.start("failing", business_key="CV-0")
    task = services.queries.tasks(instance_id=instance_id)[0]
    services.runtime.complete_task(task.id, user="chuyenvien", data={"divisor": 0})
    return instance_id


def test_failed_cases_with_where_they_stopped(org: Services, clock: VirtualClock) -> None:
    failed = fail(org)
    clock.advance(timedelta(minutes=5))
    running = org.runtime.start("approve", data={"title": "Công văn 12"})
    clock.advance(timedelta(minutes=5))
    other = fail(org)
    page = org.admin.cases(ADMIN)
    assert [r.id for r in page.rows] == [other, failed] and page.total == 2
    row = page.rows[1]
    assert (row.process_id, row.business_key, row.status, row.error_element) == ("failing", "CV-0", "error", "divide")
    assert "ZeroDivisionError" in (row.error_message or "") and (row.version, row.upgradable) == (1, False)
    assert page.counts == {"error": 2, "running": 1}
    everything = org.admin.cases(ADMIN, status=None)
    assert [r.id for r in everything.rows] == [other, running, failed] and everything.total == 3
    assert [r.id for r in org.admin.cases(ADMIN, status=None, process_id="approve").rows] == [running]
    assert org.admin.cases(ADMIN, status=None, process_id="approve").counts == {"running": 1}
    second = org.admin.cases(ADMIN, status=None, page=2, per_page=2)
    assert [r.id for r in second.rows] == [failed] and second.total == 3
    org.runtime.retry(failed, data={"divisor": 5}, user=ADMIN)  # the newest change comes first
    assert [r.id for r in org.admin.cases(ADMIN, status="running").rows] == [failed, running]
    assert org.admin.case(ADMIN, failed).status == "running"


def test_only_administrators_and_valid_requests(org: Services) -> None:
    fail(org)
    for user in ("bithu", "chanhvp", "ghost"):
        with pytest.raises(PermissionDenied):
            org.admin.cases(user)
        with pytest.raises(PermissionDenied):
            org.admin.case(user, 1)
    with pytest.raises(InvalidInput, match="unknown status"):
        org.admin.cases(ADMIN, status="lost")
    with pytest.raises(InvalidInput):
        org.admin.cases(ADMIN, page=0)
    with pytest.raises(NotFound):
        org.admin.case(ADMIN, 424242)

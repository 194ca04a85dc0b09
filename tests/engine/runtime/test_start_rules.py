"""Rules a process declares about its start, and yearly running numbers taken by scripts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.errors import Conflict, InvalidInput
from engine.services import Services
from tests.conftest import FIXTURES

DOC = {"so_ky_hieu": "12/UBND-VP", "co_quan_ban_hanh": "UBND tỉnh", "ngay_ban_hanh": "2026-04-27",
       "do_mat": "thuong"}


@pytest.fixture
def clerk(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    services.deployment.deploy(collect_sources([FIXTURES / "register.bpmn", FIXTURES / "failing_script.bpmn"]))
    return services


def test_a_confidential_document_is_refused_with_the_processs_message(clerk: Services) -> None:
    with pytest.raises(InvalidInput, match="Văn bản mật không được xử lý trên hệ thống"):
        clerk.runtime.start("register_incoming", data={**DOC, "do_mat": "mat"})
    assert clerk.queries.instances() == []


def test_the_business_key_is_computed_and_duplicates_are_refused(clerk: Services) -> None:
    first = clerk.runtime.start("register_incoming", data=DOC)
    assert clerk.queries.instance(first).business_key == "12/UBND-VP|UBND tỉnh|2026"
    with pytest.raises(Conflict, match=f"duplicate of case #{first}") as refused:
        clerk.runtime.start("register_incoming", data=DOC)
    assert refused.value.render("vi") == (f"Trùng với hồ sơ #{first} (12/UBND-VP|UBND tỉnh|2026), "
                                          "vào sổ lúc 09:00 29/04/2026")
    assert refused.value.render("en").endswith("registered at 09:00, 29 Apr 2026")
    other_year = clerk.runtime.start("register_incoming", data={**DOC, "ngay_ban_hanh": "2025-12-30"})
    assert other_year != first


def test_start_data_a_rule_cannot_read_is_a_clear_error(clerk: Services) -> None:
    with pytest.raises(InvalidInput, match="businessKey rule"):
        clerk.runtime.start("register_incoming", data={"do_mat": "thuong"})


def test_arrival_numbers_run_from_one_each_year(clerk: Services, clock: VirtualClock) -> None:
    numbers = [clerk.queries.instance(clerk.runtime.start(
        "register_incoming", data={**DOC, "so_ky_hieu": f"{n}/UBND"})).data["so_den"] for n in range(3)]
    assert numbers == [1, 2, 3]
    clock.set(datetime(2026, 12, 31, 17, 30, tzinfo=UTC))  # 1 January 00:30 in Hanoi
    new_year = clerk.runtime.start("register_incoming", data={**DOC, "so_ky_hieu": "1/2027"})
    assert clerk.queries.instance(new_year).data["so_den"] == 1


def test_a_script_that_fails_after_taking_a_number_keeps_it_for_the_retry(clerk: Services, tmp_path) -> None:
    failing = tmp_path / "numbered_failure.bpmn"
    failing.write_text((FIXTURES / "failing_script.bpmn").read_text()
                       .replace('id="failing"', 'id="numbered_failure"')
                       .replace("quotient = 10 / divisor", "so_di = next_number('so_di')\nquotient = 10 / divisor"))
    clerk.deployment.deploy(collect_sources([failing]))
    first = clerk.runtime.start("numbered_failure")
    clerk.runtime.complete_task(clerk.queries.tasks(instance_id=first)[0].id, user="vanthu", data={"divisor": 0})
    assert clerk.queries.instance(first).status == "error"
    clerk.runtime.retry(first, data={"divisor": 2})
    second = clerk.runtime.start("numbered_failure")
    clerk.runtime.complete_task(clerk.queries.tasks(instance_id=second)[0].id, user="vanthu", data={"divisor": 5})
    assert [clerk.queries.instance(i).data["so_di"] for i in (first, second)] == [1, 2]  # no gap


def test_a_process_summary_describes_the_case(clerk: Services, tmp_path) -> None:
    summarised = tmp_path / "summarised.bpmn"
    summarised.write_text((FIXTURES / "register.bpmn").read_text().replace(
        'id="register_incoming"', 'id="summarised" procflow:summary="f\'{so_ky_hieu} ({so_den})\'"'))
    clerk.deployment.deploy(collect_sources([summarised]))
    instance_id = clerk.runtime.start("summarised", data=DOC)
    assert clerk.queries.instance(instance_id).summary == "12/UBND-VP (1)"
    assert [i.summary for i in clerk.queries.instances()] == ["12/UBND-VP (1)"]

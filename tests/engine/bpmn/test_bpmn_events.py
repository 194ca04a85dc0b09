"""Errors, escalations, signals and timers across scopes: boundary events, event sub-processes, interruption.

Every test runs through the engine (deploy, start, inbox, timers) on the real database; the ``services``
fixture checks that each saved state survives a serializer round trip, with pruning applied.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.bpmn.events import UNCAUGHT_ERROR_PREFIX
from engine.clock import VirtualClock
from engine.services import Services
from tests.conftest import FIXTURES
from tests.engine.bpmn.bpmn_support import complete, deploy, open_tasks, ran, status, wait


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def test_an_error_end_event_interrupts_its_sub_process_and_takes_the_boundary_naming_its_code(org: Services) -> None:
    deploy(org, "error_boundary.bpmn")
    instance_id = org.runtime.start("error_boundary")
    assert status(org, instance_id) == "completed"
    assert open_tasks(org, instance_id) == []  # the review running beside the error was cancelled
    steps = ran(org, instance_id)
    assert "ask_documents" in steps
    assert "fallback" not in steps  # the catch-all boundary yields to the one naming the code
    assert "approve" not in steps  # the sub-process did not complete normally


def test_an_error_start_event_runs_the_event_sub_process_then_the_flow_goes_on(org: Services) -> None:
    deploy(org, "error_event_subprocess.bpmn")
    instance_id = org.runtime.start("error_event_subprocess")
    assert status(org, instance_id) == "completed"
    steps = ran(org, instance_id)
    assert steps.index("lookup") < steps.index("register_by_hand") < steps.index("notify")
    assert org.queries.instance(instance_id).data["by_hand"] is True


def test_an_interrupting_escalation_stops_the_sub_process_where_it_was_thrown(org: Services) -> None:
    deploy(org, "escalation.bpmn")
    instance_id = org.runtime.start("escalation_interrupting")
    steps = ran(org, instance_id)
    assert "inform_head" in steps
    assert "after_escalation" not in steps and "after_handle" not in steps
    assert status(org, instance_id) == "completed"


def test_a_non_interrupting_escalation_lets_the_sub_process_finish(org: Services) -> None:
    deploy(org, "escalation.bpmn")
    instance_id = org.runtime.start("escalation_non_interrupting")
    assert {"n_inform_head", "n_after_escalation", "n_after_handle"} <= set(ran(org, instance_id))
    assert status(org, instance_id) == "completed"


def test_an_escalation_goes_to_the_event_sub_process_of_its_own_scope_before_the_boundary(org: Services) -> None:
    deploy(org, "escalation.bpmn")
    instance_id = org.runtime.start("escalation_event_subprocess")
    steps = ran(org, instance_id)
    assert {"e_late", "e_inform", "e_go_on"} <= set(steps)  # non-interrupting: the sub-process went on
    assert "e_outer" not in steps  # the nearer scope caught it; the boundary outside did not
    assert status(org, instance_id) == "completed"


def test_an_escalation_nobody_catches_is_ignored(org: Services) -> None:
    deploy(org, "escalation.bpmn")
    assert status(org, org.runtime.start("escalation_uncaught")) == "completed"


def test_an_error_nobody_catches_fails_the_instance(org: Services) -> None:
    deploy(org, "uncaught_error.bpmn")
    instance_id = org.runtime.start("uncaught_error")
    view = org.queries.instance(instance_id, with_history=False)
    assert (view.status, view.error_element) == ("error", "fail")
    assert view.error_message.startswith(f"{UNCAUGHT_ERROR_PREFIX} 'E9'")


def test_a_script_throws_a_bpmn_error_to_the_boundary_event_of_its_task(org: Services) -> None:
    deploy(org, "script_error.bpmn")
    refused = org.runtime.start("script_error", data={"amount": 500})
    assert "refuse" in ran(org, refused) and "pay" not in ran(org, refused)
    paid = org.runtime.start("script_error", data={"amount": 50})
    assert "pay" in ran(org, paid) and "refuse" not in ran(org, paid)
    assert status(org, refused) == status(org, paid) == "completed"


def test_a_bpmn_error_from_a_script_nobody_catches_fails_the_instance(org: Services) -> None:
    deploy(org, "script_error.bpmn")
    view = org.queries.instance(org.runtime.start("script_error_uncaught"), with_history=False)
    assert view.status == "error"
    assert view.error_message.startswith(f"{UNCAUGHT_ERROR_PREFIX} 'NOT_ALLOWED'")


def test_an_error_in_a_called_process_reaches_the_call_activity_boundary(org: Services) -> None:
    deploy(org, "call_activity_error.bpmn")
    short = org.runtime.start("call_activity_error", data={"balance": 10, "amount": 50})
    assert "defer" in ran(org, short) and "receipt" not in ran(org, short)
    enough = org.runtime.start("call_activity_error", data={"balance": 100, "amount": 50})
    assert "receipt" in ran(org, enough) and "defer" not in ran(org, enough)


def test_a_signal_end_event_in_a_sub_process_reaches_its_interrupting_boundary(org: Services) -> None:
    deploy(org, "signal_end_subprocess.bpmn")
    instance_id = org.runtime.start("signal_end_subprocess")
    assert "refund" in ran(org, instance_id) and "ship" not in ran(org, instance_id)


def test_an_interrupting_signal_event_sub_process_cancels_the_open_work(org: Services) -> None:
    deploy(org, "signal_event_subprocess.bpmn")
    instance_id = org.runtime.start("signal_event_subprocess")
    assert open_tasks(org, instance_id) == ["applicant", "examine"]
    complete(org, instance_id, "applicant", action="withdraw")
    assert open_tasks(org, instance_id) == []
    assert {"withdrawal_received", "close_file", "archive"} <= set(ran(org, instance_id))
    assert status(org, instance_id) == "completed"


def test_a_non_interrupting_event_sub_process_runs_each_time_its_signal_comes(org: Services) -> None:
    deploy(org, "signal_event_subprocess.bpmn")
    instance_id = org.runtime.start("signal_event_subprocess")
    complete(org, instance_id, "applicant", action="remind")
    complete(org, instance_id, "applicant", action="remind")
    assert ran(org, instance_id).count("log_reminder") == 2
    assert open_tasks(org, instance_id) == ["applicant", "examine"]
    complete(org, instance_id, "examine")
    assert "archive" in ran(org, instance_id)  # the waiting triggers did not hold the sub-process open
    complete(org, instance_id, "applicant", action="withdraw")  # nobody listens any more
    assert status(org, instance_id) == "completed"


def test_a_timer_event_sub_process_interrupts_when_the_deadline_passes(org: Services, clock: VirtualClock) -> None:
    deploy(org, "timer_event_subprocess.bpmn")
    instance_id = org.runtime.start("timer_event_subprocess")
    wait(org, clock, timedelta(minutes=59))
    assert open_tasks(org, instance_id) == ["answer"]
    wait(org, clock, timedelta(minutes=2))
    assert open_tasks(org, instance_id) == []
    assert {"answer_automatically", "send"} <= set(ran(org, instance_id))
    assert status(org, instance_id) == "completed"


def test_a_timer_event_sub_process_that_never_fires_does_not_keep_the_case_open(org: Services,
                                                                                 clock: VirtualClock) -> None:
    deploy(org, "timer_event_subprocess.bpmn")
    instance_id = org.runtime.start("timer_event_subprocess")
    complete(org, instance_id, "answer")
    assert status(org, instance_id) == "completed"
    wait(org, clock, timedelta(hours=2))
    assert "answer_automatically" not in ran(org, instance_id)


def test_an_interrupting_timer_on_a_sub_process_withdraws_its_user_task(org: Services, clock: VirtualClock) -> None:
    deploy(org, "timer_boundary_subprocess.bpmn")
    instance_id = org.runtime.start("timer_boundary_subprocess")
    assert open_tasks(org, instance_id) == ["sign"]
    wait(org, clock, timedelta(days=1, seconds=1))
    assert open_tasks(org, instance_id) == []
    assert "expire" in ran(org, instance_id) and "file" not in ran(org, instance_id)
    assert status(org, instance_id) == "completed"


def test_work_beside_an_error_stops_with_the_sub_process_even_when_it_was_due_in_the_same_step(org: Services) -> None:
    # The error and the gateway beside it are ready together; the gateway must not run once the error has
    # cancelled their sub-process (it would rebuild its branch inside a cancelled sub-process).
    deploy(org, "error_boundary.bpmn")
    instance_id = org.runtime.start("error_beside_a_script")
    steps = ran(org, instance_id)
    assert "r_on_error" in steps
    assert "r_route" not in steps and "r_further" not in steps
    assert status(org, instance_id) == "completed"

"""Flow constructs SpiffWorkflow lacks, run through the engine: link events, the complex gateway,
conditional flows from activities, token quantities, ad-hoc sub-processes, data associations, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import VirtualClock
from engine.errors import InvalidModel
from engine.services import Services
from tests.conftest import FIXTURES
from tests.engine.bpmn.bpmn_support import complete, deploy, open_tasks, ran, status, wait


@pytest.fixture
def org(services: Services) -> Services:
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def refusal(services: Services, name: str) -> str:
    """Deploy a fixture that must be refused and return why."""
    with pytest.raises(InvalidModel) as refused:
        deploy(services, name)
    return str(refused.value)


def test_a_throwing_link_event_continues_at_its_catching_partner(org: Services) -> None:
    deploy(org, "link_events.bpmn")
    instance_id = org.runtime.start("link_events")
    assert ran(org, instance_id)[-4:] == ["go_to_page_two", "page_two", "second_page", "end"]
    assert status(org, instance_id) == "completed"


def test_a_link_without_a_catching_partner_is_refused_at_deploy(org: Services) -> None:
    assert "no catching link event" in refusal(org, "link_without_target.bpmn")


def test_the_complex_gateway_goes_on_at_the_first_answer_and_absorbs_the_late_ones(org: Services) -> None:
    deploy(org, "complex_gateway.bpmn")
    instance_id = org.runtime.start("complex_gateway", data={"sources": ["police", "court"]})
    assert ran(org, instance_id).count("decide") == 1  # the police answered at once
    assert open_tasks(org, instance_id) == ["ask_court"]
    complete(org, instance_id, "ask_court")  # the court answers later, in another step
    assert ran(org, instance_id).count("decide") == 1
    assert status(org, instance_id) == "completed"


def test_the_complex_gateway_takes_its_default_flow_when_no_condition_holds(org: Services) -> None:
    deploy(org, "complex_gateway.bpmn")
    instance_id = org.runtime.start("complex_gateway", data={"sources": []})
    assert {"ask_post", "decide"} <= set(ran(org, instance_id))
    assert status(org, instance_id) == "completed"


@pytest.mark.parametrize(("amount", "taken"), [
    (50, {"ordinary", "always"}),
    (500, {"large", "always"}),
    (5000, {"large", "very_large", "always"}),
])
def test_flows_leaving_an_activity_follow_their_conditions_and_default(org: Services, amount: int,
                                                                       taken: set[str]) -> None:
    deploy(org, "conditional_flows.bpmn")
    instance_id = org.runtime.start("conditional_flows", data={"amount": amount})
    branches = {"large", "very_large", "ordinary", "always"}
    assert set(ran(org, instance_id)) & branches == taken
    assert status(org, instance_id) == "completed"


def test_a_conditional_flow_that_does_not_hold_without_default_fails_the_step(org: Services) -> None:
    deploy(org, "conditional_flows.bpmn")
    view = org.queries.instance(org.runtime.start("conditional_flow_no_default", data={"amount": 5}),
                                with_history=False)
    assert view.status == "error"
    assert "n_assess" in view.error_message


def test_token_quantities_multiply_and_collect_tokens_across_steps(org: Services) -> None:
    deploy(org, "token_quantities.bpmn")
    instance_id = org.runtime.start("token_quantities")
    assert open_tasks(org, instance_id) == ["copy", "copy"]  # completionQuantity=2
    complete(org, instance_id, "copy")
    assert "dispatch" not in ran(org, instance_id)  # startQuantity=2: one token is not enough
    complete(org, instance_id, "copy")
    assert ran(org, instance_id).count("dispatch") == 1
    assert status(org, instance_id) == "completed"


def test_a_token_quantity_below_one_is_refused_at_deploy(org: Services) -> None:
    assert "startQuantity must be a whole number of at least 1" in refusal(org, "token_quantity_zero.bpmn")


def test_elements_may_use_the_ids_the_engine_names_its_own_tasks_with(org: Services) -> None:
    deploy(org, "reserved_ids.bpmn")
    instance_id = org.runtime.start("reserved_ids")
    assert ran(org, instance_id) == ["Start", "work", "End"]
    assert status(org, instance_id) == "completed"


def test_event_definitions_may_be_referenced_from_the_top_of_the_file(org: Services, clock: VirtualClock) -> None:
    deploy(org, "event_definition_refs.bpmn")
    instance_id = org.runtime.start("event_definition_refs")
    assert ran(org, instance_id) == ["start"]  # the referenced timer waits
    wait(org, clock, timedelta(hours=1, seconds=1))
    assert "reject" in ran(org, instance_id)  # the referenced error reached the boundary
    assert status(org, instance_id) == "completed"


def test_data_associations_connect_task_inputs_and_outputs_to_data_objects(org: Services) -> None:
    deploy(org, "data_associations.bpmn")
    instance_id = org.runtime.start("data_associations")
    assert status(org, instance_id) == "completed"
    assert org.queries.instance(instance_id).data["title"] == "DECISION 12"


def test_a_sequential_ad_hoc_sub_process_offers_one_activity_at_a_time(org: Services) -> None:
    deploy(org, "ad_hoc.bpmn")
    instance_id = org.runtime.start("ad_hoc")
    assert open_tasks(org, instance_id) == ["collect_id"]
    complete(org, instance_id, "collect_id")
    assert open_tasks(org, instance_id) == ["collect_deed"]
    complete(org, instance_id, "collect_deed")  # no completion condition: done when all have run
    assert "register" in ran(org, instance_id)
    assert status(org, instance_id) == "completed"


def test_a_negative_loop_cardinality_fails_the_step_instead_of_waiting_for_ever(org: Services) -> None:
    deploy(org, "loop_limits.bpmn")
    view = org.queries.instance(org.runtime.start("loop_cardinality_from_data", data={"copies": -1}),
                                with_history=False)
    assert view.status == "error"
    assert "whole number of instances" in view.error_message
    fine = org.runtime.start("loop_cardinality_from_data", data={"copies": 2})
    assert ran(org, fine).count("copy") >= 1 and status(org, fine) == "completed"


def test_a_negative_loop_maximum_is_refused_at_deploy(org: Services) -> None:
    assert "loopMaximum -1 is negative" in refusal(org, "negative_loop_maximum.bpmn")

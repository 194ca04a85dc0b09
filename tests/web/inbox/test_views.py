"""The inbox: what each user sees, filters (htmx-refreshed), claiming from the list, saved filters."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient

from engine.clock import VirtualClock
from engine.services import Services
from tests.web.conftest import Auth, start_approval


def test_group_members_see_the_task_and_others_do_not(client: FlaskClient, auth: Auth,
                                                      web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services, title="Công văn số 7")
    auth.login("chanhvp")
    page = client.get("/inbox/").get_data(as_text=True)
    assert f'id="task-{task_id}"' in page and "Lãnh đạo duyệt" in page and "1 công việc" in page
    assert f'href="/tasks/{instance_id}/{task_id}"' in page
    auth.logout()
    auth.login("vanthu")
    page = client.get("/").get_data(as_text=True)
    assert task_id not in page and 'id="inbox-empty"' in page


def test_filters_narrow_the_list_and_htmx_gets_only_the_results(client: FlaskClient, auth: Auth,
                                                                 web_services: Services, clock: VirtualClock) -> None:
    first_id, first_task = start_approval(web_services, title="Công văn về đất đai")
    clock.advance(timedelta(days=3))  # the first task (due in 2 days) is now overdue
    second_id, second_task = start_approval(web_services, title="Tờ trình nhân sự")
    auth.login("chanhvp")
    page = client.get("/inbox/?state=overdue").get_data(as_text=True)
    assert first_task in page and second_task not in page and "Quá hạn" in page
    response = client.get("/inbox/?process_id=approve&state=all", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment and 'id="inbox-results"' in fragment
    assert first_task in fragment and second_task in fragment
    assert second_task not in client.get("/inbox/?process_id=request").get_data(as_text=True)


def test_bad_filters_are_reported_not_crashed_on(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    start_approval(web_services)
    auth.login("chanhvp")
    response = client.get("/inbox/?state=someday&scope=everything&page=abc")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="inbox-alert"' in page and 'id="inbox-table"' in page


def test_claiming_from_the_list_with_htmx(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    url = f"/tasks/{instance_id}/{task_id}/claim"
    response = auth.post(url, page="/inbox/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.strip().startswith("<td") and f'id="unclaim-{task_id}"' in fragment
    assert web_services.queries.tasks(instance_id=instance_id)[0].assignee == "chanhvp"
    auth.logout()
    auth.login("bithu")
    assert task_id not in client.get("/inbox/").get_data(as_text=True)  # taken by a colleague
    response = auth.post(url, page="/inbox/", headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "chanhvp" in response.get_data(as_text=True)


def test_giving_a_task_back_offers_it_to_the_group_again(client: FlaskClient, auth: Auth,
                                                         web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    web_services.work.claim(task_id, "chanhvp")
    auth.login("chanhvp")
    page = client.get("/inbox/?scope=assigned").get_data(as_text=True)
    assert f'id="unclaim-{task_id}"' in page
    assert f'href="/tasks/{instance_id}/{task_id}/unclaim"' in page  # a link to the page that asks first
    url = f"/tasks/{instance_id}/{task_id}/unclaim"
    response = auth.post(url, {"confirmed": "1"}, page=url)
    assert response.status_code == 302
    assert web_services.queries.tasks(instance_id=instance_id)[0].assignee is None
    assert f'id="claim-button-{task_id}"' in client.get("/inbox/").get_data(as_text=True)


def test_saved_filters(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    start_approval(web_services)
    auth.login("chanhvp")
    response = auth.post("/inbox/filters", {"name": "Việc quá hạn", "state": "overdue", "process_id": "approve"},
                         page="/inbox/")
    assert response.status_code == 302 and "state=overdue" in response.headers["Location"]
    page = client.get("/inbox/").get_data(as_text=True)
    assert "Việc quá hạn" in page and 'id="saved-filters"' in page
    assert auth.post("/inbox/filters/delete", {"name": "Việc quá hạn"}, page="/inbox/").status_code == 302
    assert 'id="saved-filters"' not in client.get("/inbox/").get_data(as_text=True)
    assert auth.post("/inbox/filters", {"name": ""}, page="/inbox/").status_code == 422


def test_the_unit_filter_lists_units_and_narrows_to_a_unit_and_those_below(client: FlaskClient, auth: Auth,
                                                                          web_services: Services) -> None:
    _, from_division = start_approval(web_services, title="Từ phòng", user="chuyenvien")  # unit PTH (under VP)
    _, from_office = start_approval(web_services, title="Từ văn phòng", user="vanthu")  # unit VP
    auth.login("chanhvp")
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'id="filter-unit"' in page and '<option value="PTH"' in page
    division = client.get("/inbox/?unit=PTH").get_data(as_text=True)
    assert from_division in division and from_office not in division
    office = client.get("/inbox/?unit=VP").get_data(as_text=True)
    assert from_division in office and from_office in office

"""ETag and If-Match: a task's and a case's version, a change refused with 412 when it changed meanwhile, 409 when
someone else completed the task; claim and unclaim name the task by its case in one engine call."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.services import Services
from tests.web.api.conftest import Tokens
from tests.web.conftest import start_approval

PROBLEM = "application/problem+json"


def test_a_task_has_an_etag_that_claiming_changes_and_if_match_guards(client: FlaskClient, web_services: Services,
                                                                       tokens: Tokens) -> None:
    case, task = start_approval(web_services)
    boss, other = tokens.header("bithu", "tasks"), tokens.header("chanhvp", "tasks")
    url = f"/api/v1/tasks/{case}/{task}"
    shown = client.get(url, headers=boss)
    assert shown.status_code == 200 and shown.json["id"] == task and shown.json["assignee"] is None
    first = shown.headers["ETag"]
    assert first.startswith('"t') and client.get(url, headers=other).headers["ETag"] == first

    claimed = client.post(f"{url}/claim", headers={**boss, "If-Match": first})
    assert claimed.status_code == 204
    second = client.get(url, headers=boss).headers["ETag"]
    assert second != first

    # chanhvp read the task before bithu claimed it: his give-back and completion are refused as stale
    for action, body in (("unclaim", None), ("complete", {"data": {"approved": True}})):
        stale = client.post(f"{url}/{action}", json=body, headers={**other, "If-Match": first})
        assert stale.status_code == 412 and stale.mimetype == PROBLEM, action
    assert web_services.queries.tasks(instance_id=case)[0].assignee == "bithu"
    for weak in (f"W/{second}", f"{second}, {first}", '""'):
        assert client.post(f"{url}/complete", json={"data": {}}, headers={**boss, "If-Match": weak}).status_code == 412
    unquoted = second.strip('"')
    done = client.post(f"{url}/complete", json={"data": {"approved": True, "comment": "OK"}},
                       headers={**boss, "If-Match": unquoted})
    assert done.status_code == 200 and done.json["status"] == "completed"

    # completed by someone else: 409 (not 412), whatever the If-Match, and reading the task says so too
    late = client.post(f"{url}/complete", json={"data": {}}, headers={**other, "If-Match": second})
    assert late.status_code == 409 and late.mimetype == PROBLEM
    assert client.get(url, headers=other).status_code == 409


def test_without_if_match_changes_go_through_and_star_matches_any_version(client: FlaskClient,
                                                                          web_services: Services,
                                                                          tokens: Tokens) -> None:
    case, task = start_approval(web_services)
    boss = tokens.header("bithu", "tasks")
    assert client.post(f"/api/v1/tasks/{case}/{task}/claim", headers={**boss, "If-Match": "*"}).status_code == 204
    assert client.post(f"/api/v1/tasks/{case}/{task}/unclaim", headers=boss).status_code == 204


def test_a_task_is_reached_only_through_its_own_case(client: FlaskClient, web_services: Services,
                                                     tokens: Tokens) -> None:
    mine, task = start_approval(web_services, "Một")
    other, _ = start_approval(web_services, "Hai")
    boss = tokens.header("bithu", "tasks")
    for action in ("claim", "unclaim"):
        wrong = client.post(f"/api/v1/tasks/{other}/{task}/{action}", headers=boss)
        assert wrong.status_code == 404 and wrong.mimetype == PROBLEM, action
    assert client.get(f"/api/v1/tasks/{other}/{task}", headers=boss).status_code == 404
    assert web_services.queries.tasks(instance_id=mine)[0].assignee is None
    stranger = tokens.header("vanthu", "tasks")
    hidden = client.get(f"/api/v1/tasks/{mine}/{task}", headers=stranger)
    missing = client.get(f"/api/v1/tasks/{mine}/no-such-task", headers=stranger)
    assert hidden.status_code == missing.status_code == 404 and hidden.json.keys() == missing.json.keys()
    assert client.get(f"/api/v1/tasks/{2**31}/{task}", headers=boss).status_code == 404


def test_a_case_has_an_etag_that_moves_with_each_step(client: FlaskClient, web_services: Services,
                                                      tokens: Tokens) -> None:
    case, task = start_approval(web_services)
    mine = tokens.header("chuyenvien", "cases")
    before = client.get(f"/api/v1/cases/{case}", headers=mine).headers["ETag"]
    assert before.startswith('"c')
    web_services.runtime.complete_task(task, user="bithu", data={"approved": True, "comment": "OK"})
    assert client.get(f"/api/v1/cases/{case}", headers=mine).headers["ETag"] != before

"""The API's resources act as the token's user: what they may start, see and do, and nothing else."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.deployment.service import collect_sources
from engine.services import Services
from tests.conftest import FIXTURES
from tests.web.api.conftest import Tokens
from tests.web.conftest import start_approval

PROBLEM = "application/problem+json"
REQUEST = {"title": "Xin cấp máy tính", "sender": {"name": "Hoàng Văn Viên", "channels": ["paper"]}}


def test_processes_lists_what_the_user_may_start_and_starts_a_case(client: FlaskClient, web_services: Services,
                                                                    tokens: Tokens) -> None:
    mine = tokens.header("chuyenvien", "cases")
    listed = {p["process_id"] for p in client.get("/api/v1/processes/", headers=mine).json}
    assert "request" in listed and "notice" not in listed  # notice: lanh_dao only

    created = client.post("/api/v1/processes/request/cases", json={"data": REQUEST}, headers=mine)
    assert created.status_code == 201
    case = web_services.queries.instance(created.json["id"])
    assert case.process_id == "request" and case.started_by == "chuyenvien" and case.data["title"] == REQUEST["title"]


def test_starting_refuses_bad_data_other_peoples_procedures_and_unknown_ones(client: FlaskClient,
                                                                             tokens: Tokens) -> None:
    mine = tokens.header("chuyenvien", "cases")
    invalid = client.post("/api/v1/processes/request/cases", json={"data": {"sender": {}}}, headers=mine)
    assert invalid.status_code == 422 and invalid.mimetype == PROBLEM
    assert {"title", "sender.name"} <= set(invalid.json["errors"])
    not_json = client.post("/api/v1/processes/request/cases", json={"data": "x"}, headers=mine)
    assert not_json.status_code == 422 and "data" in not_json.json["errors"]
    assert client.post("/api/v1/processes/notice/cases", json={}, headers=mine).status_code == 403
    assert client.post("/api/v1/processes/nothing/cases", json={}, headers=mine).status_code == 404


def test_cases_list_filters_and_pages(client: FlaskClient, web_services: Services, tokens: Tokens) -> None:
    mine = tokens.header("chuyenvien", "cases")
    first, _ = start_approval(web_services)
    second = web_services.runtime.start("request", data=REQUEST, user="chuyenvien")
    listed = client.get("/api/v1/cases/", headers=mine).json
    assert listed["total"] == 2 and {c["id"] for c in listed["items"]} == {first, second}
    assert [c["id"] for c in client.get("/api/v1/cases/?process=request", headers=mine).json["items"]] == [second]
    assert client.get("/api/v1/cases/?status=completed", headers=mine).json["total"] == 0
    assert client.get("/api/v1/cases/?page=2", headers=mine).json["items"] == []
    for bad in ("status=nonsense", "page=0", "page=x"):
        refused = client.get(f"/api/v1/cases/?{bad}", headers=mine)
        assert refused.status_code == 422 and refused.mimetype == PROBLEM and refused.json["errors"], bad
    assert client.get("/api/v1/cases/", headers=tokens.header("vanthu", "cases")).json["total"] == 0


def test_full_text_search_finds_visible_cases_by_words_without_diacritics(client: FlaskClient,
                                                                         web_services: Services,
                                                                         tokens: Tokens) -> None:
    flood, _ = start_approval(web_services, title="Kế hoạch phòng chống lụt bão năm 2026")
    start_approval(web_services, title="Báo cáo chuyển đổi số")
    mine = tokens.header("chuyenvien", "cases")
    found = client.get("/api/v1/cases/search?q=lut%20bao", headers=mine)
    assert found.status_code == 200 and found.json["total"] == 1, found.json
    hit = found.json["items"][0]
    assert hit["id"] == flood and ["lụt", True] in hit["snippet"] and ["bão", True] in hit["snippet"], hit
    assert client.get("/api/v1/cases/search?q=LUT&process_id=approve", headers=mine).json["total"] == 1
    assert client.get("/api/v1/cases/search?q=lut&process_id=request", headers=mine).json["total"] == 0
    assert client.get("/api/v1/cases/search?q=khong%20co%20dau", headers=mine).json == {
        "items": [], "total": 0, "more": False, "page": 1, "per_page": 25}
    # vanthu may not see these cases: no hit, no snippet, the same answer as for words found nowhere
    assert client.get("/api/v1/cases/search?q=lut%20bao", headers=tokens.header("vanthu", "cases")).json["total"] == 0
    for bad in ("status=nonsense", "page=0", "per_page=500", "started_from=yesterday", "q=" + "x" * 201):
        refused = client.get(f"/api/v1/cases/search?{bad}", headers=mine)
        assert refused.status_code == 422 and refused.mimetype == PROBLEM and refused.json["errors"], bad
    assert client.get("/api/v1/cases/search?q=lut", headers=tokens.header("chuyenvien", "tasks")).status_code == 403


def test_a_case_is_shown_only_to_those_who_may_see_it(client: FlaskClient, web_services: Services,
                                                      tokens: Tokens) -> None:
    case, _ = start_approval(web_services)
    shown = client.get(f"/api/v1/cases/{case}", headers=tokens.header("chuyenvien", "cases")).json
    assert shown["data"]["title"] == "Công văn 12" and shown["history"][0]["kind"] == "instance_started"
    assert client.get(f"/api/v1/cases/{case}", headers=tokens.header("bithu", "cases")).status_code == 200  # offered
    hidden = client.get(f"/api/v1/cases/{case}", headers=tokens.header("vanthu", "cases"))
    missing = client.get(f"/api/v1/cases/{case + 1000}", headers=tokens.header("vanthu", "cases"))
    assert hidden.status_code == missing.status_code == 404 and hidden.mimetype == PROBLEM
    assert hidden.json.keys() == missing.json.keys()
    for huge in (2**31, 2**63, 10**30):
        assert client.get(f"/api/v1/cases/{huge}", headers=tokens.header("chuyenvien", "cases")).status_code == 404


def test_tasks_claim_unclaim_and_complete(client: FlaskClient, web_services: Services, tokens: Tokens) -> None:
    case, task = start_approval(web_services)
    boss, other = tokens.header("bithu", "tasks"), tokens.header("chanhvp", "tasks")
    assert [t["id"] for t in client.get("/api/v1/tasks/", headers=boss).json] == [task]
    assert client.get("/api/v1/tasks/", headers=tokens.header("vanthu", "tasks")).json == []

    assert client.post(f"/api/v1/tasks/{case}/{task}/claim", headers=boss).status_code == 204
    assert web_services.queries.tasks(instance_id=case)[0].assignee == "bithu"
    taken = client.post(f"/api/v1/tasks/{case}/{task}/claim", headers=other)
    assert taken.status_code == 409 and taken.mimetype == PROBLEM
    assert client.post(f"/api/v1/tasks/{case}/{task}/unclaim", headers=boss).status_code == 204
    assert web_services.queries.tasks(instance_id=case)[0].assignee is None

    invalid = client.post(f"/api/v1/tasks/{case}/{task}/complete", json={"data": {"comment": "x" * 501}},
                          headers=boss)
    assert invalid.status_code == 422 and "comment" in invalid.json["errors"]
    done = client.post(f"/api/v1/tasks/{case}/{task}/complete", json={"data": {"approved": True, "comment": "OK"}},
                       headers=boss)
    assert done.status_code == 200 and done.json == {"instance_id": case, "status": "completed"}
    assert web_services.queries.instance(case).data["approved"] is True
    late = client.post(f"/api/v1/tasks/{case}/{task}/complete", json={"data": {}}, headers=other)
    assert late.status_code == 409 and late.mimetype == PROBLEM


def test_tasks_of_cases_one_may_not_see_are_404(client: FlaskClient, web_services: Services, tokens: Tokens) -> None:
    case, task = start_approval(web_services)
    stranger = tokens.header("vanthu", "tasks")
    for action in ("claim", "unclaim", "complete"):
        refused = client.post(f"/api/v1/tasks/{case}/{task}/{action}", json={}, headers=stranger)
        assert refused.status_code == 404 and refused.mimetype == PROBLEM, action
    assert client.post(f"/api/v1/tasks/{2**31}/{task}/claim", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/tasks/{case}/no-such-task/claim",
                       headers=tokens.header("bithu", "tasks")).status_code == 404


def test_messages_are_delivered_by_business_key_and_correlation(client: FlaskClient, web_services: Services,
                                                                tokens: Tokens) -> None:
    web_services.deployment.deploy(collect_sources([FIXTURES / "routing" / "correlated.bpmn"]))
    a = web_services.runtime.start("ho_so", data={"so_ho_so": "A"}, business_key="HS-A", user="chuyenvien")
    b = web_services.runtime.start("ho_so", data={"so_ho_so": "B"}, business_key="HS-B", user="chuyenvien")
    mine = tokens.header("chuyenvien", "messages")

    wrong = client.post("/api/v1/messages/ket_qua", json={"business_key": "HS-A", "data": {"so_ho_so": "B"}},
                        headers=mine)
    assert wrong.status_code == 409 and wrong.mimetype == PROBLEM
    sent = client.post("/api/v1/messages/ket_qua", json={"business_key": "HS-B", "data": {"so_ho_so": "B"}},
                       headers=mine)
    assert sent.status_code == 202 and sent.json == {"instance_id": b, "status": "completed"}
    assert web_services.queries.instance(a).status == "running"
    by_id = client.post("/api/v1/messages/ket_qua", json={"instance_id": a, "data": {"so_ho_so": "A"}}, headers=mine)
    assert by_id.json == {"instance_id": a, "status": "completed"}

    c = web_services.runtime.start("ho_so", data={"so_ho_so": "C"}, user="chuyenvien")
    stranger = tokens.header("vanthu", "messages")
    web_services.runtime.start("ho_so", data={"so_ho_so": "D"}, business_key="HS-D", user="chuyenvien")
    for named in ({"instance_id": c}, {"business_key": "HS-D"}):
        hidden = client.post("/api/v1/messages/ket_qua", json={**named, "data": {"so_ho_so": "C"}}, headers=stranger)
        assert hidden.status_code == 404, named
    assert web_services.queries.instance(c).status == "running"
    unknown = client.post("/api/v1/messages/ket_qua", json={"business_key": "HS-none"}, headers=mine)
    assert unknown.status_code == 404 and unknown.mimetype == PROBLEM


def test_a_routed_message_reaches_only_cases_the_caller_may_see(client: FlaskClient, web_services: Services,
                                                                 tokens: Tokens) -> None:
    web_services.deployment.deploy(collect_sources([FIXTURES / "routing" / "correlated.bpmn"]))
    theirs = web_services.runtime.start("ho_so", data={"so_ho_so": "C"}, user="chuyenvien")
    stranger = tokens.header("vanthu", "messages")
    refused = client.post("/api/v1/messages/ket_qua", json={"data": {"so_ho_so": "C"}}, headers=stranger)
    assert refused.status_code == 404 and refused.mimetype == PROBLEM  # as if nobody waited for it
    assert web_services.queries.instance(theirs).status == "running"
    assert "ket_qua" not in str(web_services.queries.instance(theirs).data)

    routed = client.post("/api/v1/messages/ket_qua", json={"data": {"so_ho_so": "C"}},
                         headers=tokens.header("chuyenvien", "messages"))
    assert routed.status_code == 202 and routed.json == {"instance_id": None, "status": None}
    assert web_services.queries.instance(theirs).status == "completed"


def test_the_case_list_finds_words_of_the_business_key_and_summary(client: FlaskClient, web_services: Services,
                                                                   tokens: Tokens) -> None:
    mine = tokens.header("chuyenvien", "cases")
    web_services.runtime.start("request", data={**REQUEST, "title": "Xin cấp máy tính"}, business_key="YC-7",
                               user="chuyenvien")
    web_services.runtime.start("request", data={**REQUEST, "title": "Đề nghị sửa điều hòa"}, user="chuyenvien")
    summaries = {c["business_key"]: c["summary"] for c in client.get("/api/v1/cases/", headers=mine).json["items"]}
    assert len(summaries) == 2, summaries
    for q, expected in (("yc-7", 1), ("YC", 1), ("nothing", 0), ("", 2)):
        found = client.get(f"/api/v1/cases/?q={q}", headers=mine).json
        assert found["total"] == expected, (q, found)
    assert client.get(f"/api/v1/cases/?q={'x' * 201}", headers=mine).status_code == 422


def test_every_call_is_in_the_access_log_and_case_reads_in_the_cases_chain(client: FlaskClient,
                                                                           web_services: Services,
                                                                           tokens: Tokens) -> None:
    import logging

    from sqlalchemy import select

    from engine.persistence.audit_models import AccessLogEntry

    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    keep = Keep()
    logging.getLogger("procflow.api.access").addHandler(keep)
    try:
        case, task = start_approval(web_services)
        mine = tokens.header("chuyenvien", "cases")
        client.get(f"/api/v1/cases/{case}", headers=mine)
        client.get("/api/v1/tasks/", headers=mine)
        client.post(f"/api/v1/tasks/{case}/{task}/claim", headers=tokens.header("bithu", "tasks"))
        client.get("/api/v1/cases/")
    finally:
        logging.getLogger("procflow.api.access").removeHandler(keep)
    assert f"GET /api/v1/cases/{case} -> 200 token=t1-chuyenvien user=chuyenvien" in lines[0]
    assert "GET /api/v1/tasks/ -> 403 token=t1-chuyenvien" in lines[1]
    assert f"POST /api/v1/tasks/{case}/{task}/claim -> 204 token=t2-bithu user=bithu" in lines[2]
    assert "GET /api/v1/cases/ -> 401 token=- user=-" in lines[3]
    with web_services.db.connect() as conn:
        views = conn.execute(select(AccessLogEntry.username, AccessLogEntry.action)
                             .where(AccessLogEntry.instance_id == case)).all()
    assert ("chuyenvien", "case_viewed") in [tuple(v) for v in views]
    assert [h.kind for h in web_services.queries.history(case) if h.actor == "bithu"] == ["task_claimed"]

"""Managers' pages on a seeded history: who sees what, the figures shown, charts' JSON, downloads, actions.

The organisation is the web tests' (TU > VP > PTH) with a sibling department BTC under TU (head truongban,
with cuong). Scopes: bithu the whole agency; chanhvp VP and PTH; truongphong PTH; truongban BTC; chuyenvien and
vanthu only themselves. History rows are inserted directly (as tests/engine/analytics/test_analytics.py does) on the
deployed ``approve`` procedure, whose only user task is ``review``. "Now" is Monday 4 May 2026, 10:00 (+07:00);
30 April and 1 May are holidays and a working day is 7.5 hours.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import insert, select

from engine.clock import VirtualClock
from engine.persistence.models import HistoryEvent, InboxTask, Instance, Notification, ProcessVersion
from engine.services import Services
from tests.web.conftest import PASSWORD, Auth
from web.manage.charts import level

NOW = "2026-05-04T10:00"
APRIL = "year=2026&part=m4"
ORG = {
    "units": [{"code": "TU", "name": "Tỉnh ủy", "head": "bithu"},
              {"code": "VP", "name": "Văn phòng Tỉnh ủy", "parent": "TU", "head": "chanhvp"},
              {"code": "PTH", "name": "Phòng Tổng hợp", "parent": "VP", "head": "truongphong"},
              {"code": "BTC", "name": "Ban Tổ chức", "parent": "TU", "head": "truongban"}],
    "groups": [{"code": "lanh_dao", "name": "Lãnh đạo"}, {"code": "van_thu", "name": "Văn thư"},
               {"code": "chuyen_vien", "name": "Chuyên viên"}],
    "users": [{"username": "bithu", "full_name": "Nguyễn Văn Bí", "unit": "TU", "groups": ["lanh_dao"]},
              {"username": "chanhvp", "full_name": "Trần Thị Chánh", "unit": "VP", "groups": ["lanh_dao"]},
              {"username": "truongphong", "full_name": "Lê Văn Trưởng", "unit": "PTH", "groups": ["chuyen_vien"]},
              {"username": "vanthu", "full_name": "Phạm Thị Thư", "unit": "VP", "groups": ["van_thu"]},
              {"username": "chuyenvien", "full_name": "Hoàng Văn Viên", "unit": "PTH", "groups": ["chuyen_vien"]},
              {"username": "truongban", "full_name": "Đỗ Văn Ban", "unit": "BTC"},
              {"username": "cuong", "full_name": "Lê Cường", "unit": "BTC", "groups": ["chuyen_vien"]}],
}
# Cases: id -> (unit, started by, started, ended or None).
CASES = {
    1: ("PTH", "chuyenvien", "2026-04-20T08:00", "2026-04-21T12:00"),
    2: ("PTH", "chuyenvien", "2026-04-21T09:00", "2026-04-24T15:00"),
    3: ("VP", "vanthu", "2026-04-01T08:00", "2026-04-01T12:00"),
    4: ("BTC", "cuong", "2026-04-01T08:00", "2026-04-09T12:00"),
    5: ("PTH", "chuyenvien", "2026-04-28T08:00", None),
    6: ("PTH", "truongphong", "2026-04-27T08:00", None),
    7: ("BTC", "cuong", "2026-05-04T08:00", None),
    8: ("VP", "vanthu", "2026-04-23T08:00", None),
}
# Completed "review" tasks: (case, actor, unit, created, due, completed, working seconds late).
COMPLETED = [
    (1, "chuyenvien", "PTH", "2026-04-20T08:00", "2026-04-22T08:00", "2026-04-21T10:00", 0),
    (2, "chuyenvien", "PTH", "2026-04-21T09:00", "2026-04-23T09:00", "2026-04-24T09:00", 27_000),
    (3, "vanthu", "VP", "2026-04-01T08:00", "2026-04-01T17:00", "2026-04-01T10:00", 0),
    (4, "cuong", "BTC", "2026-04-01T08:00", "2026-04-03T17:00", "2026-04-07T08:30", 30_600),
]
# Open tasks: id -> (case, assignee, groups, created, due). Late now: o4 17.5 h, o2 2 days, o1 3.5 h; o3 due soon.
OPEN = {
    "o1": (5, "chuyenvien", ["chuyen_vien"], "2026-04-28T08:00", "2026-04-29T16:00"),
    "o2": (6, "truongphong", ["chuyen_vien"], "2026-04-27T08:00", "2026-04-28T10:00"),
    "o3": (7, "cuong", ["chuyen_vien"], "2026-05-04T08:00", "2026-05-04T15:00"),
    "o4": (8, None, ["chuyen_vien"], "2026-04-23T08:00", "2026-04-24T17:00"),
}
UNIT_PAGES = ("/manage/deadlines", "/manage/records", "/manage/bottlenecks?process_id=approve",
              "/manage/evaluation", f"/manage/data/unit-rates.json?{APRIL}", "/manage/data/heatmap/approve.json",
              "/manage/export/deadline-tasks.csv", "/manage/export/record-units.xlsx",
              "/manage/export/procedures.csv", "/manage/export/bottlenecks.csv?process_id=approve")


def at(text: str | None) -> datetime | None:
    """An aware UTC moment from local ISO text (+07:00)."""
    return None if text is None else datetime.fromisoformat(text + "+07:00").astimezone(UTC)


def seed(services: Services, process_id: str = "approve", element_id: str = "review") -> None:
    """The organisation with BTC, the cases, their history and their open tasks (on the deployed procedure)."""
    services.org.import_structure(ORG)
    for username in ("truongban", "cuong"):
        services.accounts.set_password(username, PASSWORD)
    with services.db.transaction() as conn:
        version = conn.execute(select(ProcessVersion.id).where(ProcessVersion.process_id == process_id)
                               .order_by(ProcessVersion.version.desc())).scalars().first()
        conn.execute(insert(Instance), [_case(n, version, process_id, *row) for n, row in CASES.items()])
        conn.execute(insert(HistoryEvent), [
            {"instance_id": case, "at": at(done), "kind": "task_completed", "element_id": element_id, "actor": actor,
             "process_id": process_id, "unit_code": unit, "task_created_at": at(created), "due_at": at(due),
             "late_seconds": late} for case, actor, unit, created, due, done, late in COMPLETED])
        conn.execute(insert(HistoryEvent), [
            {"instance_id": n, "at": at(ended), "kind": "instance_completed", "actor": starter}
            for n, (_, starter, _, ended) in CASES.items() if ended])
        conn.execute(insert(InboxTask), [
            {"id": task_id, "instance_id": case, "process_id": process_id, "element_id": element_id,
             "name": "Lãnh đạo duyệt", "lane": None, "form_key": None, "assignee": assignee,
             "created_at": at(created), "due_at": at(due), "group_codes": groups}
            for task_id, (case, assignee, groups, created, due) in OPEN.items()])


def _case(n: int, version: int, process_id: str, unit: str, starter: str, started: str,
          ended: str | None) -> dict[str, Any]:
    return {"id": n, "process_version_id": version, "process_id": process_id, "business_key": f"HS-{n}",
            "summary": f"Hồ sơ {n}", "status": "completed" if ended else "running", "started_by": starter,
            "started_at": at(started), "updated_at": at(ended or started), "ended_at": at(ended), "lock_version": 1,
            "completed_tasks": 0, "state": "{}", "unit_code": unit}


@pytest.fixture
def agency(web_services: Services, clock: VirtualClock) -> Services:
    """The seeded agency, with the clock at NOW."""
    seed(web_services)
    clock.set(at(NOW))  # type: ignore[arg-type]
    return web_services


def page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


def csv_rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads the Vietnamese right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_sheets(response: Any) -> dict[str, list[tuple[Any, ...]]]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    return {sheet.title: [tuple(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


# -- who sees what ----------------------------------------------------------------------------------------------

def test_a_specialist_sees_only_their_own_record(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("chuyenvien")
    response = client.get("/manage/")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/me"
    for path in UNIT_PAGES:
        assert client.get(path).status_code == 403, path
    mine = page(client, "/manage/me")
    assert 'data-scope="self"' in mine and 'id="mine-task-o1"' in mine
    assert 'mine-task-o2"' not in mine and 'mine-task-o4"' not in mine and 'id="tab-deadlines"' not in mine
    assert "/tasks/6/o2" not in mine and "/tasks/8/o4" not in mine
    assert 'href="/tasks/5/o1"' in mine and "3,5 giờ làm việc" in mine
    assert 'data-chart-url="/manage/data/trend.json?weeks=12"' in mine
    people = csv_rows(client.get(f"/manage/export/record-people.csv?{APRIL}"))
    assert [row[0] for row in people[1:]] == ["chuyenvien"]
    assert [row[0] for row in csv_rows(client.get("/manage/export/my-tasks.csv"))[1:]] == ["o1"]
    evaluation = csv_rows(client.get("/manage/export/evaluation.csv?year=2026"))
    assert [row[0] for row in evaluation[1:]] == ["chuyenvien"]
    trend = client.get("/manage/data/trend.json?weeks=3").get_json()
    assert [p["value"] for p in trend["points"]] == [0, 0, 1]  # o1, overdue since 29 April


def test_a_head_sees_their_unit_and_those_below_not_a_sibling(client: FlaskClient, auth: Auth,
                                                               agency: Services) -> None:
    auth.login("chanhvp")
    deadlines = page(client, "/manage/deadlines")
    assert 'data-scope="units"' in deadlines
    for task in ("o1", "o2", "o4"):
        assert f'id="deadline-task-{task}"' in deadlines
    assert 'id="deadline-task-o3"' not in deadlines and "Ban Tổ chức" not in deadlines
    assert page(client, "/manage/deadlines?unit=BTC", 403)
    assert 'id="deadline-task-o4"' not in page(client, "/manage/deadlines?unit=PTH")
    rates = client.get(f"/manage/data/unit-rates.json?{APRIL}").get_json()
    assert [p["label"] for p in rates["points"]] == ["Phòng Tổng hợp", "Văn phòng Tỉnh ủy"]
    auth.logout()
    auth.login("truongphong")
    deadlines = page(client, "/manage/deadlines")
    assert 'id="deadline-task-o1"' in deadlines and 'id="deadline-task-o4"' not in deadlines  # o4 is VP's
    assert page(client, "/manage/deadlines?unit=VP", 403)
    auth.logout()
    auth.login("truongban")
    deadlines = page(client, "/manage/deadlines")
    assert 'id="deadline-task-o3"' in deadlines and 'id="deadline-task-o1"' not in deadlines


def test_the_agency_leader_sees_everything(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("bithu")
    board = page(client, "/manage/")
    assert 'data-scope="agency"' in board and 'id="nav-manage"' in board and 'aria-current="page"' in board
    assert '<span class="tile__value">3</span>' in board and '<span class="tile__value">1</span>' in board
    for unit in ("VP", "PTH", "BTC"):
        assert f'id="dashboard-unit-{unit}"' in board
    assert 'data-chart-url="/manage/data/trend.json?weeks=12"' in board
    assert 'data-chart-url="/manage/data/unit-rates.json?year=2026"' in board
    assert 'id="procedure-approve"' in board
    rates = client.get(f"/manage/data/unit-rates.json?{APRIL}").get_json()
    assert rates["kind"] == "bars" and rates["max"] == 1
    assert [(p["label"], p["display"], p["tone"]) for p in rates["points"]] == [
        ("Ban Tổ chức", "0%", "poor"), ("Phòng Tổng hợp", "50%", "poor"), ("Văn phòng Tỉnh ủy", "100%", "good")]
    trend = client.get("/manage/data/trend.json?weeks=3").get_json()
    assert trend["kind"] == "columns" and [p["label"] for p in trend["points"]] == ["13/04", "20/04", "27/04"]
    assert [p["value"] for p in trend["points"]] == [0, 1, 3]


def test_every_page_needs_sign_in_and_has_no_inline_script(client: FlaskClient, auth: Auth,
                                                            agency: Services) -> None:
    paths = ("/manage/", "/manage/deadlines", "/manage/records", "/manage/bottlenecks", "/manage/evaluation",
             "/manage/me")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    auth.login("bithu")
    for path in paths:
        html = page(client, path)
        assert html.count("<script") == html.count("<script src="), path
        assert " onclick=" not in html and "javascript:" not in html


# -- the pages' figures -------------------------------------------------------------------------------------

def test_deadlines_now_shows_lateness_in_working_time_and_drills_down(client: FlaskClient, auth: Auth,
                                                                      agency: Services) -> None:
    auth.login("bithu")
    html = page(client, "/manage/deadlines")
    assert "3 việc quá hạn" in html and "1 việc đến hạn" in html
    order = [html.index(f'id="deadline-task-{task}"') for task in ("o4", "o2", "o1", "o3")]
    assert order == sorted(order)  # the most overdue first
    assert "2 ngày làm việc" in html and "2,3 ngày làm việc" in html  # o2: 15 h; o4 and VP: 17.5 h
    assert 'href="/cases/6"' in html and 'id="deadline-case-8"' in html  # drill down to the case
    assert 'id="remind-o1"' in html and 'id="reassign-form-o1"' in html
    assert '<option value="cuong">' in html  # reassignment suggests the people in scope
    assert 'href="/manage/deadlines?person=truongphong"' in html
    narrowed = page(client, "/manage/deadlines?person=truongphong")
    assert 'id="deadline-task-o2"' in narrowed and 'id="deadline-task-o1"' not in narrowed
    assert page(client, "/manage/deadlines?unit=" + "x" * 101, 422)


def test_records_and_procedures_for_a_period(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("bithu")
    html = page(client, f"/manage/records?{APRIL}")
    assert "trong tháng 4/2026" in html
    assert 'id="record-units-PTH"' in html and 'id="record-people-chuyenvien"' in html
    assert 'id="record-unit-totals-TU"' in html
    assert 'id="procedure-approve"' in html and "Phê duyệt" in html
    custom = page(client, "/manage/records?start=2026-04-01&end=2026-04-10")
    assert 'value="2026-04-10"' in custom and 'id="record-people-cuong"' in custom
    assert 'id="record-people-chuyenvien"' not in custom
    assert page(client, "/manage/records?start=2026-04-10&end=2026-04-01", 422)
    assert page(client, "/manage/records?part=q9", 422)


def test_bottlenecks_page_and_heatmap_data(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("chanhvp")
    html = page(client, f"/manage/bottlenecks?process_id=approve&{APRIL}")
    assert 'id="step-review"' in html and 'id="heatmap"' in html
    assert 'data-heatmap-url="/manage/data/heatmap/approve.json?measure=wait&amp;year=2026&amp;part=m4"' in html
    assert "bpmn-navigated-viewer.production.min.js" in html and "manage/heatmap.js" in html
    data = client.get(f"/manage/data/heatmap/approve.json?{APRIL}").get_json()
    assert data["xml"].startswith("<?xml") and data["measure"] == "wait"
    assert [(s["id"], s["level"]) for s in data["steps"]] == [("review", 5)]  # the slowest step is the top
    assert [e["level"] for e in data["legend"]] == [0, 1, 2, 3, 4, 5]
    late = client.get(f"/manage/data/heatmap/approve.json?measure=late&{APRIL}").get_json()
    assert [(s["id"], s["level"], s["display"]) for s in late["steps"]] == [("review", 2, "33,3%")]  # 1 of 3
    assert client.get("/manage/data/heatmap/nothing.json").status_code == 404
    assert client.get("/manage/bottlenecks?process_id=nothing").status_code == 404
    assert 'id="heatmap"' in page(client, "/manage/bottlenecks")  # the first procedure by name
    assert client.get("/manage/data/heatmap/approve.json?measure=colour").status_code == 422


# -- downloads ------------------------------------------------------------------------------------------------

def test_tables_download_as_csv_and_xlsx(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("bithu")
    tasks = csv_rows(client.get("/manage/export/deadline-tasks.csv"))
    assert tasks[0][:2] == ["Mã việc", "Hồ sơ"] and [row[0] for row in tasks[1:]] == ["o4", "o2", "o1", "o3"]
    sheets = xlsx_sheets(client.get("/manage/export/deadline-tasks.xlsx"))
    (rows,) = sheets.values()
    assert [row[0] for row in rows[1:]] == ["o4", "o2", "o1", "o3"]
    assert [row[0] for row in csv_rows(client.get("/manage/export/deadline-cases.csv"))[1:]] == ["8", "6", "5", "7"]
    units = csv_rows(client.get(f"/manage/export/record-units.csv?{APRIL}"))
    assert [row[0] for row in units[1:]] == ["BTC", "PTH", "VP"]
    response = client.get(f"/manage/export/record-units.csv?{APRIL}")
    assert "record-units-2026-04-01_2026-04-30.csv" in response.headers["Content-Disposition"]
    procedures = xlsx_sheets(client.get(f"/manage/export/procedures.xlsx?{APRIL}"))
    assert [row[:3] for row in next(iter(procedures.values()))[1:]] == [("approve", "Phê duyệt", 4)]
    steps = csv_rows(client.get(f"/manage/export/bottlenecks.csv?process_id=approve&{APRIL}"))
    assert [row[0] for row in steps[1:]] == ["review"]
    assert len(csv_rows(client.get("/manage/export/trend.csv?weeks=3"))) == 4
    client.set_cookie("procflow_lang", "en")
    assert csv_rows(client.get("/manage/export/deadline-units.csv"))[0][:2] == ["Code", "Name"]
    assert client.get("/manage/export/nothing.csv").status_code == 404
    assert client.get("/manage/export/procedures.pdf").status_code == 404


def test_a_heads_downloads_hold_only_their_units(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("chanhvp")
    assert [row[0] for row in csv_rows(client.get("/manage/export/deadline-tasks.csv"))[1:]] == ["o4", "o2", "o1"]
    units = csv_rows(client.get(f"/manage/export/record-units.csv?{APRIL}"))
    assert [row[0] for row in units[1:]] == ["PTH", "VP"]
    people = xlsx_sheets(client.get("/manage/export/evaluation.xlsx?year=2026"))
    assert len(people) == 2  # the evaluation and the thresholds it used
    evaluated = next(iter(people.values()))
    assert sorted(row[0] for row in evaluated[1:]) == ["chanhvp", "chuyenvien", "truongphong", "vanthu"]


# -- actions --------------------------------------------------------------------------------------------------

def test_remind_needs_csrf_and_permission(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("chanhvp")
    assert client.post("/manage/tasks/o1/remind", data={}).status_code == 400  # no CSRF token
    response = auth.post("/manage/tasks/o1/remind", {"next": "/manage/deadlines?unit=PTH"},
                         page="/manage/deadlines")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/deadlines?unit=PTH"
    assert "Đã nhắc việc chuyenvien." in page(client, "/manage/deadlines")
    with agency.db.read() as session:
        told = session.execute(select(Notification.username, Notification.kind)).all()
    assert told == [("chuyenvien", "reminder")]
    assert auth.post("/manage/tasks/o3/remind", page="/manage/deadlines").status_code == 403  # BTC's task
    response = auth.post("/manage/tasks/o1/remind", {"next": "https://evil.example/"}, page="/manage/deadlines")
    assert response.headers["Location"] == "/manage/deadlines"
    auth.logout()
    auth.login("chuyenvien")
    assert auth.post("/manage/tasks/o1/remind", page="/manage/me").status_code == 403


def test_reassign_needs_csrf_and_permission(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("chanhvp")
    assert client.post("/manage/tasks/o2/reassign", data={"to_user": "chuyenvien"}).status_code == 400
    assert auth.post("/manage/tasks/o2/reassign", {"to_user": ""}, page="/manage/deadlines").status_code == 422
    for outside in ("cuong", "chuyenvien9"):  # not in chanhvp's units; nobody at all: a message by the list
        refused = auth.post("/manage/tasks/o2/reassign", {"to_user": outside}, page="/manage/deadlines")
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert 'id="reassign-to-o2-error"' in html and "Hãy chọn một người trong danh sách." in html
        assert 'id="deadlines-title"' in html  # the same page, not an error page
    response = auth.post("/manage/tasks/o2/reassign", {"to_user": "chuyenvien"}, page="/manage/deadlines")
    assert response.status_code == 302
    assert "Đã giao công việc cho Hoàng Văn Viên." in page(client, "/manage/deadlines")  # by name
    with agency.db.read() as session:
        assert session.get(InboxTask, "o2").assignee == "chuyenvien"  # type: ignore[union-attr]
    auth.logout()
    auth.login("truongban")
    assert auth.post("/manage/tasks/o1/reassign", {"to_user": "cuong"}, page="/manage/deadlines").status_code == 403


def test_confirming_and_overriding_a_classification(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("chanhvp")
    html = page(client, "/manage/evaluation?year=2026")
    assert 'id="person-vanthu" data-proposed="excellent"' in html
    assert 'id="person-chuyenvien" data-proposed="not_complete"' in html
    assert 'id="person-cuong"' not in html and 'id="confirm-form-chanhvp"' not in html  # a sibling; oneself
    assert client.post("/manage/evaluation/2026/vanthu", data={"classification": "excellent"}).status_code == 400
    response = auth.post("/manage/evaluation/2026/vanthu", {"classification": "excellent"},
                         page="/manage/evaluation")
    assert response.status_code == 302 and response.headers["Location"].endswith("#person-vanthu")
    refused = auth.post("/manage/evaluation/2026/chuyenvien", {"classification": "good", "reason": "  "},
                        page="/manage/evaluation")
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="reason-chuyenvien-error"' in body and '<option value="good" selected>' in body
    response = auth.post("/manage/evaluation/2026/chuyenvien", {"classification": "good",
                                                                 "reason": "Phụ trách thêm việc đột xuất"},
                         page="/manage/evaluation")
    assert response.status_code == 302
    html = page(client, "/manage/evaluation?year=2026")
    assert 'data-final="good"' in html and "Phụ trách thêm việc đột xuất" in html
    assert auth.post("/manage/evaluation/2026/cuong", {"classification": "good", "reason": "x"},
                     page="/manage/evaluation").status_code == 403
    assert auth.post("/manage/evaluation/2026/chanhvp", {"classification": "good", "reason": "x"},
                     page="/manage/evaluation").status_code == 403
    assert auth.post("/manage/evaluation/2026/vanthu", {"classification": "great"},
                     page="/manage/evaluation").status_code == 422
    assert auth.post("/manage/evaluation/2026/vanthu", {"classification": ""},
                     page="/manage/evaluation").status_code == 422
    mine = page(client, "/manage/me")  # a head's own record: their own tasks only
    assert 'data-scope="units"' in mine and 'id="mine-tasks-empty"' in mine and 'id="mine-trend"' not in mine
    auth.logout()
    auth.login("chuyenvien")
    assert "Hoàn thành tốt nhiệm vụ" in page(client, "/manage/me")  # the decision shows on one's own record
    assert auth.post("/manage/evaluation/2026/vanthu", {"classification": "good", "reason": "x"},
                     page="/manage/me").status_code == 403


def test_only_agency_leaders_set_the_thresholds(client: FlaskClient, auth: Auth, agency: Services) -> None:
    form = {"excellent_rate": "90", "excellent_days": "0", "good_rate": "50", "good_days": "1,5",
            "complete_rate": "30", "complete_days": "", "min_tasks": "1", "year": "2026"}
    auth.login("chanhvp")
    assert 'id="thresholds-form"' not in page(client, "/manage/evaluation")
    assert auth.post("/manage/evaluation/thresholds", form, page="/manage/evaluation").status_code == 403
    auth.logout()
    auth.login("bithu")
    assert 'id="thresholds-form"' in page(client, "/manage/evaluation")
    response = auth.post("/manage/evaluation/thresholds", form, page="/manage/evaluation")
    assert response.status_code == 302 and response.headers["Location"] == "/manage/evaluation?year=2026#thresholds"
    assert agency.analytics.thresholds().levels[1].max_late_days == 1.5
    assert 'id="person-cuong" data-proposed="not_complete"' in page(client, "/manage/evaluation?year=2026")
    refused = auth.post("/manage/evaluation/thresholds", {**form, "good_rate": "150"}, page="/manage/evaluation")
    assert refused.status_code == 422 and 'id="thresholds-alert"' in refused.get_data(as_text=True)


def test_heatmap_colour_steps() -> None:
    assert [level(v, 10.0) for v in (None, 0.0, 1.0, 2.0, 2.1, 9.9, 10.0)] == [0, 1, 1, 1, 2, 5, 5]
    assert level(0.0, 0.0) == 1  # every step waited no time at all


def test_pages_speak_english_on_request(client: FlaskClient, auth: Auth, agency: Services) -> None:
    auth.login("bithu")
    client.set_cookie("procflow_lang", "en")
    html = page(client, "/manage/deadlines")
    assert "Deadlines now" in html and "2 working days" in html and "Remind" in html
    assert "Performance" in page(client, "/manage/")
    trend = client.get("/manage/data/trend.json?weeks=3").get_json()
    assert trend["points"][0]["label"] == "13 Apr"

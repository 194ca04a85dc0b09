"""Case pages: who may see them, status, history, diagram data, comments, files; "my cases"."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from engine.deployment.service import collect_sources
from engine.services import Services
from tests.web.conftest import Auth, csrf_token, start_approval

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_starter_and_the_candidates_see_the_case(client: FlaskClient, auth: Auth,
                                                     web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services, title="Công văn 9")
    for user in ("chuyenvien", "chanhvp"):
        auth.login(user)
        response = client.get(f"/cases/{instance_id}")
        assert response.status_code == 200, user
        page = response.get_data(as_text=True)
        assert 'id="case-status" data-status="running"' in page and "Đang xử lý" in page
        assert 'id="case-open-tasks"' in page and "Lãnh đạo duyệt" in page
        assert "Khởi tạo hồ sơ" in page and 'id="case-diagram"' in page
        assert f'data-diagram-url="/cases/{instance_id}/diagram"' in page
        auth.logout()
    auth.login("chanhvp")  # a candidate gets a link to the task; the starter only sees where it is
    assert f'href="/tasks/{instance_id}/{task_id}"' in client.get(f"/cases/{instance_id}").get_data(as_text=True)


def test_other_users_may_not_see_the_case(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    auth.login("vanthu")
    # A case one may not see is answered as a missing one (404), telling nothing of it.
    assert client.get(f"/cases/{instance_id}").status_code == 404
    assert client.get(f"/cases/{instance_id}/diagram").status_code == 404
    assert auth.post(f"/cases/{instance_id}/comments", {"text": "xin chào"}, page="/inbox/").status_code == 404
    assert client.get("/cases/424242").status_code == 404


def test_the_diagram_marks_where_the_case_is(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    auth.login("chuyenvien")
    data = client.get(f"/cases/{instance_id}/diagram").get_json()
    assert data["current"] == ["review"] and data["finished"] == ["start"] and data["failed"] is None
    assert data["xml"].startswith("<?xml") and 'id="approve"' in data["xml"]


def test_history_and_case_page_after_completion(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    web_services.runtime.complete_task(task_id, user="chanhvp", data={"comment": "ok", "approved": True})
    auth.login("chuyenvien")
    page = client.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "Hồ sơ hoàn thành" in page and "Hoàn thành công việc" in page and "Hồ sơ đã kết thúc." in page
    data = client.get(f"/cases/{instance_id}/diagram").get_json()
    assert data["current"] == [] and {"start", "review", "decision", "mark", "end_ok"} <= set(data["finished"])


def test_comments_are_escaped(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    auth.login("chuyenvien")
    url = f"/cases/{instance_id}"
    response = auth.post(f"{url}/comments", {"text": "<img src=x onerror=alert(1)> Đề nghị xem gấp"}, page=url)
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt; Đề nghị xem gấp" in page and "<img src=x" not in page
    assert auth.post(f"{url}/comments", {"text": "  "}, page=url).status_code == 422


def test_files_are_attached_and_downloaded(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    auth.login("chuyenvien")
    url = f"/cases/{instance_id}"
    token = csrf_token(client, url)
    response = client.post(f"{url}/attachments", data={"csrf_token": token, "file": (io.BytesIO(PDF), "to-trinh.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    (attachment,) = web_services.attachments.list_for(instance_id, "chuyenvien")
    page = client.get(url).get_data(as_text=True)
    assert "to-trinh.pdf" in page
    download = client.get(f"{url}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    bad = client.post(f"{url}/attachments", data={"csrf_token": token,
                                                  "file": (io.BytesIO(b"<html><script>x</script>"), "x.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    auth.logout()
    auth.login("vanthu")
    assert client.get(f"{url}/attachments/{attachment.id}").status_code == 404


def test_my_cases_lists_started_and_worked_on_cases(client: FlaskClient, auth: Auth,
                                                    web_services: Services) -> None:
    mine, _ = start_approval(web_services, title="Của tôi")
    other, task_id = start_approval(web_services, title="Của người khác", user="truongphong")
    web_services.runtime.complete_task(task_id, user="chanhvp", data={"comment": "ok"})
    auth.login("chuyenvien")
    page = client.get("/cases/").get_data(as_text=True)
    assert f'id="case-{mine}"' in page and f'id="case-{other}"' not in page
    auth.logout()
    auth.login("chanhvp")
    page = client.get("/cases/").get_data(as_text=True)
    assert f'id="case-{other}"' in page and f'id="case-{mine}"' not in page
    assert f'id="case-{other}"' in client.get("/cases/?status=completed").get_data(as_text=True)
    assert f'id="case-{other}"' not in client.get("/cases/?status=running").get_data(as_text=True)


def test_messages_between_cases_link_the_cases(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    from tests.conftest import FIXTURES

    routing = FIXTURES / "routing"
    web_services.deployment.deploy(collect_sources([routing / "request.bpmn", routing / "report.bpmn"]))
    request = web_services.runtime.start("yeu_cau_bao_cao", user="chuyenvien")
    (report,) = [i.id for i in web_services.queries.instances(process_id="lap_bao_cao")]
    (task,) = web_services.queries.tasks(instance_id=report)
    web_services.runtime.complete_task(task.id, user="chuyenvien")
    auth.login("chuyenvien")
    page = client.get(f"/cases/{request}").get_data(as_text=True)
    assert "Đã gửi thông điệp</strong>: yeu_cau_bao_cao →" in page
    assert f'<a href="/cases/{report}">#{report}</a>' in page
    assert "Đã nhận thông điệp</strong>: bao_cao_da_gui ←" in page


def test_an_overdue_task_shows_whom_it_was_reported_to(client: FlaskClient, auth: Auth, web_services: Services,
                                                        clock) -> None:
    from datetime import timedelta

    instance_id, _ = start_approval(web_services)
    clock.advance(timedelta(days=10))  # well past the two working days of the review's deadline
    web_services.timers.fire_due()
    auth.login("chuyenvien")
    page = client.get(f"/cases/{instance_id}").get_data(as_text=True)
    # Nobody took the leaders' task: the head of the leaders' unit (TU) is told, by full name.
    assert "Quá hạn, đã báo cáo</strong>: Lãnh đạo duyệt → Nguyễn Văn Bí" in page


def test_my_cases_with_a_stale_status_or_page_shows_the_first_page_of_all(client: FlaskClient, auth: Auth,
                                                                          web_services: Services) -> None:
    mine, _ = start_approval(web_services, title="Của tôi")
    auth.login("chuyenvien")
    for query in ("status=lost", "page=abc", "page=0", "page=123456789012345678901", "status=running&page=-3"):
        response = client.get(f"/cases/?{query}")
        assert response.status_code == 200 and f'id="case-{mine}"' in response.get_data(as_text=True), query


def test_a_release_is_named_apart_from_a_send_back_and_says_where_the_work_went(
        client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    work = web_services.work
    work.claim(task_id, "chanhvp")
    work.unclaim(task_id, "chanhvp")  # taken from the group: back to the group
    work.delegate(task_id, "chanhvp", "bithu")
    work.unclaim(task_id, "bithu")  # personal work: back to whoever gave it
    auth.login("chanhvp")
    page = client.get(f"/cases/{instance_id}").get_data(as_text=True)
    assert "Trả lại công việc" not in page  # "Trả lại" is the decision to send back, never a release
    released = re.findall(r'timeline__item--task_unclaimed">(.*?)</li>', page, re.S)
    assert len(released) == 2
    texts = [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in released]
    assert "Bỏ nhận công việc: Lãnh đạo duyệt → Trần Thị Chánh" in texts[0]  # newest first
    assert "Bỏ nhận công việc: Lãnh đạo duyệt → Lãnh đạo" in texts[1]

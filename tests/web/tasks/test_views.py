"""The task page: who may open it, the server-rendered form, per-field errors, conflicts that keep the input."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.services import Services
from tests.web.conftest import Auth, start_approval

XSS = '<script>alert("x")</script>'


def _url(instance_id: int, task_id: str) -> str:
    return f"/tasks/{instance_id}/{task_id}"


def test_a_candidate_sees_the_form_rendered_on_the_server(client: FlaskClient, auth: Auth,
                                                          web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services, title="Công văn 12/UBND")
    auth.login("chanhvp")
    response = client.get(_url(instance_id, task_id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for marker in ('id="task-form"', 'id="complete-button"', '<label for="field-comment">Ý kiến',
                   'id="field-approved"', 'name="pages"', '<option value="urgent" >Khẩn</option>',
                   'type="date" id="field-deadline"', "<h2>Ý kiến lãnh đạo</h2>", 'id="field-comment-desc"'):
        assert marker in page, marker
    # The read-only field shows the case's data and is never submitted.
    assert 'id="field-title"  value="Công văn 12/UBND" readonly' in page
    assert 'name="title"' not in page


def test_another_groups_task_is_refused(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services, title="Công văn mật")
    auth.login("chuyenvien")  # the starter: sees the case, but the task is the leaders'
    assert client.get(_url(instance_id, task_id)).status_code == 403
    response = auth.post(_url(instance_id, task_id), {"comment": "tôi duyệt", "_element": "review"}, page="/inbox/")
    assert response.status_code == 403
    assert "tôi duyệt" in response.get_data(as_text=True)  # even a refusal keeps what was typed
    assert web_services.queries.tasks(instance_id=instance_id)[0].id == task_id  # nothing happened
    for action in ("claim", "draft", "delegate"):
        assert auth.post(f"{_url(instance_id, task_id)}/{action}", {"to_user": "vanthu"},
                         page="/inbox/").status_code == 403, action


def test_a_task_of_a_case_one_may_not_see_is_as_if_missing(client: FlaskClient, auth: Auth,
                                                            web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services, title="Công văn mật")
    auth.login("vanthu")  # neither started, worked on, nor offered the case
    assert client.get(_url(instance_id, task_id)).status_code == 404
    response = auth.post(_url(instance_id, task_id), {"comment": "tôi duyệt", "_element": "review"}, page="/inbox/")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Công văn mật" not in page and 'id="task-form"' not in page and "field-title" not in page
    for action in ("claim", "unclaim", "draft", "delegate"):
        assert auth.post(f"{_url(instance_id, task_id)}/{action}", {"to_user": "vanthu"},
                         page="/inbox/").status_code == 404, action


def test_unknown_tasks_and_cases_are_404(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, _ = start_approval(web_services)
    auth.login("chanhvp")
    assert client.get(_url(instance_id, "00000000-0000-0000-0000-000000000000")).status_code == 404
    assert client.get(_url(424242, "00000000-0000-0000-0000-000000000000")).status_code == 404


def test_an_invalid_form_is_422_with_a_message_per_field(client: FlaskClient, auth: Auth,
                                                         web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    response = auth.post(_url(instance_id, task_id), {"comment": "", "pages": "ba trang", "urgency": "rat_khan",
                                                      "_element": "review"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="field-comment-error">Trường này là bắt buộc.' in page
    assert 'id="field-pages-error">Giá trị phải là một số.' in page
    assert 'id="field-urgency-error">Giá trị được chọn không có trong danh sách lựa chọn.' in page
    assert 'aria-invalid="true"' in page and 'value="ba trang"' in page
    assert web_services.queries.tasks(instance_id=instance_id)[0].id == task_id


def test_completing_moves_the_case_on(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    response = auth.post(_url(instance_id, task_id), {"comment": "Đồng ý", "approved": "true", "pages": "3",
                                                      "urgency": "urgent", "deadline": "2026-05-04"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/"
    view = web_services.queries.instance(instance_id)
    assert view.status == "completed"
    assert view.data["approved"] is True and view.data["pages"] == 3 and view.data["result"] == "approved"
    assert view.data["deadline"] == "2026-05-04" and view.data["comment"] == "Đồng ý"
    assert "Đã hoàn thành công việc “Lãnh đạo duyệt”." in client.get("/inbox/").get_data(as_text=True)


def test_completing_twice_is_409_and_keeps_the_input(client: FlaskClient, auth: Auth,
                                                     web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    url = _url(instance_id, task_id)
    page = client.get(url).get_data(as_text=True)
    assert 'name="_element" value="review"' in page
    web_services.runtime.complete_task(task_id, user="bithu", data={"comment": "bí thư đã duyệt", "approved": True})
    response = auth.post(url, {"comment": "Ý kiến của tôi, rất dài", "pages": "7", "approved": "true",
                               "_element": "review", "_task_name": "Lãnh đạo duyệt"}, page="/inbox/")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Công việc này đã được bithu hoàn thành lúc 29/04/2026 09:00." in page
    assert ">Ý kiến của tôi, rất dài</textarea>" in page and 'value="7"' in page
    assert 'id="field-approved" name="approved" value="true" checked' in page
    assert 'id="complete-button"' not in page and 'id="back-to-inbox"' in page


def test_a_task_of_a_suspended_case_keeps_the_input(client: FlaskClient, auth: Auth,
                                                     web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    web_services.runtime.suspend(instance_id)
    response = auth.post(_url(instance_id, task_id), {"comment": "giữ lại", "_element": "review"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "tạm dừng" in page and ">giữ lại</textarea>" in page


def test_xss_payloads_are_escaped_everywhere(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services, title=XSS)
    auth.login("chanhvp")
    response = auth.post(_url(instance_id, task_id), {"comment": XSS, "pages": XSS, "urgency": XSS,
                                                      "deadline": XSS, "_element": "review",
                                                      "_task_name": XSS})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert XSS not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    page = client.get(_url(instance_id, task_id)).get_data(as_text=True)
    assert XSS not in page and "&lt;script&gt;" in page


def test_drafts_are_saved_and_restored(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    url = _url(instance_id, task_id)
    response = auth.post(f"{url}/draft", {"comment": "đang viết dở", "pages": "2"}, page=url,
                         headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="draft-status"' in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)  # a fragment for htmx
    page = client.get(url).get_data(as_text=True)
    assert ">đang viết dở</textarea>" in page and 'value="2"' in page
    auth.logout()
    auth.login("bithu")  # a draft is its writer's own
    assert "đang viết dở" not in client.get(url).get_data(as_text=True)


def test_claim_unclaim_and_delegate_from_the_task_page(client: FlaskClient, auth: Auth,
                                                       web_services: Services) -> None:
    instance_id, task_id = start_approval(web_services)
    auth.login("chanhvp")
    url = _url(instance_id, task_id)
    assert 'id="claim-button"' in client.get(url).get_data(as_text=True)
    assert auth.post(f"{url}/claim", page=url).status_code == 302
    assert web_services.queries.tasks(instance_id=instance_id)[0].assignee == "chanhvp"
    assert 'id="unclaim-button"' in client.get(url).get_data(as_text=True)
    unasked = auth.post(f"{url}/unclaim", page=url)  # releasing always asks first
    assert unasked.status_code == 303 and unasked.headers["Location"] == f"{url}/unclaim"
    assert web_services.queries.tasks(instance_id=instance_id)[0].assignee == "chanhvp"
    confirm = client.get(f"{url}/unclaim").get_data(as_text=True)
    assert "Bỏ nhận việc này?" in confirm and 'id="unclaim-target"' in confirm and "Lãnh đạo" in confirm
    assert auth.post(f"{url}/unclaim", {"confirmed": "1"}, page=f"{url}/unclaim").status_code == 302
    assert web_services.queries.tasks(instance_id=instance_id)[0].assignee is None
    response = auth.post(f"{url}/delegate", {"to_user": "bithu"}, page=url)
    assert response.status_code == 302
    assert web_services.queries.tasks(instance_id=instance_id)[0].assignee == "bithu"
    assert client.get(url).status_code == 403  # now it is bithu's


def test_a_task_without_a_form_completes_with_one_button(client: FlaskClient, auth: Auth,
                                                         web_services: Services) -> None:
    instance_id = web_services.runtime.start("notice", user="chanhvp")
    task = web_services.queries.tasks(instance_id=instance_id)[0]
    auth.login("vanthu")
    page = client.get(_url(instance_id, task.id)).get_data(as_text=True)
    assert 'id="no-form"' in page and 'id="complete-button"' in page
    assert auth.post(_url(instance_id, task.id)).status_code == 302
    assert web_services.queries.instance(instance_id).status == "completed"

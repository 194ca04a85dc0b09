"""Starting procedures: the catalogue each user may use, start forms validated per field."""

from __future__ import annotations

from flask.testing import FlaskClient

from engine.services import Services
from tests.web.conftest import Auth


def test_the_catalogue_lists_what_the_user_may_start(client: FlaskClient, auth: Auth) -> None:
    auth.login("chuyenvien")
    page = client.get("/start/").get_data(as_text=True)
    assert 'id="start-request"' in page and "Đề nghị xử lý" in page
    assert "Chuyên viên gửi đề nghị; lãnh đạo cho ý kiến." in page
    assert 'id="start-approve"' in page  # no starter groups: anyone
    assert 'id="start-notice"' not in page  # for leaders only
    auth.logout()
    auth.login("chanhvp")
    page = client.get("/start/").get_data(as_text=True)
    assert 'id="start-notice"' in page and 'id="start-request"' not in page


def test_starting_a_procedure_one_may_not_start_is_403(client: FlaskClient, auth: Auth,
                                                        web_services: Services) -> None:
    auth.login("chanhvp")
    assert client.get("/start/request").status_code == 403
    assert auth.post("/start/request", {"title": "x", "sender.name": "y"}, page="/start/").status_code == 403
    assert web_services.queries.instances() == []
    assert client.get("/start/no_such_process").status_code == 404


def test_the_start_form_is_validated_per_field(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    auth.login("chuyenvien")
    page = client.get("/start/request").get_data(as_text=True)
    assert 'id="start-form"' in page and 'name="sender.name"' in page and "<legend>Người gửi</legend>" in page
    response = auth.post("/start/request", {"title": "", "sender.channels": ["paper"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="field-title-error">Trường này là bắt buộc.' in page
    assert 'id="field-sender-name-error">Trường này là bắt buộc.' in page
    assert 'value="paper"\n               id="field-sender-channels-1" checked' in page
    assert web_services.queries.instances() == []


def test_starting_a_case(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    auth.login("chuyenvien")
    response = auth.post("/start/request", {"title": "Đề nghị mua máy tính", "sender.name": "Hoàng Văn Viên",
                                            "sender.channels": ["paper", "electronic"]})
    assert response.status_code == 302
    (case,) = web_services.queries.instances()
    assert response.headers["Location"] == f"/cases/{case.id}"
    view = web_services.queries.instance(case.id)
    assert view.started_by == "chuyenvien" and view.summary == "Đề nghị mua máy tính"
    assert view.data["sender"] == {"name": "Hoàng Văn Viên", "channels": ["paper", "electronic"]}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Đã khởi tạo hồ sơ #{case.id} của “Đề nghị xử lý”." in page


def test_a_procedure_without_a_start_form(client: FlaskClient, auth: Auth, web_services: Services) -> None:
    auth.login("chanhvp")
    assert 'id="no-form"' in client.get("/start/notice").get_data(as_text=True)
    assert auth.post("/start/notice").status_code == 302
    assert [i.process_id for i in web_services.queries.instances()] == ["notice"]

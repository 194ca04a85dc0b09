"""A handed-over step on the web: the task page and the case page name who holds and did the work, not the
specialist the head first chose, and the case page says who handed it to whom (the incoming-document procedure)."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from engine.cases.attachments import Upload
from engine.services import Services
from engine.signing.sample import sample_document
from tests.engine.runtime.test_assignment_routing import DIRECTION, DOCUMENT
from tests.web.conftest import Auth

RESULT = {"hinh_thuc_ket_qua": "bao_cao", "ket_qua_xu_ly": "Đã xử lý, báo cáo kết quả.", "tep_ket_qua": []}
GIANG, EM = "Đỗ Thị Giang (Phòng Tổng hợp)", "Hoàng Văn Em (Phòng Tổng hợp)"


def _task(services: Services, case: int, element: str) -> str:
    return next(t.id for t in services.queries.tasks(instance_id=case) if t.element_id == element)


def _assigned(services: Services) -> int:
    """An incoming document whose head gave the handling to chuyenvien1 (Hoàng Văn Em)."""
    pdf = Upload("cv.pdf", io.BytesIO(sample_document().pdf))
    case = services.starter.start("incoming_document", data=DOCUMENT, files={"tep_van_ban": [pdf]}, user="vanthu")
    services.runtime.complete_task(_task(services, case, "leader_direction"), user="chanhvp",
                                   data={**DIRECTION, "don_vi_phoi_hop": []})
    services.runtime.complete_task(_task(services, case, "assign_specialist"), user="truongphong_th",
                                   data={"chuyen_vien_xu_ly": "chuyenvien1", "y_kien_phan_cong": ""})
    return case


def _specialist(page: str) -> str:
    """The case story's "Chuyên viên xử lý" line."""
    story = page.split('id="case-story"', 1)[1].split("</section>", 1)[0]
    return story.split('data-key="chuyen_vien_xu_ly"', 1)[1].split("</div>", 1)[0]


def test_the_task_and_case_pages_name_whom_the_work_was_handed_to(doc_services: Services, doc_auth: Auth,
                                                                    doc_client: FlaskClient) -> None:
    case = _assigned(doc_services)
    handling = _task(doc_services, case, "specialist_handling")
    url = f"/tasks/{case}/{handling}"
    doc_auth.login("chuyenvien1")
    assert doc_auth.post(f"{url}/delegate", {"to_user": "chuyenvien2", "q": ""}, page=url).status_code == 302
    doc_auth.logout()

    doc_auth.login("chuyenvien2")
    task_page = doc_client.get(url).get_data(as_text=True)
    assert f'<dd id="task-for">{GIANG}</dd>' in task_page
    assert '<dd id="task-hand-overs">Hoàng Văn Em chuyển giao cho Đỗ Thị Giang</dd>' in task_page
    line = _specialist(doc_client.get(f"/cases/{case}").get_data(as_text=True))
    assert "<dt>Chuyên viên xử lý</dt>" in line and f'<span class="fact__text">{GIANG}</span>' in line
    assert "(Hoàng Văn Em chuyển giao cho Đỗ Thị Giang)" in line and EM not in line
    done = doc_auth.post(url, RESULT, page=url)
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    doc_auth.logout()

    doc_auth.login("truongphong_th")  # the head who chose Em reads who did it, and the history agrees
    page = doc_client.get(f"/cases/{case}").get_data(as_text=True)
    line = _specialist(page)
    assert f'<span class="fact__text">{GIANG}</span>' in line and "chuyển giao cho Đỗ Thị Giang" in line
    history = page.split('id="case-history"', 1)[1]
    assert f"· {EM} → {GIANG}" in " ".join(history.split())
    assert "Chuyên viên xử lý:</span> <span class=\"fact__text\">Hoàng Văn Em" in history  # the head's choice, kept


def test_a_head_reassigning_the_work_is_named_on_the_case_page(doc_services: Services, doc_auth: Auth,
                                                               doc_client: FlaskClient) -> None:
    case = _assigned(doc_services)
    handling = _task(doc_services, case, "specialist_handling")
    doc_services.analytics.reassign("truongphong_th", handling, "chuyenvien2")
    doc_auth.login("chuyenvien2")
    task_page = doc_client.get(f"/tasks/{case}/{handling}").get_data(as_text=True)
    assert f'<dd id="task-for">{GIANG}</dd>' in task_page
    assert "Lê Văn Cường chuyển giao từ Hoàng Văn Em cho Đỗ Thị Giang</dd>" in task_page
    doc_auth.logout()
    doc_auth.login("chanhvp")
    line = _specialist(doc_client.get(f"/cases/{case}").get_data(as_text=True))
    assert f'<span class="fact__text">{GIANG}</span>' in line
    assert "(Lê Văn Cường chuyển giao từ Hoàng Văn Em cho Đỗ Thị Giang)" in line

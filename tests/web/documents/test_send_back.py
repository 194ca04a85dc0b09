"""Sending work back ("Trả lại") on a review task is asked again before it happens (the same form, no script
needed); the review after the revision opens empty."""

from __future__ import annotations

import io

from flask.testing import FlaskClient

from engine.cases.attachments import Upload
from engine.services import Services
from engine.signing.sample import sample_document
from tests.engine.runtime.test_assignment_routing import DIRECTION, DOCUMENT
from tests.web.conftest import Auth

RESULT = {"hinh_thuc_ket_qua": "bao_cao", "ket_qua_xu_ly": "Đã xử lý, báo cáo kết quả.", "tep_ket_qua": []}


def _task(services: Services, case: int, element: str) -> str:
    return next(t.id for t in services.queries.tasks(instance_id=case) if t.element_id == element)


def _at_review(services: Services) -> int:
    pdf = Upload("cv.pdf", io.BytesIO(sample_document().pdf))
    case = services.starter.start("incoming_document", data=DOCUMENT, files={"tep_van_ban": [pdf]}, user="vanthu")
    services.runtime.complete_task(_task(services, case, "leader_direction"), user="chanhvp",
                                   data={**DIRECTION, "don_vi_phoi_hop": []})
    services.runtime.complete_task(_task(services, case, "assign_specialist"), user="truongphong_th",
                                   data={"chuyen_vien_xu_ly": "chuyenvien1", "y_kien_phan_cong": ""})
    services.runtime.complete_task(_task(services, case, "specialist_handling"), user="chuyenvien1", data=RESULT)
    return case


def test_sending_back_asks_first_and_the_next_review_starts_empty(doc_services: Services, doc_auth: Auth,
                                                                   doc_client: FlaskClient) -> None:
    case = _at_review(doc_services)
    review = _task(doc_services, case, "head_review")
    url = f"/tasks/{case}/{review}"
    doc_auth.login("truongphong_th")
    decision = {"ket_luan_truong_phong": "tra_lai", "y_kien_truong_phong": "Bổ sung số liệu quý I."}
    asked = doc_auth.post(url, decision, page=url)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm-panel"' in page and 'name="_confirmed" value="1"' in page
    assert "Trả lại, yêu cầu hoàn thiện" in page and "Bổ sung số liệu quý I." in page  # what was chosen, kept
    assert _task(doc_services, case, "head_review") == review  # nothing moved yet
    done = doc_auth.post(url, {**decision, "_confirmed": "1"}, page=url)
    assert done.status_code == 302
    handling = _task(doc_services, case, "specialist_handling")
    doc_services.runtime.complete_task(handling, user="chuyenvien1", data=RESULT)
    second = _task(doc_services, case, "head_review")
    page = doc_client.get(f"/tasks/{case}/{second}").get_data(as_text=True)
    assert 'value="tra_lai"' in page and "checked" not in page.split('value="tra_lai"')[1][:80]
    assert "Bổ sung số liệu quý I." not in page.split('id="field-y_kien_truong_phong"')[1][:200]
    agreed = doc_auth.post(f"/tasks/{case}/{second}", {"ket_luan_truong_phong": "dong_y", "y_kien_truong_phong": ""},
                           page=f"/tasks/{case}/{second}")
    assert agreed.status_code == 302  # agreeing is not asked again

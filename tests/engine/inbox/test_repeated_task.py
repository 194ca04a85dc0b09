"""A task the case loops back to opens with an empty form: the previous decision and reason are asked anew, while
fields marked ``keep`` (a revision continues the previous version) show what the case holds."""

from __future__ import annotations

from engine.services import Services
from tests.engine.runtime.test_assignment_routing import DIRECTION, directed, shipped, task

__all__ = ["shipped"]  # the fixture, used by name

RESULT = {"hinh_thuc_ket_qua": "bao_cao", "ket_qua_xu_ly": "Đã xử lý, báo cáo kết quả.", "tep_ket_qua": []}


def test_a_second_review_starts_empty_and_the_revision_keeps_the_previous_report(shipped: Services) -> None:
    case = directed(shipped, {**DIRECTION, "don_vi_phoi_hop": []})
    shipped.runtime.complete_task(task(shipped, case, "assign_specialist"), user="truongphong_th",
                                  data={"chuyen_vien_xu_ly": "chuyenvien1", "y_kien_phan_cong": ""})
    shipped.runtime.complete_task(task(shipped, case, "specialist_handling"), user="chuyenvien1", data=RESULT)
    first = shipped.desk.page("truongphong_th", case, task(shipped, case, "head_review"))
    assert "ket_luan_truong_phong" not in first.opening
    shipped.runtime.complete_task(first.task.id, user="truongphong_th",
                                  data={"ket_luan_truong_phong": "tra_lai", "y_kien_truong_phong": "Bổ sung số liệu."})
    revision = shipped.desk.page("chuyenvien1", case, task(shipped, case, "specialist_handling"))
    assert revision.opening["ket_qua_xu_ly"] == RESULT["ket_qua_xu_ly"]  # marked keep: the report to revise
    assert revision.opening["y_kien_truong_phong"] == "Bổ sung số liệu."  # read-only: why it came back
    shipped.runtime.complete_task(revision.task.id, user="chuyenvien1", data=RESULT)
    second = shipped.desk.page("truongphong_th", case, task(shipped, case, "head_review"))
    assert second.case.data["ket_luan_truong_phong"] == "tra_lai"  # the task's data still holds it ...
    assert "ket_luan_truong_phong" not in second.opening  # ... the form does not show it
    assert "y_kien_truong_phong" not in second.opening

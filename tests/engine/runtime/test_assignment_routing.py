"""Work that cannot get lost: pick fields checked against the organisation, routing by the lead and co-ordinating
units, and a step the case loops back to going to whoever held it last (the shipped incoming-document procedure)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from engine.cases.attachments import Upload
from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.errors import InvalidInput, PermissionDenied
from engine.org.demo import DEMO_ORG
from engine.services import Services, build_services
from engine.settings import Settings
from engine.signing.sample import sample_document
from tests.conftest import ROOT

DOCUMENT: dict[str, Any] = {
    "so_ky_hieu": "125/UBND-VP", "ngay_ban_hanh": "2026-04-20", "ngay_den": "2026-04-21",
    "co_quan_ban_hanh": "Ủy ban nhân dân tỉnh", "loai_van_ban": "cong_van",
    "trich_yeu": "Về việc báo cáo kết quả chuyển đổi số quý I", "hinh_thuc_nhan": "dien_tu", "do_khan": "thuong",
    "do_mat": "thuong", "so_trang": 3, "da_kiem_tra_xac_thuc": True, "ghi_chu_tiep_nhan": "",
}
DIRECTION = {"huong_xu_ly": "giao_xu_ly", "y_kien_chi_dao": "Giao Phòng Tổng hợp chủ trì.", "don_vi_chu_tri": "PTH",
             "han_xu_ly": None, "don_vi_phoi_hop": ["PHC"], "bao_cao_ket_qua": "khong"}


@pytest.fixture
def shipped(settings: Settings, clock: VirtualClock) -> Iterator[Services]:
    """Services with the shipped procedures, forms and demo organisation."""
    built = build_services(replace(settings, forms_dir=ROOT / "forms"), clock=clock, verify_state=True)
    built.org.import_file(DEMO_ORG)
    built.deployment.deploy(collect_sources([ROOT / "processes" / "incoming_document.bpmn"]), deployed_by="test")
    yield built
    from tests.conftest import _empty_tables
    _empty_tables(built)
    built.close()


def open_tasks(services: Services, instance_id: int) -> list[tuple[str, str | None]]:
    return sorted((t.element_id, t.assignee) for t in services.queries.tasks(instance_id=instance_id))


def task(services: Services, instance_id: int, element: str, assignee: str | None = None) -> str:
    return next(t.id for t in services.queries.tasks(instance_id=instance_id)
                if t.element_id == element and (assignee is None or t.assignee == assignee))


def received(services: Services) -> int:
    """Register the incoming document with its PDF, as the clerk does (required for an electronic document)."""
    pdf = Upload("cv-125-ubnd-vp.pdf", io.BytesIO(sample_document().pdf))
    return services.starter.start("incoming_document", data=DOCUMENT, files={"tep_van_ban": [pdf]}, user="vanthu")


def directed(services: Services, direction: dict[str, Any] | None = None) -> int:
    case = received(services)
    services.runtime.complete_task(task(services, case, "leader_direction"), user="chanhvp",
                                   data=direction or DIRECTION)
    return case


def test_the_lead_units_head_assigns_and_each_coordinating_units_head_contributes(shipped: Services) -> None:
    case = directed(shipped, {**DIRECTION, "don_vi_chu_tri": "BTC", "don_vi_phoi_hop": ["PTH", "PHC"]})
    assert open_tasks(shipped, case) == [("assign_specialist", "truongban_tc"),
                                         ("coordinate_contribution", "truongphong_hc"),
                                         ("coordinate_contribution", "truongphong_th")]
    # only the lead unit's head sees the assignment: not every head of division
    assert [t.element_id for t in shipped.queries.tasks(user="truongphong_th")] == ["coordinate_contribution"]
    for head in ("truongphong_th", "truongphong_hc"):
        shipped.runtime.complete_task(task(shipped, case, "coordinate_contribution", head), user=head,
                                      data={"y_kien_don_vi": f"Ý kiến của {head}"})
    assert sorted(shipped.queries.instance(case).data["y_kien_phoi_hop"]) == [
        "Ý kiến của truongphong_hc", "Ý kiến của truongphong_th"]


def test_assigning_without_a_lead_unit_or_to_a_unit_not_in_the_organisation_is_refused(shipped: Services) -> None:
    case = received(shipped)
    direction = task(shipped, case, "leader_direction")
    with pytest.raises(InvalidInput) as missing:
        shipped.runtime.complete_task(direction, user="chanhvp", data={**DIRECTION, "don_vi_chu_tri": None})
    assert missing.value.fields == {"don_vi_chu_tri": ["Trường này là bắt buộc."]}
    with pytest.raises(InvalidInput) as unknown:
        shipped.runtime.complete_task(direction, user="chanhvp", data={**DIRECTION, "don_vi_phoi_hop": ["PKT"]})
    assert unknown.value.fields == {"don_vi_phoi_hop": ["Hãy chọn một đơn vị trong danh sách."]}
    # "for information" needs no lead unit
    shipped.runtime.complete_task(direction, user="chanhvp", data={**DIRECTION, "huong_xu_ly": "de_biet",
                                                                   "don_vi_chu_tri": None, "don_vi_phoi_hop": []})
    assert open_tasks(shipped, case) == [("close_and_file", None)]


@pytest.mark.parametrize("who", ["chuyenvien9", "vanthu", "chuyenvien_tc", ""])
def test_work_cannot_be_given_to_nobody_or_outside_the_unit(shipped: Services, who: str) -> None:
    case = directed(shipped)
    with pytest.raises(InvalidInput) as refused:
        shipped.runtime.complete_task(task(shipped, case, "assign_specialist"), user="truongphong_th",
                                      data={"chuyen_vien_xu_ly": who, "y_kien_phan_cong": ""})
    assert list(refused.value.fields) == ["chuyen_vien_xu_ly"]
    assert task(shipped, case, "assign_specialist")  # still open, still the head's


def test_the_picker_offers_exactly_what_the_server_accepts(shipped: Services) -> None:
    case = directed(shipped)
    form = shipped.catalogue.task_form(case, "assign_specialist")
    options = shipped.runtime.pick_options(form, "truongphong_th")["chuyen_vien_xu_ly"]
    assert [(o.value, o.label) for o in options] == [("chuyenvien2", "Đỗ Thị Giang"), ("chuyenvien1", "Hoàng Văn Em")]
    assert options[0].text == "Đỗ Thị Giang — Chuyên viên, Phòng Tổng hợp"


def test_a_step_returned_for_revision_goes_back_to_whoever_held_it_last(shipped: Services) -> None:
    case = directed(shipped, {**DIRECTION, "don_vi_phoi_hop": []})
    shipped.runtime.complete_task(task(shipped, case, "assign_specialist"), user="truongphong_th",
                                  data={"chuyen_vien_xu_ly": "chuyenvien1", "y_kien_phan_cong": ""})
    handling = task(shipped, case, "specialist_handling")
    shipped.work.delegate(handling, "chuyenvien1", "chuyenvien2")
    result = {"hinh_thuc_ket_qua": "bao_cao", "ket_qua_xu_ly": "Đã xử lý, báo cáo kết quả.", "tep_ket_qua": []}
    shipped.runtime.complete_task(handling, user="chuyenvien2", data=result)
    shipped.runtime.complete_task(task(shipped, case, "head_review"), user="truongphong_th",
                                  data={"ket_luan_truong_phong": "tra_lai", "y_kien_truong_phong": "Bổ sung số liệu."})
    assert ("specialist_handling", "chuyenvien2") in open_tasks(shipped, case)  # not the delegator chuyenvien1
    with pytest.raises(PermissionDenied):
        shipped.runtime.complete_task(task(shipped, case, "specialist_handling"), user="chuyenvien1", data=result)
    created = [h.data for h in shipped.queries.history(case)
               if h.kind == "task_created" and h.element_id == "specialist_handling"]
    assert created[-1]["assignee"] == "chuyenvien2"
    assert created[-1]["kept_holder"] is True and created[-1]["model_assignee"] == "chuyenvien1"

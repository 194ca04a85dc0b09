"""A case's data as its forms label it, and what a completed task decided (engine/cases/story.py)."""

from __future__ import annotations

from pathlib import Path

from engine.cases.story import HandOver, case_facts, decision_facts
from engine.forms import load_form
from engine.org.directory import Names
from engine.persistence.case_fields import case_reference, display_key
from engine.services import Services
from tests.engine.runtime import test_assignment_routing as routing
from tests.engine.runtime.test_assignment_routing import DIRECTION, directed, task

shipped = routing.shipped  # the fixture: the shipped incoming procedure, its forms, the demo organisation
FORMS = Path(__file__).resolve().parents[3] / "forms"
NAMES = Names(people={"truongphong_th": "Lê Văn Cường"}, people_units={"truongphong_th": "PTH"},
              groups={"lanh_dao": "Lãnh đạo"}, units={"PTH": "Phòng Tổng hợp", "BTC": "Ban Tổ chức Tỉnh ủy"})
FILE = {"name": "bao-cao.pdf", "size": 10, "content_type": "application/pdf", "sha256": "a" * 64}


def test_the_case_data_is_labelled_as_the_forms_label_it_once_in_form_order() -> None:
    registration = load_form(FORMS / "incoming_registration.form")
    review = load_form(FORMS / "incoming_head_review.form")
    data = {"so_ky_hieu": "12/UBND-VP", "trich_yeu": "Về việc báo cáo tháng 12", "do_khan": "thuong_khan",
            "ket_luan_truong_phong": "tra_lai", "y_kien_truong_phong": "Bổ sung số liệu", "tep_ket_qua": [FILE],
            "ghi_chu_tiep_nhan": "", "not_in_any_form": "x"}
    facts = case_facts([registration, review], data, NAMES)
    shown = {f.key: (f.label, f.text) for f in facts}
    assert shown["do_khan"] == ("Độ khẩn", "Thượng khẩn")  # an option by its label
    assert shown["ket_luan_truong_phong"] == ("Kết luận", "Trả lại, yêu cầu hoàn thiện")
    assert shown["y_kien_truong_phong"] == ("Ý kiến", "Bổ sung số liệu")
    assert [f.key for f in facts].count("trich_yeu") == 1 and "not_in_any_form" not in shown
    assert "ghi_chu_tiep_nhan" not in shown  # empty: left out
    (files,) = [f for f in facts if f.key == "tep_ket_qua"]
    assert files.files == [FILE] and files.text is None


def test_a_field_is_labelled_as_the_form_that_fills_it_not_one_that_shows_it_read_only() -> None:
    handling = load_form(FORMS / "incoming_handling.form")  # shows the head's remark read-only, as "when returning"
    review = load_form(FORMS / "incoming_head_review.form")  # where the head writes it
    data = {"y_kien_truong_phong": "Đồng ý."}
    assert [(f.label, f.text) for f in case_facts([handling, review], data, NAMES)
            if f.key == "y_kien_truong_phong"] == [("Ý kiến", "Đồng ý.")]


def test_a_decision_is_what_the_task_let_its_user_fill_not_what_it_showed() -> None:
    review = load_form(FORMS / "incoming_head_review.form")
    decided = decision_facts(review, {"ket_luan_truong_phong": "dong_y", "y_kien_truong_phong": "",
                                      "trich_yeu": "read-only, shown only"}, NAMES)
    assert [(f.label, f.text) for f in decided] == [("Kết luận", "Đồng ý")]
    direction = load_form(FORMS / "incoming_direction.form")
    decided = decision_facts(direction, {"huong_xu_ly": "giao_xu_ly", "y_kien_chi_dao": "Giao PTH chủ trì",
                                         "don_vi_chu_tri": "PTH", "don_vi_phoi_hop": ["BTC"]}, NAMES)
    shown = {f.label: f.text for f in decided}
    assert shown["Hướng xử lý"] == "Giao đơn vị xử lý" and shown["Ý kiến chỉ đạo (bút phê)"] == "Giao PTH chủ trì"
    assert shown["Đơn vị chủ trì"] == "Phòng Tổng hợp" and shown["Đơn vị phối hợp"] == "Ban Tổ chức Tỉnh ủy"
    assert decision_facts(None, {"x": 1}, NAMES) == []


def test_keys_and_case_references_read_as_people_write_them() -> None:
    assert display_key("12/UBND-VP|Ủy ban nhân dân tỉnh|2026") == "12/UBND-VP — Ủy ban nhân dân tỉnh — 2026"
    assert display_key("KND-001") == "KND-001" and display_key(None) is None
    assert case_reference(7, "Báo cáo") == "7 «Báo cáo»" and case_reference(7, None) == "7"
    assert NAMES.holder("truongphong_th") == "Lê Văn Cường (Phòng Tổng hợp)" and NAMES.person("ghost") == "ghost"
    assert NAMES.group_list(["lanh_dao", "user:truongphong_th"]) == "Lãnh đạo, Lê Văn Cường"


def test_dates_read_as_people_write_them() -> None:
    registration = load_form(FORMS / "incoming_registration.form")
    data = {"ngay_ban_hanh": "2026-04-28", "ngay_den": "2026-04-29"}
    shown = {f.key: f.text for f in case_facts([registration], data, NAMES)}
    assert shown == {"ngay_ban_hanh": "28/04/2026", "ngay_den": "29/04/2026"}
    in_english = {f.key: f.text for f in case_facts([registration], data, NAMES, locale="en")}
    assert in_english["ngay_den"] == "2026-04-29"


RESULT = {"hinh_thuc_ket_qua": "bao_cao", "ket_qua_xu_ly": "Đã xử lý, báo cáo kết quả.", "tep_ket_qua": []}
EM, GIANG, CUONG = "chuyenvien1", "chuyenvien2", "truongphong_th"


def specialist(services: Services, case: int) -> tuple[str | None, list[HandOver]]:
    """The story's "Chuyên viên xử lý" line: its text and hand-overs."""
    story = services.cases.story(services.cases.case(case, "truongphong_th"))
    (found,) = [f for f in story.facts if f.key == "chuyen_vien_xu_ly"]
    assert found.label == "Chuyên viên xử lý"
    return found.text, found.hand_overs


def assigned(services: Services) -> tuple[int, str]:
    """A case whose head gave the handling to chuyenvien1 (Hoàng Văn Em); the handling task's id."""
    case = directed(services, {**DIRECTION, "don_vi_phoi_hop": []})
    services.runtime.complete_task(task(services, case, "assign_specialist"), user="truongphong_th",
                                   data={"chuyen_vien_xu_ly": "chuyenvien1", "y_kien_phan_cong": ""})
    return case, task(services, case, "specialist_handling")


def test_the_story_names_the_specialist_who_did_the_work_after_a_delegation(shipped: Services) -> None:
    case, handling = assigned(shipped)
    assert specialist(shipped, case) == ("Hoàng Văn Em (Phòng Tổng hợp)", [])  # nobody passed it on: as chosen
    shipped.work.delegate(handling, "chuyenvien1", "chuyenvien2")
    assert shipped.desk.page("chuyenvien2", case, handling).hand_overs == [HandOver(EM, EM, GIANG)]  # task page
    shipped.runtime.complete_task(handling, user="chuyenvien2", data=RESULT)
    assert shipped.queries.instance(case).data["chuyen_vien_xu_ly"] == "chuyenvien1"  # the data keeps the choice
    assert specialist(shipped, case) == ("Đỗ Thị Giang (Phòng Tổng hợp)", [HandOver(EM, EM, GIANG)])
    # a second round goes to the last holder, and the story still names her
    shipped.runtime.complete_task(task(shipped, case, "head_review"), user="truongphong_th",
                                  data={"ket_luan_truong_phong": "tra_lai", "y_kien_truong_phong": "Bổ sung."})
    assert specialist(shipped, case) == ("Đỗ Thị Giang (Phòng Tổng hợp)", [HandOver(EM, EM, GIANG)])


def test_the_story_names_whom_the_head_reassigned_the_work_to_and_who_reassigned_it(shipped: Services) -> None:
    case, handling = assigned(shipped)
    shipped.analytics.reassign("truongphong_th", handling, "chuyenvien2")
    assert specialist(shipped, case) == ("Đỗ Thị Giang (Phòng Tổng hợp)", [HandOver(CUONG, EM, GIANG)])
    shipped.runtime.complete_task(handling, user="chuyenvien2", data=RESULT)
    assert specialist(shipped, case)[0] == "Đỗ Thị Giang (Phòng Tổng hợp)"


def test_work_given_back_to_whoever_delegated_it_is_theirs_again_in_the_story(shipped: Services) -> None:
    case, handling = assigned(shipped)
    shipped.work.delegate(handling, "chuyenvien1", "chuyenvien2")
    assert shipped.work.unclaim(handling, "chuyenvien2") == "chuyenvien1"  # back to the delegator
    assert specialist(shipped, case) == ("Hoàng Văn Em (Phòng Tổng hợp)",
                                         [HandOver(EM, EM, GIANG), HandOver(GIANG, GIANG, EM, released=True)])

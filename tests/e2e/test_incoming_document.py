"""An incoming document carried from registration to filing in a real browser (Chromium, through Playwright).

The clerk (vanthu) registers it, with a mistake first; the office head (chanhvp, a leader) takes the task from
the inbox and writes the direction; the head of the lead division (truongphong_th) assigns a specialist
(chuyenvien1), who reports; the head returns the work once; on the deadline day the reminder reaches the
specialist; the head then agrees and the clerk files the document. The case page shows the whole history.

The test writes the README's screenshots: docs/screenshots/inbox.png, task.png and case-history.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from playwright.sync_api import ConsoleMessage, Locator, Page, expect
from sqlalchemy import select

from engine.cases.attachments import Upload
from engine.persistence.models import Timer, TimerKind, TimerStatus
from engine.signing.sample import sample_document
from tests.conftest import ROOT
from tests.e2e.conftest import LiveApp

SCREENSHOTS = ROOT / "docs" / "screenshots"
PROCESS = "incoming_document"
SO_KY_HIEU = "125/UBND-VP"
TRICH_YEU = "Về việc báo cáo kết quả thực hiện chuyển đổi số quý I năm 2026"
RETURN_NOTE = "Bổ sung số liệu quý I của các sở, ngành."
# A small but real PDF: the attachment service checks content against the extension.
REPORT_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCUMENT_PDF = sample_document(title="CÔNG VĂN").pdf  # the incoming document itself, attached at registration
PDF_NAME = "cv-125-ubnd-vp.pdf"

OpenSession = Callable[[str], Page]


def test_incoming_document_from_registration_to_filing(live_app: LiveApp, open_session: OpenSession) -> None:
    problems: list[str] = []  # script errors and console errors (a CSP violation is one) on any page

    def signed_in(username: str) -> Page:
        page = open_session(username)
        page.on("pageerror", lambda error: problems.append(f"{username}: {error}"))
        page.on("console", lambda message: problems.append(f"{username}: {message.text} at {message.location}")
                if _unexpected(message) else None)
        return page

    _another_document_waiting(live_app)
    clerk = signed_in("vanthu")
    case_id = _register_with_a_mistake_first(clerk)

    live_app.clock.advance(timedelta(minutes=30))
    leader = signed_in("chanhvp")
    _claim_and_direct(leader, case_id)

    live_app.clock.advance(timedelta(hours=1))
    head = signed_in("truongphong_th")
    _complete_from_inbox(head, case_id, "Phân công chuyên viên xử lý", {
        "#field-y_kien_phan_cong": "Đồng chí Em nghiên cứu, dự thảo báo cáo.",
    }, choose={"#field-chuyen_vien_xu_ly": "chuyenvien1"})  # chosen by name from the unit's specialists
    # the co-ordinating unit's head gets a task of their own (filing waits for it)
    _complete_from_inbox(signed_in("truongphong_hc"), case_id, "Cho ý kiến phối hợp", {
        "#field-y_kien_don_vi": "Phòng Hành chính - Lưu trữ cung cấp số liệu văn bản đến quý I.",
    })

    live_app.clock.advance(timedelta(hours=1))
    specialist = signed_in("chuyenvien1")
    _first_report(specialist, case_id)

    live_app.clock.advance(timedelta(minutes=30))
    _review(head, case_id, verdict="tra_lai", note=RETURN_NOTE)

    _deadline_day_comes(live_app, case_id)
    _reminder_and_second_report(specialist, case_id)

    live_app.clock.advance(timedelta(minutes=30))
    _review(head, case_id, verdict="dong_y", note="Đồng ý, trình ký gửi Ủy ban nhân dân tỉnh.")

    live_app.clock.advance(timedelta(minutes=30))
    _complete_from_inbox(clerk, case_id, "Cập nhật kết quả, lưu hồ sơ", {"#field-ma_ho_so": "2026.VP.01"},
                         tick=["#field-da_cap_nhat_so"])
    _case_completed_with_history(clerk, case_id)
    assert problems == []


# -- the steps -----------------------------------------------------------------------------------------------
def _another_document_waiting(live_app: LiveApp) -> None:
    """An urgent document registered just before, so that the leaders' inbox holds more than one task."""
    live_app.services.starter.start(PROCESS, user="vanthu", data={
        "so_ky_hieu": "88/SNV-VP", "ngay_ban_hanh": "2026-04-28", "ngay_den": "2026-04-29",
        "co_quan_ban_hanh": "Sở Nội vụ", "loai_van_ban": "giay_moi",
        "trich_yeu": "Mời dự hội nghị triển khai công tác cải cách hành chính năm 2026",
        "hinh_thuc_nhan": "dien_tu", "do_khan": "khan", "do_mat": "thuong", "so_trang": 2,
        "da_kiem_tra_xac_thuc": True, "ghi_chu_tiep_nhan": ""},
        files={"tep_van_ban": [Upload("giay-moi-88.pdf", io.BytesIO(DOCUMENT_PDF))]})


def _register_with_a_mistake_first(page: Page) -> int:
    """The clerk starts the procedure from the catalogue, attaching the document's PDF; a malformed number and an
    arrival before the issue date are refused field by field, and the PDF must be chosen again."""
    page.click("#nav-start")
    page.click(f"#start-button-{PROCESS}")
    expect(page.locator("#start-form")).to_be_visible()
    expect(page.locator("#field-ngay_den")).to_have_attribute("max", "2026-04-29")  # not in the future
    page.fill("#field-so_ky_hieu", "125 UBND VP")  # the mistake: no "/" between number and notation
    page.fill("#field-ngay_ban_hanh", "2026-04-27")
    page.fill("#field-ngay_den", "2026-04-26")  # and another: received before it was issued
    page.set_input_files("#field-tep_van_ban", files=[
        {"name": PDF_NAME, "mimeType": "application/pdf", "buffer": DOCUMENT_PDF}])
    page.fill("#field-co_quan_ban_hanh", "Ủy ban nhân dân tỉnh")
    page.select_option("#field-loai_van_ban", "cong_van")
    page.fill("#field-trich_yeu", TRICH_YEU)
    page.fill("#field-so_trang", "3")
    page.check("#field-da_kiem_tra_xac_thuc")
    page.click("#start-submit")

    error = page.locator("#field-so_ky_hieu-error")
    expect(error).to_contain_text("Số, ký hiệu phải có dạng số/ký hiệu")
    expect(page.locator("#field-so_ky_hieu")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-so_ky_hieu")).to_have_value("125 UBND VP")  # what was typed is kept
    expect(page.locator("#field-trich_yeu")).to_have_value(TRICH_YEU)
    expect(page.locator("#field-loai_van_ban")).to_have_value("cong_van")
    expect(page.locator("#field-da_kiem_tra_xac_thuc")).to_be_checked()
    expect(page.locator("#field-co_quan_ban_hanh-error")).to_have_count(0)
    expect(page.locator("#field-ngay_den-error")).to_have_text("Ngày không được trước Ngày ban hành.")
    expect(page.locator("#field-tep_van_ban-error")).to_contain_text("Hãy chọn lại tệp")

    page.fill("#field-so_ky_hieu", SO_KY_HIEU)
    page.fill("#field-ngay_den", "2026-04-29")
    page.set_input_files("#field-tep_van_ban", files=[
        {"name": PDF_NAME, "mimeType": "application/pdf", "buffer": DOCUMENT_PDF}])
    page.click("#start-submit")
    expect(page.locator("#case-status")).to_have_attribute("data-status", "running")
    expect(page.locator("#flash-messages")).to_contain_text("Đã khởi tạo hồ sơ")
    case_id = int(re.search(r"/cases/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    expect(page.locator("#case-open-tasks")).to_contain_text("Cho ý kiến chỉ đạo (bút phê)")
    expect(page.locator("#case-key")).to_contain_text(SO_KY_HIEU)
    return case_id


def _claim_and_direct(page: Page, case_id: int) -> None:
    """The leader takes the task offered to the leaders' group (htmx, in the inbox row) and gives the direction."""
    page.click("#nav-inbox")
    row = _row(page, case_id, "Cho ý kiến chỉ đạo (bút phê)")
    task_id = row.get_attribute("data-task-id")
    rows = page.locator("#inbox-table tbody tr")
    expect(rows).to_have_count(2)  # with the urgent document, due today at 15:00: earliest deadline first
    expect(rows.first).to_contain_text("88/SNV-VP")
    expect(rows.last).to_contain_text(SO_KY_HIEU)
    row.locator(f"#claim-button-{task_id}").click()
    expect(row.locator(f"#unclaim-{task_id}")).to_be_visible()  # the row now says it is the leader's
    expect(row).to_contain_text("Trần Thị Bình")  # by full name, not the username
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"))

    row.locator(".task-link").click()
    expect(page.locator("#task-title")).to_have_text("Cho ý kiến chỉ đạo (bút phê)")
    expect(page.locator("#field-so_ky_hieu")).to_have_value(SO_KY_HIEU)  # the clerk's data, read-only
    expect(page.locator("#field-ngay_den")).to_have_value("29/04/2026")  # a read-only date, whole, as written
    expect(page.locator("#field-tep_van_ban-kept")).to_contain_text(PDF_NAME)  # the document itself, from the start
    expect(page.locator("#unclaim-button")).to_be_visible()
    page.fill("#field-y_kien_chi_dao",
              "Giao Phòng Tổng hợp chủ trì, phối hợp Phòng Hành chính - Lưu trữ tham mưu báo cáo.")
    page.select_option("#field-don_vi_chu_tri", "PTH")
    page.fill("#field-han_xu_ly", "2026-05-08")
    page.select_option("#field-don_vi_phoi_hop", ["PHC"])  # Phòng Hành chính - Lưu trữ, from the organisation
    expect(page.locator("#draft-status")).to_contain_text("Đã lưu nháp")  # the draft saved before completing
    _wait_for_diagram(page, current="leader_direction", finished="assign_arrival_number")
    page.screenshot(path=str(SCREENSHOTS / "task.png"), full_page=True)
    _submit(page, "Cho ý kiến chỉ đạo (bút phê)")


def _first_report(page: Page, case_id: int) -> None:
    """The specialist reports, attaching the draft reply; the task was assigned to them by name."""
    page.click("#nav-inbox")
    row = _row(page, case_id, "Xử lý văn bản, báo cáo kết quả")
    expect(row).to_contain_text("Hoàng Văn Em")
    row.locator(".task-link").click()
    expect(page.locator("#field-y_kien_phan_cong")).to_have_value("Đồng chí Em nghiên cứu, dự thảo báo cáo.")
    page.select_option("#field-hinh_thuc_ket_qua", "du_thao_van_ban_di")
    page.fill("#field-ket_qua_xu_ly", "Đã dự thảo báo cáo kết quả chuyển đổi số quý I.")
    page.set_input_files("#field-tep_ket_qua", files=[
        {"name": "du-thao-bao-cao.pdf", "mimeType": "application/pdf", "buffer": REPORT_PDF}])
    _submit(page, "Xử lý văn bản, báo cáo kết quả")


def _review(page: Page, case_id: int, *, verdict: str, note: str) -> None:
    """The head of division reviews the result: ``tra_lai`` returns it to the specialist, ``dong_y`` agrees."""
    page.click("#nav-inbox")
    _row(page, case_id, "Xem xét kết quả xử lý").locator(".task-link").click()
    expect(page.locator("#field-ket_qua_xu_ly")).to_contain_text("Đã dự thảo báo cáo")
    decision = page.locator(f"#field-ket_luan_truong_phong-{1 if verdict == 'dong_y' else 2}")
    expect(decision).not_to_be_checked()  # a review starts empty, also the second time round
    expect(page.locator("#field-y_kien_truong_phong")).to_have_value("")
    decision.check()
    page.fill("#field-y_kien_truong_phong", note)
    if verdict == "tra_lai":  # sending back is asked again, on the same form
        page.click("#complete-button")
        expect(page.locator("#confirm-panel")).to_contain_text("Trả lại, yêu cầu hoàn thiện")
        expect(page.locator("#field-y_kien_truong_phong")).to_have_value(note)
    _submit(page, "Xem xét kết quả xử lý")


def _deadline_day_comes(live_app: LiveApp, case_id: int) -> None:
    """Time passes to the reminder before the handling deadline (8 May, 17:00); the worker fires what is due."""
    services = live_app.services
    (task,) = [t for t in services.queries.tasks(instance_id=case_id) if t.element_id == "specialist_handling"]
    with services.db.read() as session:
        reminder = session.execute(select(Timer.due_at).where(
            Timer.task_id == task.id, Timer.kind == TimerKind.REMINDER, Timer.status == TimerStatus.PENDING)
        ).scalar_one()
    deadline = datetime(2026, 5, 8, 10, 0, tzinfo=UTC)  # 17:00 in Hanoi
    assert reminder.astimezone(UTC) < deadline
    live_app.clock.set(reminder)
    assert services.timers.fire_due() >= 1  # what `procflow worker` does when timers fall due


def _reminder_and_second_report(page: Page, case_id: int) -> None:
    """The specialist sees the reminder, finds the returned task with the head's note, and reports again."""
    page.click("#nav-inbox")
    expect(page.locator("#unread-count")).to_be_visible()
    page.click("#nav-notifications")
    reminder = page.locator("#notifications-list li").filter(has_text="Xử lý văn bản, báo cáo kết quả")
    expect(reminder).to_contain_text(f"hồ sơ #{case_id}")
    expect(reminder).to_contain_text("đến hạn lúc 17:00 08/05/2026")

    page.click("#nav-inbox")
    row = _row(page, case_id, "Xử lý văn bản, báo cáo kết quả")
    expect(row).to_contain_text("Sắp đến hạn")
    row.locator(".task-link").click()
    expect(page.locator("#field-y_kien_truong_phong")).to_have_value(RETURN_NOTE)  # why it came back
    expect(page.locator("#field-tep_ket_qua-kept")).to_contain_text("du-thao-bao-cao.pdf")  # kept from round one
    page.fill("#field-ket_qua_xu_ly", "Đã dự thảo báo cáo kết quả chuyển đổi số quý I, bổ sung số liệu của "
                                      "các sở, ngành; trình ký gửi Ủy ban nhân dân tỉnh.")
    _submit(page, "Xử lý văn bản, báo cáo kết quả")


def _case_completed_with_history(page: Page, case_id: int) -> None:
    """The clerk's case page: completed, and every step in the history."""
    page.goto(f"/cases/{case_id}")
    expect(page.locator("#case-status")).to_have_attribute("data-status", "completed")
    history = page.locator("#case-history")
    for line in ("Khởi tạo hồ sơ", "Nhận công việc: Cho ý kiến chỉ đạo (bút phê)",
                 "Hoàn thành công việc: Cho ý kiến chỉ đạo (bút phê)",
                 "Hoàn thành công việc: Phân công chuyên viên xử lý", "Đã gửi nhắc việc",
                 "Hoàn thành công việc: Cập nhật kết quả, lưu hồ sơ", "Hồ sơ hoàn thành"):
        expect(history).to_contain_text(line)
    items = history.locator(".timeline__item")
    # The returned work: handled twice, reviewed twice.
    expect(items.filter(has_text="Hoàn thành công việc: Xử lý văn bản, báo cáo kết quả")).to_have_count(2)
    expect(items.filter(has_text="Hoàn thành công việc: Xem xét kết quả xử lý")).to_have_count(2)
    for actor in ("Vũ Thị Hoa", "Trần Thị Bình", "Lê Văn Cường", "Hoàng Văn Em"):  # full names, not usernames
        expect(items.filter(has_text=actor).first).to_be_visible()
    expect(page.locator("#files-list")).to_contain_text("du-thao-bao-cao.pdf")
    _wait_for_diagram(page, current=None, finished="end_filed")
    history.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.getElementById('case-history').getBoundingClientRect().top"
                  " + window.scrollY - 16)")
    page.screenshot(path=str(SCREENSHOTS / "case-history.png"))


# -- helpers -------------------------------------------------------------------------------------------------
def _unexpected(message: ConsoleMessage) -> bool:
    """A console error other than the refused registration's 422 and the missing favicon."""
    url = message.location.get("url", "")
    expected = url.endswith("/favicon.ico") or (url.endswith(f"/start/{PROCESS}") and "422" in message.text)
    return message.type == "error" and not expected


def _row(page: Page, case_id: int, task_name: str) -> Locator:
    """The inbox row of the case's open task named ``task_name`` (exactly one)."""
    row = (page.locator("#inbox-table tbody tr")
           .filter(has=page.locator(f'a[href="/cases/{case_id}"]'))
           .filter(has=page.get_by_role("link", name=task_name, exact=True)))
    expect(row).to_have_count(1)
    return row


def _complete_from_inbox(page: Page, case_id: int, task_name: str, fill: dict[str, str],
                         tick: Sequence[str] = (), choose: dict[str, str] | None = None) -> None:
    """Open the task from the inbox, fill the fields, choose from lists, tick the boxes and complete it."""
    page.click("#nav-inbox")
    _row(page, case_id, task_name).locator(".task-link").click()
    expect(page.locator("#task-title")).to_have_text(task_name)
    for selector, value in fill.items():
        page.fill(selector, value)
    for selector, value in (choose or {}).items():
        page.select_option(selector, value)
    for selector in tick:
        page.check(selector)
    _submit(page, task_name)


def _submit(page: Page, task_name: str) -> None:
    """Complete the open task page; the app goes back to the inbox and says so."""
    page.click("#complete-button")
    expect(page.locator("#flash-messages")).to_contain_text(f"Đã hoàn thành công việc “{task_name}”")
    expect(page).to_have_url(re.compile(r"/inbox/?$"))


def _wait_for_diagram(page: Page, *, current: str | None, finished: str) -> None:
    """Wait for bpmn-js to draw the case's diagram, with its finished and current steps marked."""
    diagram = page.locator("#case-diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(diagram.locator("svg").first).to_be_visible()
    expect(diagram.locator(f'g.djs-element[data-element-id="{finished}"].is-finished')).to_have_count(1)
    if current:
        expect(diagram.locator(f'g.djs-element[data-element-id="{current}"].is-current')).to_have_count(1)

"""Handing a task to a colleague chosen by name, in a real browser (Chromium, through Playwright): the office head
opens the picker on the task page, types part of a name without accents, htmx narrows the list as she types, and
she chooses and hands over with the keyboard alone.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveApp, register_invitation

OpenSession = Callable[[str], Page]


def test_the_office_head_hands_a_task_to_a_colleague_found_by_name(live_app: LiveApp,
                                                                    open_session: OpenSession) -> None:
    services = live_app.services
    case = register_invitation(services)
    (task,) = services.queries.tasks(instance_id=case)  # the leader's direction, offered to the leaders
    page = open_session("chanhvp")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    task_url = f"/tasks/{case}/{task.id}"
    page.goto(task_url)

    page.click("#delegate-summary")
    listed = page.locator("#delegate-to option")
    # The other leaders first (Bùi Văn Khánh, Nguyễn Văn An), then the office (Văn phòng Tỉnh ủy), then the others.
    expect(listed.nth(0)).to_have_text("Bùi Văn Khánh — Trưởng ban Tổ chức, Ban Tổ chức Tỉnh ủy")
    expect(listed.nth(1)).to_have_attribute("value", "bithu")
    expect(listed.nth(2)).to_have_attribute("value", "quantri")

    page.locator("#delegate-q").press_sequentially("le cuong")  # no accents needed
    expect(listed).to_have_count(1)  # htmx asked for the list alone while she typed
    expect(listed.first).to_have_text("Lê Văn Cường — Trưởng phòng Tổng hợp, Phòng Tổng hợp")
    expect(page.locator("#delegate-count")).to_have_text("Tìm thấy 1 đồng chí")
    assert page.url.endswith(task_url)  # the page itself did not reload

    page.keyboard.press("Tab")  # the search button
    page.keyboard.press("Tab")  # the list
    expect(page.locator("#delegate-to")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("#delegate-to")).to_have_value("truongphong_th")
    page.keyboard.press("Tab")
    expect(page.locator("#delegate-button")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#flash-messages")).to_contain_text("Đã chuyển công việc cho đồng chí Lê Văn Cường.")
    assert services.queries.tasks(instance_id=case)[0].assignee == "truongphong_th"
    assert [n.kind for n in services.notifications.list_for("truongphong_th").rows] == ["delegated"]
    assert errors == []

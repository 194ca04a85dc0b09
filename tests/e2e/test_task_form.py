"""The task form's draft autosave and the completion, in a real browser (Chromium, through Playwright): a change
made just before "Complete task" leaves an autosave waiting for its delay; when the completion's answer is slow
(signing, a loaded server) the task is gone before that delay ends, and the page must neither send the save nor
log the 404 it would get.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import LiveApp, register_invitation

OpenSession = Callable[[str], Page]
HELD = 2.5  # seconds the completion's answer is held: longer than the autosave's 1 s delay after a change


def test_an_autosave_pending_when_the_task_is_completed_is_dropped(live_app: LiveApp,
                                                                    open_session: OpenSession) -> None:
    services = live_app.services
    case = register_invitation(services)
    (task,) = services.queries.tasks(instance_id=case)  # the leader's direction
    services.work.claim(task.id, "chanhvp", instance_id=case)
    page = open_session("chanhvp")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"/tasks/{case}/{task.id}")
    page.fill("#field-y_kien_chi_dao", "Giao Phòng Tổng hợp chủ trì tham mưu.")
    page.fill("#field-han_xu_ly", "2026-05-08")
    expect(page.locator("#draft-status")).to_contain_text("Đã lưu nháp")  # the autosave works on this page

    drafts_after_submit: list[str] = []

    def held(route: Route) -> None:
        """The completion is done by the server at once; its answer reaches the browser HELD seconds later."""
        if route.request.method != "POST":
            route.continue_()
            return
        page.on("request", lambda r: drafts_after_submit.append(r.url) if r.url.endswith("/draft") else None)
        answer = route.fetch(max_redirects=0)
        time.sleep(HELD)
        route.fulfill(response=answer)

    page.route(re.compile(rf"/tasks/{case}/{re.escape(task.id)}$"), held)
    page.select_option("#field-don_vi_chu_tri", "PTH")  # a change: an autosave 1 s from now
    page.click("#complete-button")
    expect(page.locator("#flash-messages")).to_contain_text("Đã hoàn thành công việc “Cho ý kiến chỉ đạo (bút phê)”",
                                                            timeout=60_000)
    assert services.queries.tasks(instance_id=case)[0].element_id != task.element_id  # the task was completed
    assert drafts_after_submit == []  # the waiting autosave was dropped, not sent to a task that is gone
    assert errors == []

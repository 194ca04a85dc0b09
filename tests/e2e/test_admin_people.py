"""An administrator in a real browser (Chromium, through Playwright) deactivates someone who left — whose open
session stops at once —, reactivates them and issues a one-time password link, which sets a new password once and
is refused the second time.

The test writes docs/screenshots/admin-person.png (the person's page with the link just issued).
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Browser, Page, expect

from tests.conftest import ROOT
from tests.e2e.conftest import PASSWORD, VIEWPORT, LiveApp

SCREENSHOTS = ROOT / "docs" / "screenshots"
ADMIN, LEAVER = "quantri", "chuyenvien1"
NEW_PASSWORD = "mat-khau-moi-2027"

OpenSession = Callable[[str], Page]


def test_the_administrator_deactivates_a_user_and_issues_a_password_link(
        live_app: LiveApp, open_session: OpenSession, browser: Browser) -> None:
    live_app.services.accounts.set_password(ADMIN, PASSWORD)
    admin, leaver = open_session(ADMIN), open_session(LEAVER)
    errors: list[str] = []
    admin.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    admin.goto(f"/admin/people/{LEAVER}")
    expect(admin.locator("#person-deactivate")).to_be_hidden()  # one click does not deactivate: it asks first
    admin.click("#deactivate-open")
    admin.click("#person-deactivate")
    expect(admin.locator("#person-activate")).to_be_visible()
    expect(admin.locator("#person-reset")).to_have_count(0)
    assert live_app.services.accounts.account(LEAVER) is None  # no sign-in any more
    leaver.goto("/inbox/")
    expect(leaver.locator("#login-form")).to_be_visible()  # the open session ended with the deactivation

    admin.click("#person-activate")
    expect(admin.locator("#deactivate-open")).to_be_visible()
    admin.click("#person-reset")
    link = admin.locator("#reset-link-url").inner_text().strip()
    assert "/password/reset/" in link
    admin.screenshot(path=str(SCREENSHOTS / "admin-person.png"), full_page=True)

    context = browser.new_context(viewport=VIEWPORT, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    try:
        page = context.new_page()
        page.goto(link)
        expect(page.locator("#reset-user")).to_contain_text(LEAVER)
        page.fill("#pw-new", NEW_PASSWORD)
        page.fill("#pw-again", NEW_PASSWORD)
        page.click("#reset-submit")
        expect(page.locator("#login-form")).to_be_visible()
        page.fill("#username", LEAVER)
        page.fill("#password", NEW_PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#logout-button")).to_be_visible()
        page.goto(link)  # one time only
        expect(page.locator("#reset-invalid")).to_be_visible()
    finally:
        context.close()
    assert live_app.services.accounts.authenticate(LEAVER, NEW_PASSWORD).username == LEAVER
    assert errors == []

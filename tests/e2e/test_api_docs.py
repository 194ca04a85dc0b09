"""The API's interactive page in a real browser: Swagger UI loads from the app itself (no CDN) under the app's
Content-Security-Policy, lists the operations, and reads the API with the signed-in session."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveApp

OpenSession = Callable[[str], Page]


def test_the_docs_page_shows_the_operations_without_csp_errors(live_app: LiveApp,
                                                               open_session: OpenSession) -> None:
    page = open_session("chanhvp")
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/api/v1/docs")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/cases/{instance_id}")).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="api_tasks")).to_be_visible()
    assert errors == []

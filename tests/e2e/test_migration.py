"""The migration page in a real browser (Chromium, through Playwright): a designer sees the plan refused for a
renamed step, maps it, checks it with a dry run and runs it; the cases move to the new version.

The demo organisation's ``quantri`` is an administrator and a designer (group ``thiet_ke``). The test writes the
screenshot docs/screenshots/migration.png.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from engine.deployment.service import collect_sources
from tests.conftest import FIXTURES, ROOT
from tests.e2e.conftest import PASSWORD, LiveApp

SCREENSHOTS = ROOT / "docs" / "screenshots"
DESIGNER = "quantri"

OpenSession = Callable[[str], Page]


def test_a_designer_maps_a_renamed_step_dry_runs_and_migrates(live_app: LiveApp, open_session: OpenSession) -> None:
    services = live_app.services
    services.deployment.deploy(collect_sources([FIXTURES / "migration" / "v1.bpmn"]))
    cases = [services.runtime.start("ho_so", data={"path": path}) for path in ("review", "sub", "wait")]
    services.deployment.deploy(collect_sources([FIXTURES / "migration" / "v3_renamed.bpmn"]))
    services.accounts.set_password(DESIGNER, PASSWORD)
    page = open_session(DESIGNER)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto("/migration/ho_so/1/2")
    expect(page.locator("#migration-problems")).to_contain_text("review")
    expect(page.locator("#migration-run")).to_have_count(0)
    page.fill("#mapping", "review=examine\ncheck=verify")
    page.click("#migration-dry-run")
    expect(page.locator("#migration-valid")).to_be_visible()
    for case in cases:
        expect(page.locator(f"#dry-{case}")).to_be_visible()
    expect(page.locator(f"#dry-{cases[0]}")).to_contain_text("review → examine")
    page.screenshot(path=str(SCREENSHOTS / "migration.png"), full_page=True)
    expect(page.locator("#migration-run")).to_be_hidden()  # behind a disclosure that says what will happen
    page.click("#migration-run-details summary")
    expect(page.locator("#migration-run-warning")).to_contain_text("phiên bản")
    page.click("#migration-run")

    expect(page.locator("#run-progress")).to_have_attribute("data-status", "done")
    for case in cases:
        expect(page.locator(f"#run-case-{case}")).to_have_attribute("data-status", "migrated")
    assert [services.queries.instance(case).version for case in cases] == [2, 2, 2]
    assert errors == []

"""The administrators' page in a real browser (Chromium, through Playwright): a failed case is found, its data
corrected and the case run again, all without a line of script on the page.

The failing procedure is tests/fixtures/failing_script.bpmn (``quotient = 10 / divisor``): a divisor of 0 stops the
case at ``divide``. The demo organisation's administrator is ``quantri`` (engine/data/demo_org.yaml).

The test writes the README's screenshot docs/screenshots/admin.png.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from engine.deployment.service import collect_sources
from tests.conftest import FIXTURES, ROOT
from tests.e2e.conftest import PASSWORD, LiveApp

SCREENSHOTS = ROOT / "docs" / "screenshots"
ADMIN = "quantri"

OpenSession = Callable[[str], Page]


def test_the_administrator_runs_a_failed_case_again(live_app: LiveApp, open_session: OpenSession) -> None:
    services = live_app.services
    services.deployment.deploy(collect_sources([FIXTURES / "failing_script.bpmn"]))
    case = services.runtime.start("failing", user="vanthu")
    (enter,) = services.queries.tasks(instance_id=case)
    services.runtime.complete_task(enter.id, user="vanthu", data={"divisor": 0})
    services.accounts.set_password(ADMIN, PASSWORD)
    page = open_session(ADMIN)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.click("#nav-admin")
    row = page.locator(f"#admin-case-{case}")
    expect(row).to_have_attribute("data-status", "error")
    expect(page.locator(f"#admin-error-{case}")).to_have_attribute("data-element", "divide")
    expect(page.locator(f"#admin-error-{case}")).to_contain_text("division by zero")
    page.click(f"#retry-details-{case} summary")
    page.fill(f"#retry-form-{case} textarea[name=data]", '{"divisor": 5}')
    page.screenshot(path=str(SCREENSHOTS / "admin.png"), full_page=True)
    page.click(f"#retry-{case}")

    expect(page.locator("#flash-messages")).to_contain_text(f"#{case}")
    expect(page.locator(f"#admin-case-{case}")).to_have_count(0)  # no longer among the failed cases
    view = services.queries.instance(case)
    assert view.status == "running" and [t.element_id for t in view.open_tasks] == ["check"]
    assert view.data["quotient"] == 2
    assert errors == []

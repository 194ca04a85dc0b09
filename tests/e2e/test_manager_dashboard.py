"""The managers' dashboard and bottleneck heatmap in a real browser (Chromium, through Playwright).

The agency leader (bithu, head of the top-level unit TU) looks at a quarter of incoming documents: history rows
and open tasks are inserted directly (as the engine's analytics tests do), on the deployed ``incoming_document``
procedure, with waits and deadlines drawn from a seeded random generator and lateness counted by the business
calendar. The dashboard's charts are drawn in the browser from the JSON endpoints; the heatmap colours every step
of the procedure's diagram. A reminder goes out from "deadlines now" in one click.

The test writes the README's screenshots: docs/screenshots/dashboard.png and heatmap.png.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import insert, select

from engine.calendar.working_time import WorkingCalendar
from engine.persistence.models import HistoryEvent, InboxTask, Instance, ProcessVersion
from engine.services import Services
from tests.conftest import ROOT
from tests.e2e.conftest import PASSWORD, LiveApp

SCREENSHOTS = ROOT / "docs" / "screenshots"
PROCESS = "incoming_document"
LEADER = "bithu"
# The procedure's steps in order: (element, name, who does it, typical wait in hours, hours allowed).
STEPS = [
    ("stamp_and_digitize", "Đóng dấu Đến, số hóa văn bản giấy", ("vanthu",), 3, 8),
    ("leader_direction", "Cho ý kiến chỉ đạo (bút phê)", ("chanhvp", "bithu"), 14, 24),
    ("assign_specialist", "Phân công chuyên viên xử lý", ("truongphong_th",), 6, 16),
    ("specialist_handling", "Xử lý văn bản, báo cáo kết quả", ("chuyenvien1", "chuyenvien2"), 80, 120),
    ("head_review", "Xem xét kết quả xử lý", ("truongphong_th",), 16, 24),
    ("leader_review", "Xem xét báo cáo kết quả", ("chanhvp", "bithu"), 22, 24),
    ("close_and_file", "Cập nhật kết quả, lưu hồ sơ", ("vanthu",), 4, 16),
]
UNITS = {"vanthu": "PHC", "chanhvp": "VP", "bithu": "TU", "truongphong_th": "PTH", "chuyenvien1": "PTH",
         "chuyenvien2": "PTH"}
FINISHED_CASES = 70
OPEN_CASES = 14

OpenSession = Callable[[str], Page]


def test_the_leader_sees_charts_and_the_heatmap(live_app: LiveApp, open_session: OpenSession) -> None:
    _seed_a_quarter(live_app.services, live_app.clock.now())
    live_app.services.accounts.set_password(LEADER, PASSWORD)
    page = open_session(LEADER)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.click("#nav-manage")
    expect(page.locator("#manage-scope")).to_have_attribute("data-scope", "agency")
    expect(page.locator("#chart-trend")).to_have_attribute("data-ready", "true")
    expect(page.locator("#chart-unit-rates")).to_have_attribute("data-ready", "true")
    assert page.locator("#chart-trend svg rect.chart__bar").count() == 12  # one column per finished week
    assert page.locator("#chart-unit-rates svg rect.chart__bar").count() == 4  # TU, VP, PTH, PHC
    assert int(page.locator("#tile-overdue .tile__value").inner_text()) > 0
    assert int(page.locator("#tile-due-soon .tile__value").inner_text()) == 2
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)

    page.click(f"#procedure-{PROCESS} a")
    heatmap = page.locator("#heatmap")
    expect(heatmap).to_have_attribute("data-ready", "true")
    expect(heatmap).to_have_attribute("data-coloured", str(len(STEPS)))
    assert page.locator("#heatmap .djs-element.heat-5").count() >= 1  # the slowest step is the darkest
    assert page.locator("#heatmap .heat-badge").count() == len(STEPS)
    assert page.locator("#heatmap-legend li").count() == 6
    expect(page.locator("#bottleneck-table tbody tr").first).to_have_id("step-specialist_handling")
    _screenshot(page, "#heatmap-section", "#bottleneck-steps", "heatmap.png")

    page.select_option("#bottleneck-measure", "late")
    page.click("#bottleneck-submit")
    expect(page.locator("#heatmap")).to_have_attribute("data-ready", "true")

    page.click("#tab-deadlines")
    first = page.locator("#deadlines-tasks-table tbody tr").first
    task_id = first.get_attribute("data-task-id")
    page.click(f"#remind-{task_id}")
    expect(page.locator("#flash-messages")).to_contain_text("Đã nhắc việc")
    assert errors == []


def _screenshot(page: Page, first: str, last: str, name: str) -> None:
    """Save the part of the page from the top of ``first`` to the bottom of ``last``."""
    top, bottom = page.locator(first).bounding_box(), page.locator(last).bounding_box()
    assert top is not None and bottom is not None
    scroll = page.evaluate("window.scrollY")
    margin = 16
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True,
                    clip={"x": top["x"] - margin, "y": top["y"] + scroll - margin, "width": top["width"] + 2 * margin,
                          "height": bottom["y"] + bottom["height"] - top["y"] + 2 * margin})


def _seed_a_quarter(services: Services, now: datetime) -> None:
    """Finished and open incoming documents over the fourteen weeks before ``now``."""
    rng = random.Random(2026)
    calendar = services.calendar.calendar()
    with services.db.transaction() as conn:
        version = conn.execute(select(ProcessVersion.id).where(ProcessVersion.process_id == PROCESS)
                               .order_by(ProcessVersion.version.desc())).scalars().first()
        cases, done, waiting = [], [], []
        for n in range(1, FINISHED_CASES + OPEN_CASES + 1):
            finished = n <= FINISHED_CASES
            if finished:
                started = now - timedelta(days=98) + timedelta(hours=rng.uniform(0, 86 * 24))
                steps = len(STEPS)
            elif n > FINISHED_CASES + OPEN_CASES - 2:  # just registered: due later today
                started, steps = now - timedelta(hours=rng.uniform(1, 3)), 1
            else:
                started = now - timedelta(days=35) + timedelta(hours=rng.uniform(0, 30 * 24))
                steps = rng.randrange(1, len(STEPS))
            moment = started
            for index, (element, _, actors, typical, allowed) in enumerate(STEPS[:steps]):
                actor = rng.choice(actors)
                due = moment + timedelta(hours=allowed)
                if index == steps - 1 and not finished:
                    waiting.append(_open(n, element, actor, moment, due, rng))
                    break
                completed = moment + timedelta(hours=rng.lognormvariate(0, 0.6) * typical)
                done.append(_completion(n, element, actor, moment, due, completed, calendar))
                moment = completed
            cases.append(_case(n, version, started, moment if finished else None))
        conn.execute(insert(Instance), cases)
        conn.execute(insert(HistoryEvent), done)
        conn.execute(insert(HistoryEvent), [{"instance_id": c["id"], "at": c["ended_at"],
                                             "kind": "instance_completed", "actor": "vanthu"}
                                            for c in cases if c["ended_at"] is not None])
        conn.execute(insert(InboxTask), waiting)


def _case(n: int, version: int, started: datetime, ended: datetime | None) -> dict[str, Any]:
    return {"id": n, "process_version_id": version, "process_id": PROCESS, "business_key": f"{100 + n}/UBND-VP",
            "summary": f"Văn bản đến số {100 + n}", "status": "completed" if ended else "running",
            "started_by": "vanthu", "started_at": started, "updated_at": ended or started, "ended_at": ended,
            "lock_version": 1, "completed_tasks": 0, "state": "{}", "unit_code": "PHC"}


def _completion(case: int, element: str, actor: str, created: datetime, due: datetime, completed: datetime,
                calendar: WorkingCalendar) -> dict[str, Any]:
    late = int(calendar.working_time_between(due, completed).total_seconds()) if completed > due else 0
    return {"instance_id": case, "at": completed, "kind": "task_completed", "element_id": element, "actor": actor,
            "process_id": PROCESS, "unit_code": UNITS[actor], "task_created_at": created, "due_at": due,
            "late_seconds": late}


def _open(case: int, element: str, actor: str, created: datetime, due: datetime, rng: random.Random) -> dict[str, Any]:
    name = next(step[1] for step in STEPS if step[0] == element)
    return {"id": f"open-{case}", "instance_id": case, "process_id": PROCESS, "element_id": element, "name": name,
            "lane": None, "form_key": None, "assignee": None if rng.random() < 0.2 else actor, "created_at": created,
            "due_at": due, "group_codes": ["chuyen_vien"]}

"""The designers' pages in Chromium: a designer draws a process in the in-browser modeler (shapes added through
the modeler's own API, as a mouse would), sets its candidate group in the properties panel, sees the live lint
and selects an element by clicking its problem, deploys it, edits it into a second version, deploys again and
looks at what changed between the two versions; then runs a procedure's scenario tests and sees the coverage.

The designer is ``thietke`` (group ``thiet_ke`` of the demo organisation). The test writes the screenshots
docs/screenshots/design-*.png.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.e2e.conftest import PASSWORD, LiveApp

SCREENSHOTS = ROOT / "docs" / "screenshots"
DESIGNER = "thietke"
OpenSession = Callable[[str], Page]

APPEND = """([sourceId, type]) => {
  const m = window.procflowModeler;
  const source = m.get('elementRegistry').get(sourceId);
  const shape = m.get('autoPlace').append(source, m.get('elementFactory').createShape({type}));
  return shape.id;
}"""


def _lint_settled(page: Page, after: int) -> int:
    """Wait until a lint newer than generation ``after`` has answered; return its generation."""
    page.wait_for_function(
        "g => Number(document.getElementById('modeler-canvas').getAttribute('data-lint-generation') || 0) > g",
        arg=after)
    return int(page.get_attribute("#modeler-canvas", "data-lint-generation") or 0)


def _problem_codes(page: Page) -> list[str]:
    return page.eval_on_selector_all("#problems .problem", "rows => rows.map(r => r.textContent)")


def test_a_designer_draws_lints_deploys_and_compares_versions(live_app: LiveApp, open_session: OpenSession) -> None:
    services = live_app.services
    services.accounts.set_password(DESIGNER, PASSWORD)
    page = open_session(DESIGNER)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    # -- draw a new process ------------------------------------------------------------------------------------
    page.click("#nav-design")
    page.fill("#new-process-id", "xin_y_kien")
    page.fill("#new-name", "Xin ý kiến lãnh đạo")
    page.click("#new-submit")
    page.wait_for_selector("#modeler-canvas[data-ready=true]")
    generation = _lint_settled(page, 0)
    assert any("W111" in text or "dead end" in text for text in _problem_codes(page))  # a start going nowhere

    task_id = page.evaluate(APPEND, ["StartEvent_1", "bpmn:UserTask"])
    generation = _lint_settled(page, generation)
    assert any("W102" in text and task_id in text for text in _problem_codes(page))  # offered to nobody
    # clicking the problem selects its element on the diagram
    page.locator("#problems .problem", has_text="W102").locator("button").click()
    assert page.evaluate("() => window.procflowModeler.get('selection').get().map(e => e.id)") == [task_id]
    expect(page.locator("#prop-element-id")).to_have_text(task_id)
    page.fill("#prop-name", "Lãnh đạo cho ý kiến")
    page.press("#prop-name", "Tab")
    page.fill("#prop-candidateGroups", "lanh_dao")
    page.press("#prop-candidateGroups", "Tab")
    page.fill("#prop-due", '"P2D"')
    page.press("#prop-due", "Tab")
    end_id = page.evaluate(APPEND, [task_id, "bpmn:EndEvent"])
    generation = _lint_settled(page, generation)
    texts = _problem_codes(page)
    assert not any("W102" in t for t in texts) and not any("W111" in t for t in texts), texts
    assert page.get_attribute("#modeler-canvas", "data-lint-errors") == "0"
    warnings = int(page.get_attribute("#modeler-canvas", "data-lint-count") or 0)
    expect(page.locator("#lint-count")).to_have_text(f"(0 lỗi, {warnings} cảnh báo)")  # words, not "(0 / n)"
    page.evaluate("""([taskId]) => {
      const m = window.procflowModeler;
      m.get('directEditing').cancel();
      m.get('selection').select(m.get('elementRegistry').get(taskId));
    }""", [task_id])
    expect(page.locator("#prop-candidateGroups")).to_have_value("lanh_dao")
    page.screenshot(path=str(SCREENSHOTS / "design-modeler.png"), full_page=True)

    page.click("#modeler-deploy")
    page.wait_for_selector("#versions-table")
    expect(page.locator("#flash-messages")).to_contain_text("1")
    expect(page.locator("#version-1")).to_be_visible()
    spec = services.catalogue.process("xin_y_kien")
    assert spec.version == 1
    case = services.runtime.start("xin_y_kien", user="vanthu")
    (task,) = services.queries.tasks(instance_id=case)
    assert task.element_id == task_id and task.candidate_groups == ["lanh_dao"]

    # -- a second version: rename the task, put a new step before the end -----------------------------------------
    page.click("#edit-1")
    page.wait_for_selector("#modeler-canvas[data-ready=true]")
    generation = _lint_settled(page, 0)
    page.evaluate("""([endId]) => {
      const m = window.procflowModeler;
      m.get('modeling').removeElements([m.get('elementRegistry').get(endId)]);
    }""", [end_id])
    step_id = page.evaluate(APPEND, [task_id, "bpmn:ScriptTask"])
    page.evaluate("""([stepId]) => {
      const m = window.procflowModeler;
      const step = m.get('elementRegistry').get(stepId);
      m.get('modeling').updateProperties(step, {name: 'Ghi nhận', scriptFormat: 'python'});
      step.businessObject.script = 'ghi_nhan = True';
    }""", [step_id])
    page.evaluate(APPEND, [step_id, "bpmn:EndEvent"])
    page.evaluate("""([taskId]) => {
      const m = window.procflowModeler;
      m.get('modeling').updateProperties(m.get('elementRegistry').get(taskId), {'procflow:due': '"P3D"'});
    }""", [task_id])
    _lint_settled(page, generation)
    page.click("#modeler-deploy")
    page.wait_for_selector("#versions-table")
    expect(page.locator("#version-2")).to_be_visible()
    expect(page.locator("#version-1 .version-open")).to_have_text("1")
    expect(page.locator("#version-2 .version-open")).to_have_text("0")
    expect(page.locator("#migrate-1")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "design-versions.png"), full_page=True)

    page.click("#diff-1-2")
    page.wait_for_selector("#diff-old[data-ready=true]")
    page.wait_for_selector("#diff-new[data-ready=true]")
    expect(page.locator(f"#diff-added-{step_id}")).to_be_visible()
    expect(page.locator(f"#diff-removed-{end_id}")).to_be_visible()
    expect(page.locator(f"#diff-changed-{task_id}")).to_contain_text("procflow:due")
    assert page.locator(f"#diff-new [data-element-id='{step_id}'].is-added").count() == 1
    assert page.locator(f"#diff-old [data-element-id='{end_id}'].is-removed").count() == 1
    assert page.locator(f"#diff-new [data-element-id='{task_id}'].is-changed").count() == 1
    # the legend is a list of coloured keys, not a bulleted list
    assert page.eval_on_selector("#diff-legend li", "li => getComputedStyle(li).listStyleType") == "none"
    page.screenshot(path=str(SCREENSHOTS / "design-diff.png"), full_page=True)
    assert errors == []


def test_an_upload_shows_its_problems_on_the_diagram(live_app: LiveApp, open_session: OpenSession,
                                                     tmp_path: object) -> None:
    live_app.services.accounts.set_password(DESIGNER, PASSWORD)
    # the scenario files of processes/ use the forms of forms/, as `procflow run` has them
    live_app.services.settings = replace(live_app.services.settings, forms_dir=ROOT / "forms")
    page = open_session(DESIGNER)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    model = (ROOT / "tests" / "fixtures" / "approve.bpmn").read_bytes().replace(
        b' camunda:candidateGroups="lanh_dao"', b"")
    page.click("#nav-design")
    page.set_input_files("#upload-files", files=[{"name": "approve.bpmn", "mimeType": "application/xml",
                                                  "buffer": model}])
    page.click("#upload-submit")
    page.wait_for_selector("#design-diagram[data-ready=true]")
    problem = page.locator("#problems .problem", has_text="W102")
    problem.locator("button").click()
    expect(page.locator("#design-diagram")).to_have_attribute("data-focused", "review")
    assert page.locator("#design-diagram [data-element-id='review'].is-focused").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "design-lint.png"), full_page=True)

    # scenario tests of a deployed procedure, with what they reached coloured on its diagram
    page.goto("/design/processes/task_assignment")
    page.click("#scenarios-run", timeout=120_000)
    page.wait_for_selector("#design-diagram[data-ready=true]", timeout=120_000)
    expect(page.locator("#scenarios-summary")).to_contain_text("4")
    assert page.locator("#design-diagram .is-reached").count() > 0
    assert page.locator(".scenario--failed").count() == 0
    page.screenshot(path=str(SCREENSHOTS / "design-coverage.png"), full_page=True)
    assert errors == []


def test_dmn_tables_and_forms_open_in_their_editors(live_app: LiveApp, open_session: OpenSession) -> None:
    live_app.services.accounts.set_password(DESIGNER, PASSWORD)
    page = open_session(DESIGNER)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # dmn-js's bundled Inferno logs a notice about its build as a console error: only page errors count here
    fixtures = ROOT / "tests" / "fixtures"
    page.click("#nav-design")
    page.set_input_files("#upload-files", files=[
        {"name": "urgency.dmn", "mimeType": "application/xml", "buffer": (fixtures / "urgency.dmn").read_bytes()},
        {"name": "approve.form", "mimeType": "application/json",
         "buffer": (fixtures / "forms_used" / "approve.form").read_bytes()}])
    page.click("#upload-submit")
    page.click(".design-files a:has-text('urgency.dmn')")
    page.wait_for_selector("#modeler-canvas[data-ready=true]")
    expect(page.locator("#problems-pending")).to_be_visible()  # says a save checks the file
    page.click("#modeler-save")
    page.wait_for_selector("#modeler-canvas[data-saved=true]")
    expect(page.locator("#problems-pending")).to_be_hidden()
    expect(page.locator("#problems-none")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "design-dmn.png"), full_page=True)
    page.click("#editor-back")
    page.click(".design-files a:has-text('approve.form')")
    page.wait_for_selector("#modeler-canvas[data-ready=true]")
    page.click("#modeler-save")
    page.wait_for_selector("#modeler-canvas[data-saved=true]")
    page.screenshot(path=str(SCREENSHOTS / "design-form.png"), full_page=True)
    assert errors == []

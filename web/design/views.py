"""The designers' pages: upload and lint model files, draw them in the browser, deploy, browse the versions of
each process and what changed between two, and run a process's scenario tests with coverage on its diagram.

Only members of the designers' group (``thiet_ke``) and administrators get in. Every change is a POST carrying
the CSRF token (a form field, or the ``X-CSRFToken`` header for the modeler's JSON calls).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from lxml import etree
from marshmallow import Schema, fields, validate

from engine.bpmn.validation import SourceFile
from engine.designer.workbench.drafts import Draft
from engine.designer.workbench.service import Coverage, DesignService, as_source, problem_dict
from engine.designer.workbench.uploads import MAX_FILE_BYTES, Upload, read_uploads
from engine.errors import InvalidInput, InvalidModel, ModelProblem, NotFound, ProcflowError
from engine.inputs.safe_xml import parse_xml
from engine.inputs.strict_json import InvalidJson, loads_strict
from web.errors import engine_text
from web.extensions import login_manager, services, user
from web.params import MAX_ID, load

bp = Blueprint("design", __name__, url_prefix="/design")
DESIGNERS_GROUP = "thiet_ke"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAME = validate.Regexp(r"^[^/\\\x00-\x1f]{1,200}$")
BLANK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:procflow="https://procflow.dev/bpmn"
  id="Definitions_{pid}" targetNamespace="https://procflow.dev/bpmn/{pid}">
  <bpmn:process id="{pid}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="Bắt đầu" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="{pid}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


class NewSchema(Schema):
    """A new diagram: the process id (also the file name) and its name."""

    process_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z_][A-Za-z0-9_\-.]{0,99}$", error=(
        "Letters, digits, _ - . only, starting with a letter or _ (at most 100).")))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CompareSchema(Schema):
    """Two versions to compare (either left out: the latest version and the one before it)."""

    old = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=1, max=MAX_ID))
    new = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=1, max=MAX_ID))


class FileSchema(Schema):
    """A file the modeler sends: its name and text."""

    name = fields.String(required=True, validate=_NAME)
    xml = fields.String(required=True, validate=validate.Length(min=1, max=MAX_FILE_BYTES))
    draft = fields.String(load_default=None, validate=validate.Length(max=32))


def design() -> DesignService:
    """The workbench on the app's services (one per app)."""
    found = current_app.extensions.get("procflow_design")
    if found is None:
        engine = services()
        found = DesignService(db=engine.db, clock=engine.clock, deployment=engine.deployment,
                              settings=engine.settings)
        current_app.extensions["procflow_design"] = found
    return found


def is_designer() -> bool:
    """True when the signed-in user is in the designers' group or an administrator."""
    if not current_user.is_authenticated:
        return False
    groups = user().groups
    return DESIGNERS_GROUP in groups or services().settings.admin_group in groups


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"is_designer": is_designer()}


@bp.url_value_preprocessor
def _plain_path_values(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A process id or draft id with control characters or past any column's length is no page (404), never a
    database error."""
    for key in ("process_id", "draft_id"):
        value = (values or {}).get(key)
        if value is not None and (len(value) > 100 or _CONTROL.search(value)):
            abort(404)


@bp.before_request
def _designers_only() -> ResponseReturnValue | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_designer():
        abort(403)
    return None


def _me() -> str:
    return str(user().username)


# -- the start page: processes, drafts, upload ----------------------------------------------------------
@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """Deployed processes, drafts, and the upload form."""
    return _index_page()


def _index_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template("design/index.html", processes=design().processes(), drafts=design().drafts.all(),
                           error=error), status


@bp.post("/upload")
@login_required
def upload() -> ResponseReturnValue:
    """Files or a zip: kept as a draft, then shown linted."""
    try:
        files = read_uploads(Upload(f.filename or "", f.read(MAX_FILE_BYTES * 5))
                             for f in request.files.getlist("files"))
    except InvalidInput as exc:
        return _index_page(engine_text(exc), 422)
    title = request.form.get("title", "").strip()[:200] or files[0].name
    draft = design().drafts.create(title=title, owner=_me(), files=files, now=services().clock.now())
    return redirect(url_for("design.draft", draft_id=draft.id))


@bp.post("/new")
@login_required
def new() -> ResponseReturnValue:
    """A new draft holding an almost empty diagram, opened in the modeler."""
    try:
        given = load(NewSchema(), request.form)
    except InvalidInput as exc:
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items()) or engine_text(exc)
        return _index_page(detail, 422)
    pid = given["process_id"]
    text = BLANK.format(pid=pid, name=_xml_attr(given["name"]))
    draft = design().drafts.create(title=given["name"], owner=_me(), files=[as_source(f"{pid}.bpmn", text)],
                                   now=services().clock.now())
    return redirect(url_for("design.modeler", draft_id=draft.id, file=f"{pid}.bpmn"))


def _kind(name: str) -> str:
    """Which editor a file opens in: bpmn, dmn or form."""
    lower = name.lower()
    return "dmn" if lower.endswith(".dmn") else "form" if lower.endswith(".form") else "bpmn"


def _xml_attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


# -- drafts -----------------------------------------------------------------------------------------------
@bp.get("/drafts/<draft_id>")
@login_required
def draft(draft_id: str) -> ResponseReturnValue:
    """A draft's files with their lint results; the chosen BPMN file drawn, problems linked to its elements."""
    return _draft_page(design().drafts.get(draft_id))


def _draft_page(found: Draft, problems: list[ModelProblem] | None = None, status: int = 200,
                deployed_error: bool = False) -> ResponseReturnValue:
    problems = design().lint(found.files) if problems is None else problems
    shown = _shown_file(found)
    return render_template(
        "design/draft.html", draft=found, shown=shown, problems=problems, deployed_error=deployed_error,
        playable=design().playable(found.files),
        errors=sum(p.severity == "error" for p in problems), data={
            "xml": shown.content.decode("utf-8", errors="replace") if shown else None,
            "file": shown.name if shown else None,
            "problems": [problem_dict(p) for p in problems]}), status


def _shown_file(found: Draft) -> SourceFile | None:
    wanted = request.args.get("file")
    bpmn = found.bpmn_files
    chosen = next((f for f in bpmn if f.name == wanted), None) if wanted else None
    return chosen or (bpmn[0] if bpmn else None)


@bp.post("/drafts/<draft_id>/deploy")
@login_required
def deploy(draft_id: str) -> ResponseReturnValue:
    """Deploy a draft's files together; refused ones are shown with every located problem."""
    found = design().drafts.get(draft_id)
    try:
        results = design().deploy(found.files, user=_me())
    except InvalidModel as exc:
        flash(_("Nothing was deployed: correct the errors below."), "error")
        # the refusal names the errors only: the lint's warnings stay on the page beside them
        warnings = [p for p in design().lint(found.files) if p.severity != "error"]
        return _draft_page(found, [*exc.problems, *warnings], 422, deployed_error=True)
    except (InvalidInput, NotFound) as exc:
        flash(engine_text(exc), "error")
        return _draft_page(found, status=422)
    for result in results:
        if result.note:
            flash(_("%(id)s: not run (%(note)s)", id=result.process_id, note=result.note), "warning")
        elif result.created:
            flash(_("%(name)s: version %(v)s deployed.", name=result.name, v=result.version), "success")
        else:
            flash(_("%(name)s: unchanged, still version %(v)s.", name=result.name, v=result.version), "success")
    runnable = [r for r in results if not r.note]
    if len(runnable) == 1:
        return redirect(url_for("design.process", process_id=runnable[0].process_id))
    return redirect(url_for("design.index"))


@bp.post("/drafts/<draft_id>/delete")
@login_required
def delete_draft(draft_id: str) -> ResponseReturnValue:
    """Throw a draft away."""
    found = design().drafts.get(draft_id)
    design().drafts.delete(found.id)
    flash(_("The draft %(title)s was deleted.", title=found.title), "success")
    return redirect(url_for("design.index"))


@bp.get("/drafts/<draft_id>/model")
@login_required
def modeler(draft_id: str) -> ResponseReturnValue:
    """The in-browser modeler on one BPMN file of a draft (other files: their text)."""
    found = design().drafts.get(draft_id)
    shown = found.file(request.args.get("file", "")) or _shown_file(found)
    if shown is None:
        abort(404)
    kind = _kind(shown.name)
    if kind != "bpmn":
        return render_template("design/editor.html", draft=found, shown=shown, kind=kind, data={
            "text": shown.content.decode("utf-8", errors="replace"), "file": shown.name, "draft": found.id,
            "kind": kind, "lint_url": url_for("design.lint"),
            "save_url": url_for("design.save", draft_id=found.id)})
    return render_template("design/modeler.html", draft=found, shown=shown, data={
        "xml": shown.content.decode("utf-8", errors="replace"), "file": shown.name, "draft": found.id,
        "lint_url": url_for("design.lint"), "save_url": url_for("design.save", draft_id=found.id),
        "deploy_url": url_for("design.deploy", draft_id=found.id)})


@bp.post("/drafts/<draft_id>/save")
@login_required
def save(draft_id: str) -> ResponseReturnValue:
    """Save one file of the draft (the modeler's JSON call); answers with its lint results."""
    design().drafts.get(draft_id)
    given = _json(FileSchema())
    source = as_source(given["name"], given["xml"])
    problem = _not_xml(source)
    if problem is not None:
        return jsonify({"saved": False, "problems": [problem]}), 422
    found = design().drafts.save_file(draft_id, source, now=services().clock.now())
    return jsonify({"saved": True, "problems": [problem_dict(p) for p in design().lint(found.files)
                                                if p.file == source.name]})


@bp.post("/lint")
@login_required
def lint() -> ResponseReturnValue:
    """Lint one file as the modeler has it now, with the other files of its draft (JSON in, JSON out)."""
    given = _json(FileSchema())
    source = as_source(given["name"], given["xml"])
    others: tuple[SourceFile, ...] = ()
    if given["draft"]:
        others = tuple(f for f in design().drafts.get(given["draft"]).files if f.name != source.name)
    problem = _not_xml(source)
    if problem is not None:
        return jsonify({"problems": [problem]})
    found = design().lint([*others, source])
    return jsonify({"problems": [problem_dict(p) for p in found if p.file == source.name]})


class _RefusedJson(Exception):
    """The modeler's JSON call sent something unusable: answered as JSON with the fields' errors."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("refused")
        self.fields = fields


@bp.errorhandler(_RefusedJson)
def _refused_json(error: _RefusedJson) -> ResponseReturnValue:
    return jsonify({"error": _("The request was refused: correct the marked fields."), "fields": error.fields,
                    "problems": []}), 422


def _json(schema: Schema) -> dict[str, Any]:
    raw = request.get_json(silent=True)
    if not isinstance(raw, dict):
        raise _RefusedJson({"body": [_("Send a JSON object with name and xml.")]})
    try:
        return load(schema, raw)
    except InvalidInput as exc:
        raise _RefusedJson(exc.fields) from exc


def _not_xml(source: SourceFile) -> dict[str, Any] | None:
    """The located reason a text is no well-formed XML (a form: no JSON object), as a problem (None when it is)."""
    if source.name.lower().endswith(".form"):
        return _not_form(source)
    try:
        parse_xml(source.content, name=source.name)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (1, 1)
        return {"file": source.name, "line": line, "column": column, "code": "E001", "severity": "error",
                "element_id": None, "message": f"not well-formed XML: {exc.msg}"}
    except InvalidModel as exc:
        return problem_dict(exc.problems[0])
    return None


def _not_form(source: SourceFile) -> dict[str, Any] | None:
    try:
        found = loads_strict(source.content.decode("utf-8"), field=source.name, max_bytes=MAX_FILE_BYTES)
    except InvalidJson as exc:
        return {"file": source.name, "line": exc.line, "column": exc.column, "code": "E002", "severity": "error",
                "element_id": None, "message": f"not valid JSON: {exc.reason}"}
    except UnicodeDecodeError:
        return {"file": source.name, "line": 1, "column": 1, "code": "E002", "severity": "error",
                "element_id": None, "message": "not UTF-8 text"}
    if not isinstance(found, dict) or not isinstance(found.get("components"), list):
        return {"file": source.name, "line": 1, "column": 1, "code": "E002", "severity": "error",
                "element_id": None, "message": "a form is a JSON object with a list of components"}
    return None


# -- versions -------------------------------------------------------------------------------------------
@bp.get("/processes/<process_id>")
@login_required
def process(process_id: str) -> ResponseReturnValue:
    """The versions of a process with their cases, and the form to compare two of them."""
    versions = design().versions(process_id)
    return render_template("design/process.html", process_id=process_id, versions=versions,
                           scenario_files=design().scenario_files(process_id),
                           has_migration="migration.plan" in current_app.view_functions)


@bp.get("/processes/<process_id>/versions/<id:version>")
@login_required
def version(process_id: str, version: int) -> ResponseReturnValue:
    """One version's diagram."""
    versions = design().versions(process_id)
    xml = design().version_xml(process_id, version)
    return render_template("design/version.html", process_id=process_id, version=version, versions=versions,
                           data={"xml": xml})


@bp.post("/processes/<process_id>/versions/<id:version>/draft")
@login_required
def edit_version(process_id: str, version: int) -> ResponseReturnValue:
    """A new draft from a deployed version's file, opened in the modeler."""
    xml = design().version_xml(process_id, version)
    name = f"{process_id}.bpmn"
    draft = design().drafts.create(title=f"{process_id} v{version}", owner=_me(), files=[as_source(name, xml)],
                                   now=services().clock.now())
    return redirect(url_for("design.modeler", draft_id=draft.id, file=name))


@bp.get("/processes/<process_id>/diff")
@login_required
def diff(process_id: str) -> ResponseReturnValue:
    """What changed between two versions, listed and marked on both diagrams."""
    versions = design().versions(process_id)
    given = load(CompareSchema(), {k: v for k, v in request.args.items() if v != ""})
    new = given["new"] or versions[0].version  # newest first
    old = given["old"] or (versions[1].version if len(versions) > 1 else new)
    changes = design().diff(process_id, old, new)
    return render_template("design/diff.html", process_id=process_id, versions=versions, old=old, new=new,
                           changes=changes, has_migration="migration.plan" in current_app.view_functions, data={
                               "old": design().version_xml(process_id, old),
                               "new": design().version_xml(process_id, new), **changes.as_dict()})


# -- scenarios --------------------------------------------------------------------------------------------
@bp.post("/processes/<process_id>/scenarios")
@login_required
def scenarios(process_id: str) -> ResponseReturnValue:
    """Play the process's scenario files and colour what they reached on its diagram."""
    design().versions(process_id)
    try:
        coverage = design().run_scenarios(process_id)
    except ProcflowError as exc:
        flash(engine_text(exc), "error")
        return redirect(url_for("design.process", process_id=process_id))
    return _coverage_page(process_id, coverage)


@bp.post("/drafts/<draft_id>/scenarios")
@login_required
def draft_scenarios(draft_id: str) -> ResponseReturnValue:
    """Play a process's scenario files on the draft's version of its models."""
    found = design().drafts.get(draft_id)
    process_id = request.form.get("process", "")
    if process_id not in design().playable(found.files):
        flash(_("This draft defines no process with scenario files by that id."), "error")
        return redirect(url_for("design.draft", draft_id=draft_id))
    try:
        coverage = design().run_scenarios(process_id, found.files)
    except ProcflowError as exc:
        flash(engine_text(exc), "error")
        return redirect(url_for("design.draft", draft_id=draft_id))
    return _coverage_page(process_id, coverage, found)


def _coverage_page(process_id: str, coverage: Coverage, draft: Draft | None = None) -> ResponseReturnValue:
    return render_template("design/scenarios.html", process_id=process_id, coverage=coverage, draft=draft, data={
        "xml": coverage.xml, "reached": coverage.reached, "unreached": coverage.unreached,
        "taken": coverage.taken, "untaken": coverage.untaken})

"""The designers' workbench behind the web pages: lint and deploy files, drafts, versions and their differences,
scenario runs with coverage.

Lint compares the files with what the database knows (the organisation's groups and units, the processes and
decisions already deployed, the forms folder), as ``procflow lint`` does.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import func, select

from engine.bpmn.metadata import BPMN_NS
from engine.bpmn.validation import SourceFile
from engine.clock import Clock
from engine.deployment.service import DeployedProcess, DeploymentService
from engine.designer.lint.runner import lint_sources
from engine.designer.scenarios.format import load_scenario_file
from engine.designer.scenarios.runner import RunReport, run_scenarios
from engine.designer.workbench.diff import ModelDiff, diff_process
from engine.designer.workbench.drafts import DraftStore
from engine.errors import InvalidInput, InvalidModel, ModelProblem, NotFound, ProcflowError
from engine.forms.loader import parse_form
from engine.i18n import N_
from engine.inputs.safe_xml import parse_xml
from engine.persistence.db import Database
from engine.persistence.models import (
    DeployedDecision,
    DeployedFile,
    Group,
    Instance,
    InstanceStatus,
    ProcessVersion,
    Unit,
)
from engine.settings import Settings

OPEN = (InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, InstanceStatus.ERROR)


@dataclass(frozen=True)
class VersionRow:
    """One deployed version of a process and its cases."""

    version: int
    name: str
    deployed_at: datetime
    deployed_by: str | None
    open_cases: int  # running, suspended or failed: still on this version
    all_cases: int


@dataclass(frozen=True)
class ProcessRow:
    """A deployed process: its newest version and how many cases are open on any version."""

    process_id: str
    name: str
    latest: int
    versions: int
    open_cases: int


@dataclass(frozen=True)
class Coverage:
    """A scenario run of one process: the results and, on its model, what was reached and taken."""

    report: RunReport
    xml: str
    file: str
    reached: list[str] = field(default_factory=list)
    unreached: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)
    untaken: list[str] = field(default_factory=list)


class DesignService:
    """What the designers' pages do, on the engine's database, clock and deployment service."""

    def __init__(self, *, db: Database, clock: Clock, deployment: DeploymentService, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.deployment = deployment
        self.settings = settings
        self.drafts = DraftStore(settings.home / "drafts")

    # -- lint and deploy ----------------------------------------------------------------------------
    def lint(self, files: Sequence[SourceFile]) -> list[ModelProblem]:
        """Errors and warnings of ``files``: form files are read as forms (what deploy refuses in them), models are
        linted with the draft's forms beside those of the forms folder."""
        forms = [f for f in files if f.name.lower().endswith(".form")]
        problems = [p for f in forms
                    for p in parse_form(f.content.decode("utf-8-sig", errors="replace"), name=f.name)[1]]
        models = [f for f in files if not f.name.lower().endswith(".form")]
        if not models:
            return problems
        with self.db.read() as session:
            groups = {name for row in session.execute(select(Group.code, Group.name)) for name in row if name}
            units = set(session.scalars(select(Unit.code)))
            processes = set(session.scalars(select(ProcessVersion.process_id).distinct()))
            decisions = set(session.scalars(select(DeployedDecision.decision_id).distinct()))
        forms_dir = self.settings.forms_dir if self.settings.forms_dir.is_dir() else None

        def lint(folder: Path | None) -> list[ModelProblem]:
            return lint_sources(models, groups=groups or None, units=units or None, forms_dir=folder,
                                known_processes=processes, known_decisions=decisions)

        if not forms:
            return problems + lint(forms_dir)
        # The draft's forms deploy with its models: a task naming one of them does not lack its form (W104).
        with tempfile.TemporaryDirectory(prefix="procflow-draft-forms-") as workdir:
            folder = Path(workdir)
            if forms_dir is not None:
                shutil.copytree(forms_dir, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
            for source in forms:
                (folder / Path(source.name).name).write_bytes(source.content)
            shown = str(forms_dir or self.settings.forms_dir)
            return problems + [replace(p, message=p.message.replace(workdir, shown)) for p in lint(folder)]

    def deploy(self, files: Sequence[SourceFile], *, user: str) -> list[DeployedProcess]:
        """Deploy ``files`` together (InvalidModel with every located problem when refused)."""
        return self.deployment.deploy(list(files), deployed_by=user)

    # -- versions ------------------------------------------------------------------------------------
    def processes(self) -> list[ProcessRow]:
        """Every deployed process, by id."""
        with self.db.read() as session:
            versions = session.execute(select(ProcessVersion.process_id, ProcessVersion.version,
                                              ProcessVersion.name).order_by(ProcessVersion.process_id,
                                                                            ProcessVersion.version)).all()
            open_cases: dict[str, int] = {pid: count for pid, count in session.execute(
                select(Instance.process_id, func.count()).where(Instance.status.in_(OPEN))
                .group_by(Instance.process_id))}
        found: dict[str, ProcessRow] = {}
        for row in versions:
            known = found.get(row.process_id)
            found[row.process_id] = ProcessRow(row.process_id, row.name, row.version,
                                               (known.versions if known else 0) + 1,
                                               open_cases.get(row.process_id, 0))
        return list(found.values())

    def versions(self, process_id: str) -> list[VersionRow]:
        """The versions of ``process_id``, newest first, with their cases.

        Raises:
            NotFound: no such process.
        """
        with self.db.read() as session:
            rows = session.execute(select(ProcessVersion.id, ProcessVersion.version, ProcessVersion.name,
                                          ProcessVersion.deployed_at, ProcessVersion.deployed_by)
                                   .where(ProcessVersion.process_id == process_id)
                                   .order_by(ProcessVersion.version.desc())).all()
            counts = session.execute(select(Instance.process_version_id, Instance.status, func.count())
                                     .where(Instance.process_id == process_id)
                                     .group_by(Instance.process_version_id, Instance.status)).all()
        if not rows:
            raise NotFound(N_("no deployed process '{process_id}'"), process_id=process_id)
        open_by: dict[int, int] = {}
        all_by: dict[int, int] = {}
        for version_id, status, count in counts:
            all_by[version_id] = all_by.get(version_id, 0) + count
            if status in OPEN:
                open_by[version_id] = open_by.get(version_id, 0) + count
        return [VersionRow(r.version, r.name, r.deployed_at, r.deployed_by, open_by.get(r.id, 0),
                           all_by.get(r.id, 0)) for r in rows]

    def version_xml(self, process_id: str, version: int) -> str:
        """The BPMN file that defined ``version`` of ``process_id``.

        Raises:
            NotFound: no such version.
        """
        with self.db.read() as session:
            content = session.scalar(select(DeployedFile.content).join(
                ProcessVersion, ProcessVersion.file_id == DeployedFile.id).where(
                ProcessVersion.process_id == process_id, ProcessVersion.version == version))
        if content is None:
            raise NotFound(N_("no version {version} of process '{process_id}'"), version=version,
                           process_id=process_id)
        return content

    def diff(self, process_id: str, old: int, new: int) -> ModelDiff:
        """What changed in ``process_id`` from version ``old`` to version ``new``."""
        return diff_process(self.version_xml(process_id, old), self.version_xml(process_id, new), process_id)

    # -- scenarios -----------------------------------------------------------------------------------
    def scenario_files(self, process_id: str) -> list[Path]:
        """The scenario files of the processes folder that play ``process_id``."""
        folder = self.settings.processes_dir
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(folder.rglob("*.scenarios.y*ml")):
            try:
                if load_scenario_file(path).process == process_id:
                    found.append(path)
            except ProcflowError:
                continue  # a malformed file of another process is not this page's business
        return found

    def playable(self, files: Sequence[SourceFile]) -> list[str]:
        """The processes defined in ``files`` (BPMN) that have scenario files in the processes folder."""
        found: list[str] = []
        for source in files:
            if not source.name.lower().endswith((".bpmn", ".bpmn20.xml")):
                continue
            try:
                root = parse_xml(source.content, name=source.name)
            except (etree.XMLSyntaxError, InvalidModel):
                continue  # the draft's page lists why
            found.extend(p.get("id") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id"))
        return [pid for pid in dict.fromkeys(found) if self.scenario_files(pid)]

    def run_scenarios(self, process_id: str, draft: Sequence[SourceFile] = ()) -> Coverage:
        """Play every scenario file of ``process_id`` and say what its model's elements and flows they reached.

        Args:
            process_id: the process whose scenario files (in the processes folder) are played.
            draft: model files that replace those of the same name beside the scenario files (a draft's), so
                that the scenarios play the draft's version; the folder itself is never written.

        Raises:
            InvalidInput: the process has no scenario file in the processes folder, or one is malformed.
        """
        files = self.scenario_files(process_id)
        if not files:
            raise InvalidInput(N_("process '{process_id}' has no scenario file (*.scenarios.yaml) in {folder}"),
                               process_id=process_id, folder=self.settings.processes_dir)
        if not draft:
            return self._coverage(process_id, files)
        with tempfile.TemporaryDirectory(prefix="procflow-draft-scenarios-") as workdir:
            copies: list[Path] = []
            for folder in sorted({f.parent for f in files}):
                target = Path(workdir) / str(len(copies))
                shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".*"))
                for source in draft:
                    if source.name.lower().endswith((".bpmn", ".dmn", ".form")):
                        (target / source.name).write_bytes(source.content)
                copies.extend(target / f.name for f in files if f.parent == folder)
            return self._coverage(process_id, copies)

    def _coverage(self, process_id: str, files: list[Path]) -> Coverage:
        report = run_scenarios(files, settings=self.settings)
        coverage = next((c for c in report.coverage if c.process_id == process_id), None)
        model = load_scenario_file(files[0]).models[0]
        xml = model.read_text(encoding="utf-8", errors="replace")
        if coverage is None:
            return Coverage(report, xml, model.name)
        unreached = set(coverage.unreached_elements)
        untaken = {f for f, _, _ in coverage.untaken_flows}
        nodes, flows = _nodes_and_flows(model, process_id)
        return Coverage(report, xml, model.name, [n for n in nodes if n not in unreached], sorted(unreached),
                        [f for f in flows if f not in untaken], sorted(untaken))


def _nodes_and_flows(model: Path, process_id: str) -> tuple[list[str], list[str]]:
    from engine.designer.scenarios.coverage import read_model_file

    process = next((p for p in read_model_file(model).processes if p.process_id == process_id), None)
    if process is None:
        return [], []
    return list(process.nodes), list(process.flows)


def as_source(name: str, xml: str | bytes) -> SourceFile:
    """A file the browser sent as text."""
    return SourceFile(name, xml.encode("utf-8") if isinstance(xml, str) else xml)


def problem_dict(problem: ModelProblem) -> dict[str, Any]:
    """A problem for the pages' scripts."""
    return {"file": problem.file, "line": problem.line or 1, "column": problem.column or 1, "code": problem.code,
            "severity": problem.severity, "element_id": problem.element_id, "message": problem.message}

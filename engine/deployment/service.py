"""Deploying BPMN and DMN files: validate, parse, and store a new version of each changed process."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lxml import etree
from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.bpmn.camunda import called_element
from engine.bpmn.dmn.task import decision_reference
from engine.bpmn.metadata import BPMN_NS, process_metadata
from engine.bpmn.parser import ProcflowParser
from engine.bpmn.serializer import StateSerializer
from engine.bpmn.validation import SourceFile, validate_sources
from engine.bpmn.validation.deployable import has_flow_nodes, is_executable, runnable, skipped_note
from engine.bpmn.validation.model import as_utf8
from engine.clock import Clock
from engine.deployment.form_store import FormResolver, is_form
from engine.errors import InvalidInput, InvalidModel, ModelProblem
from engine.i18n import N_
from engine.inputs.safe_xml import parse_xml
from engine.persistence.db import Database
from engine.persistence.models import DeployedDecision, DeployedFile, ProcessVersion

DMN_SUFFIXES = (".dmn",)
MODEL_SUFFIXES = (".bpmn", ".bpmn20.xml", ".dmn", ".form")


@dataclass(frozen=True)
class DeployedProcess:
    """The outcome of deploying one process id."""

    process_id: str
    version: int
    name: str
    created: bool
    file: str
    note: str | None = None  # why no version was stored (a descriptive process: a diagram, not run)


def collect_sources(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Read model files from files and folders (folders: every .bpmn and .dmn below them, sorted)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.name.endswith(MODEL_SUFFIXES)))
        elif path.is_file():
            files.append(path)
        else:
            raise InvalidInput(N_("{path}: no such file or folder"), path=path)
    return [SourceFile(str(p), p.read_bytes()) for p in files]


def _is_dmn(source: SourceFile) -> bool:
    return source.name.endswith(DMN_SUFFIXES)


def _layout(root: Any) -> bytes:
    """A parsed model (``root``, already parsed by :func:`parse_xml`) as canonical XML (C14N 2.0, whitespace
    around text dropped, the ``exporter`` attributes of the tool that saved it left out): two files that differ
    only in how a tool wrote them (indentation, attribute order, its name and version) give the same bytes, so
    saving a model again in the modeler unchanged does not deploy a new version; the diagram's layout counts."""
    copy = deepcopy(root)
    for name in ("exporter", "exporterVersion"):
        copy.attrib.pop(name, None)
    return bytes(etree.tostring(copy, method="c14n2", strip_text=True))


def _sha256(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


class StartSchedules(Protocol):
    """Keeps the schedule of timer start events in line with deployments (engine.timers.starts.TimerStarts)."""

    def deployed(self, conn: Connection, process_id: str, version: int, spec: Any, *, created: bool) -> list[Any]:
        """Rows to insert for the version left in place; dispatched after commit."""

    def dispatch(self, timers: list[Any]) -> None:
        """Wake a worker for each inserted row."""


class _NoSchedules:
    """Without a scheduler (tools that only validate), timer start events are not scheduled."""

    def deployed(self, conn: Connection, process_id: str, version: int, spec: Any, *, created: bool) -> list[Any]:
        return []

    def dispatch(self, timers: list[Any]) -> None:
        return None


class DeploymentService:
    """Validates model files and stores new process versions; unchanged processes are left alone."""

    def __init__(self, *, db: Database, clock: Clock, serializer: StateSerializer | None = None,
                 forms_dir: Path | None = None, start_timers: StartSchedules | None = None) -> None:
        self.db = db
        self.clock = clock
        self.serializer = serializer or StateSerializer()
        self.forms_dir = forms_dir
        self.start_timers: StartSchedules = start_timers or _NoSchedules()

    def deploy(self, sources: Sequence[SourceFile], *, deployed_by: str | None = None) -> list[DeployedProcess]:
        """Deploy ``sources`` together.

        Args:
            sources: BPMN, DMN and form files; a call activity or business rule task may reference
                processes and decisions in these files or already deployed ones; a user task's form is
                looked for in these files, then among deployed forms, then in the forms folder.
            deployed_by: who deploys, for the record.

        Returns:
            One entry per process found, saying which version it now has and whether it is new.
            A new version with a timer start event is scheduled to start cases by itself (engine/timers/starts.py).

        Raises:
            InvalidModel: with every located problem, if any file is invalid; nothing is stored.
        """
        if not sources:
            raise InvalidInput(N_("nothing to deploy: give .bpmn, .dmn or .form files or folders"))
        models = [as_utf8(s) for s in sources if not is_form(s.name)]
        with self.db.write() as session:
            known_processes, known_decisions = self._known_ids(session)
            forms = FormResolver(session, [s for s in sources if is_form(s.name)], forms_dir=self.forms_dir,
                                 now=self.clock.now())
            found = validate_sources(models, known_processes=known_processes,
                                     known_decisions=known_decisions) if models else []
            problems = forms.problems + [p for p in found if p.severity == "error"]  # lint shows the warnings
            if problems:
                raise InvalidModel(problems)
            for form in forms.registry:  # forms deployed on their own are stored too
                forms.resolve(form.id)
            everything = models + self._referenced_files(session, models)
            parser = self._parser(everything)
            metadata = _metadata_by_process(everything)
            results = []
            for source in models:
                if _is_dmn(source):
                    self._store_decisions(session, source)
                else:
                    results.extend(self._store_processes(session, parser, source, metadata, forms, deployed_by))
            if forms.problems:
                raise InvalidModel(forms.problems)
            scheduled = [timer for r in results if r.note is None for timer in self.start_timers.deployed(
                session.connection(), r.process_id, r.version, parser.get_spec(r.process_id), created=r.created)]
        self.start_timers.dispatch(scheduled)  # timer start events: new cases at their next occurrence
        return results

    # -- helpers ------------------------------------------------------------------------------
    def _known_ids(self, session: Session) -> tuple[set[str], set[str]]:
        processes = set(session.scalars(select(ProcessVersion.process_id).distinct()))
        decisions = set(session.scalars(select(DeployedDecision.decision_id).distinct()))
        return processes, decisions

    def _referenced_files(self, session: Session, sources: Sequence[SourceFile]) -> list[SourceFile]:
        """Already deployed files that define processes or decisions the new files call."""
        defined: set[str] = set()
        called: set[str] = set()
        decisions: set[str] = set()
        for source in sources:
            if _is_dmn(source):
                continue
            root = parse_xml(source.content, name=source.name)
            defined.update(p.get("id", "") for p in root.iter(f"{{{BPMN_NS}}}process"))
            called.update(c for c in (called_element(n) for n in root.iter(f"{{{BPMN_NS}}}callActivity")) if c)
            decisions.update(_decision_refs(root))
        file_ids: list[int] = []
        for pid in called - defined:
            latest = latest_version(session, pid)
            if latest is not None:
                file_ids.append(latest.file_id)
        for did in decisions:
            row = session.scalars(select(DeployedDecision).where(DeployedDecision.decision_id == did)
                                  .order_by(DeployedDecision.id.desc()).limit(1)).first()
            if row is not None:
                file_ids.append(row.file_id)
        new_names = {s.name for s in sources}
        files = session.scalars(select(DeployedFile).where(DeployedFile.id.in_(set(file_ids)))).all()
        return [SourceFile(f.name, f.content.encode()) for f in files if f.name not in new_names]

    def _parser(self, sources: list[SourceFile]) -> ProcflowParser:
        parser = ProcflowParser()
        for source in sources:
            tree = parse_xml(source.content, name=source.name)
            if _is_dmn(source):
                parser.add_dmn_xml(tree, filename=Path(source.name).name)
            elif any(runnable(p) for p in tree.iter(f"{{{BPMN_NS}}}process")):
                parser.add_bpmn_xml(tree, filename=Path(source.name).name)  # diagrams alone never reach it
        return parser

    def _store_file(self, session: Session, source: SourceFile, kind: str) -> DeployedFile:
        text = source.content.decode("utf-8")
        digest = _sha256(source.content)
        row = session.scalars(select(DeployedFile).where(DeployedFile.name == source.name,
                                                         DeployedFile.content_hash == digest)).first()
        if row is None:
            row = DeployedFile(name=source.name, kind=kind, content_hash=digest, content=text,
                               deployed_at=self.clock.now())
            session.add(row)
            session.flush()
        return row

    def _store_decisions(self, session: Session, source: SourceFile) -> None:
        file_row = self._store_file(session, source, "dmn")
        root = parse_xml(source.content, name=source.name)
        for decision in root.iter("{*}decision"):
            known = session.scalars(select(DeployedDecision).where(
                DeployedDecision.decision_id == decision.get("id"), DeployedDecision.file_id == file_row.id)).first()
            if known is None:
                session.add(DeployedDecision(decision_id=decision.get("id"), file_id=file_row.id))

    def _store_processes(self, session: Session, parser: ProcflowParser, source: SourceFile,
                         metadata: dict[str, dict[str, Any]], forms: FormResolver,
                         deployed_by: str | None) -> list[DeployedProcess]:
        root = parse_xml(source.content, name=source.name)
        layout = _layout(root)
        results = []
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            if not is_executable(process) and has_flow_nodes(process):
                self._store_file(session, source, "bpmn")  # kept as a diagram
                meta = metadata[process.get("id", "")]
                results.append(DeployedProcess(meta["id"], 0, meta["name"], False, source.name,
                                               note=skipped_note(process)))
                continue
            if not runnable(process):
                continue  # a black-box pool in a collaboration (validation refuses one that only lacks a start)
            pid = process.get("id", "")
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid)
            spec_json = self.serializer.spec_to_json(spec, subprocess_specs)
            tasks: dict[str, Any] = {}
            for called in [*subprocess_specs, pid]:  # the process's own tasks win over called ones
                tasks.update(metadata.get(called, {}).get("tasks", {}))
            form_hashes = _attach_forms(source.name, metadata[pid], tasks, forms)
            digest = _sha256(_sha256(layout, spec_json), *form_hashes)
            # versions deployed before the canonical form were identified by the file's bytes
            legacy = _sha256(_sha256(source.content, spec_json), *form_hashes)
            results.append(self._store_version(session, source, metadata[pid], tasks, spec_json, digest,
                                               deployed_by, legacy=legacy))
        return results

    def _store_version(self, session: Session, source: SourceFile, meta: dict[str, Any], tasks: dict[str, Any],
                       spec_json: str, digest: str, deployed_by: str | None, *, legacy: str) -> DeployedProcess:
        pid = meta["id"]
        existing = session.scalars(select(ProcessVersion).where(
            ProcessVersion.process_id == pid, ProcessVersion.content_hash.in_([digest, legacy]))).first()
        if existing is not None:
            return DeployedProcess(pid, existing.version, existing.name, False, source.name)
        file_row = self._store_file(session, source, "bpmn")
        number = (session.scalar(select(func.max(ProcessVersion.version))
                                 .where(ProcessVersion.process_id == pid)) or 0) + 1
        session.add(ProcessVersion(
            process_id=pid, version=number, name=meta["name"], content_hash=digest, file_id=file_row.id,
            spec_json=spec_json, tasks_meta={"tasks": tasks, "starter_groups": meta["starter_groups"],
                                                         "start": meta["start"], "summary": meta["summary"],
                                                         "urgency": meta["urgency"],
                                                         "documents": meta.get("documents", {})},
            documentation=meta["documentation"], deployed_at=self.clock.now(), deployed_by=deployed_by,
        ))
        session.flush()
        return DeployedProcess(pid, number, meta["name"], True, source.name)


def _attach_forms(file: str, meta: dict[str, Any], tasks: dict[str, Any], forms: FormResolver) -> list[str]:
    """Record on each task (and the start) the id of its form version; return their content hashes.

    A form found nowhere is a located problem (E060) added to ``forms.problems``.
    """
    hashes = []
    holders: list[tuple[str | None, dict[str, Any], int | None]] = [
        (element_id, task, task.get("line")) for element_id, task in tasks.items()]
    holders.append((None, meta["start"], None))
    for element_id, holder, line in holders:
        key = holder.get("form")
        if not key:
            continue
        found = forms.resolve(key)
        if found is None:
            forms.problems.append(ModelProblem(
                file, line, element_id or meta["id"], f"no form '{key}': not in this deployment, not deployed "
                f"before, and no {key}.form in the forms folder", code="E060"))
            continue
        holder["form_version_id"] = found.id
        hashes.append(found.content_hash)
    return hashes


def _metadata_by_process(sources: Sequence[SourceFile]) -> dict[str, dict[str, Any]]:
    """procflow's metadata of every process defined in ``sources``, by process id."""
    found: dict[str, dict[str, Any]] = {}
    for source in sources:
        if _is_dmn(source):
            continue
        root = parse_xml(source.content, name=source.name)
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            pid = process.get("id", "")
            found[pid] = {"id": pid, **process_metadata(root, pid)}
    return found



def _decision_refs(root: Any) -> set[str]:
    refs = (decision_reference(task)[0] for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"))
    return {ref for ref in refs if ref}


@dataclass(frozen=True)
class VersionRef:
    """Which version of a process, without its (large) spec."""

    id: int
    process_id: str
    version: int
    file_id: int


_LATEST = (select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.version, ProcessVersion.file_id)
           .where(ProcessVersion.process_id == bindparam("pid"))
           .order_by(ProcessVersion.version.desc()).limit(1))


def latest_version(conn: Connection | Session, process_id: str) -> VersionRef | None:
    """The newest deployed version of ``process_id``, or None."""
    row = conn.execute(_LATEST, {"pid": process_id}).first()
    return VersionRef(row.id, row.process_id, row.version, row.file_id) if row is not None else None


def latest_versions(conn: Connection | Session) -> list[VersionRef]:
    """The newest version of every deployed process, by process id."""
    newest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("version"))
              .group_by(ProcessVersion.process_id).subquery())
    rows = conn.execute(select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.version,
                               ProcessVersion.file_id)
                        .join(newest, (newest.c.process_id == ProcessVersion.process_id)
                              & (newest.c.version == ProcessVersion.version))
                        .order_by(ProcessVersion.process_id))
    return [VersionRef(r.id, r.process_id, r.version, r.file_id) for r in rows]

"""Scenario tests: play each scenario of ``*.scenarios.yaml`` files on its own database, on virtual time.

Each run migrates one embedded SQLite database; each scenario file gets a copy of it with its organisation and
models loaded, and each scenario a copy of that. The format is described in docs/scenarios.md.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.designer.scenarios.coverage import (
    CoverageCounter,
    ModelFile,
    ProcessCoverage,
    Visit,
    display_path,
    files_to_deploy,
    processes_run,
    read_model_file,
)
from engine.designer.scenarios.format import Scenario, ScenarioFile, is_scenario_file, load_scenario_file, stem_of
from engine.designer.scenarios.play import Failure, ScenarioPlay
from engine.errors import InvalidInput, ProcflowError
from engine.i18n import N_
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings


@dataclass
class ScenarioResult:
    """The outcome of one scenario, with the ordered trace of the elements its instance completed."""

    file: str
    process: str
    name: str
    failure: Failure | None
    trace: list[str] = field(default_factory=list)
    seconds: float = 0.0
    visits: list[Visit] = field(default_factory=list, repr=False)

    @property
    def passed(self) -> bool:
        """True when every step ran and every expectation held."""
        return self.failure is None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"file": self.file, "process": self.process, "name": self.name, "passed": self.passed,
                "failure": self.failure.as_dict() if self.failure else None, "trace": self.trace,
                "seconds": round(self.seconds, 3)}


@dataclass
class RunReport:
    """Every scenario's result and, per process, what no scenario reached."""

    results: list[ScenarioResult]
    coverage: list[ProcessCoverage]

    @property
    def passed(self) -> int:
        """How many scenarios passed."""
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        """How many scenarios failed."""
        return len(self.results) - self.passed

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"scenarios": [r.as_dict() for r in self.results], "coverage": [c.as_dict() for c in self.coverage],
                "passed": self.passed, "failed": self.failed}


@dataclass(frozen=True)
class Targets:
    """What a run covers: the scenario files, and the BPMN files to report on even if no scenario runs them."""

    scenario_files: list[Path]
    models: list[Path]


def discover(paths: Sequence[str | Path]) -> Targets:
    """Find scenario files and BPMN files in files and folders (folders: everything below them, sorted).

    A BPMN file given by itself brings the scenario file beside it (``a.bpmn`` -> ``a.scenarios.yaml``).
    """
    scenario_files: list[Path] = []
    models: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            scenario_files.extend(sorted(p for p in path.rglob("*") if is_scenario_file(p)))
            models.extend(sorted(path.rglob("*.bpmn")))
        elif path.is_file() and is_scenario_file(path):
            scenario_files.append(path)
        elif path.is_file() and path.suffix == ".bpmn":
            models.append(path)
            scenario_files.extend(p for p in _beside(path) if p.is_file())
        elif path.is_file():
            raise InvalidInput(N_("{path}: neither a scenario file (*.scenarios.yaml) nor a BPMN file"), path=path)
        else:
            raise InvalidInput(N_("{path}: no such file or folder"), path=path)
    return Targets(_unique(scenario_files), _unique(models))


def _beside(model: Path) -> list[Path]:
    return [model.with_name(model.stem + suffix) for suffix in (".scenarios.yaml", ".scenarios.yml")]


def _unique(paths: list[Path]) -> list[Path]:
    seen: dict[Path, Path] = {}
    for path in paths:
        seen.setdefault(path.resolve(), path)
    return list(seen.values())


def run_scenarios(paths: Sequence[str | Path], *, settings: Settings, keyword: str | None = None,
                  now: datetime | None = None) -> RunReport:
    """Run every scenario found under ``paths`` and measure what they reached of the models.

    Args:
        paths: scenario files, BPMN files or folders.
        settings: procflow's settings (only the time zone matters: scenarios use their own databases).
        keyword: run only scenarios whose file name or scenario name contains this (any case).
        now: the virtual start of files that give no ``start_at`` (default: this moment).

    Raises:
        InvalidInput: a path does not exist, or a scenario file is malformed (before anything runs).
    """
    targets = discover(paths)
    scenario_files = [load_scenario_file(p, now=now) for p in targets.scenario_files]
    counter = CoverageCounter()
    # With -k, only the processes the selected scenarios ran are reported: the rest would all look unreached.
    if not keyword:
        counter.include(p for m in targets.models for p in read_model_file(m).processes)
    results: list[ScenarioResult] = []
    with tempfile.TemporaryDirectory(prefix="procflow-scenarios-") as workdir:
        runner = ScenarioRunner(settings=settings, workdir=Path(workdir))
        for scenario_file in scenario_files:
            files = files_to_deploy(scenario_file.models)
            if not keyword:
                counter.include(p for f in files for p in f.processes)
            for result in runner.run_file(scenario_file, files, keyword):
                counter.add(processes_run(files, scenario_file.process), result.visits)
                results.append(result)
    return RunReport(results, counter.report())


def selected(scenario_file: ScenarioFile, scenario: Scenario, keyword: str | None) -> bool:
    """True when ``keyword`` is absent or found (in any case) in the file's name or the scenario's name."""
    return not keyword or keyword.casefold() in f"{scenario_file.path.name} {scenario.name}".casefold()


class ScenarioRunner:
    """Plays scenarios, each on its own copy of an embedded database migrated once per runner."""

    def __init__(self, *, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.zone = ZoneInfo(settings.timezone)
        self._numbers = itertools.count(1)
        self._migrated: Path | None = None

    def run_file(self, scenario_file: ScenarioFile, files: Sequence[ModelFile],
                 keyword: str | None = None) -> list[ScenarioResult]:
        """Run the selected scenarios of ``scenario_file`` with ``files`` deployed; each fails alone."""
        chosen = [s for s in scenario_file.scenarios if selected(scenario_file, s, keyword)]
        if not chosen:
            return []
        try:
            prepared = self._prepare(scenario_file, files)
        except ProcflowError as exc:  # an organisation or model that does not load fails every scenario
            return [self._result(scenario_file, s, Failure(0, "setup", [f"refused: {exc}"])) for s in chosen]
        return [self._run(scenario_file, prepared, s) for s in chosen]

    def _run(self, scenario_file: ScenarioFile, prepared: Path, scenario: Scenario) -> ScenarioResult:
        started = time.perf_counter()
        services = self._services(self._copy(prepared), scenario_file.start_at)
        try:
            play = ScenarioPlay(services, scenario_file.process, self.zone)
            failure = play.play(scenario)
            trace, visits = play.trace()
        finally:
            services.close()
        return self._result(scenario_file, scenario, failure, trace, visits, time.perf_counter() - started)

    def _result(self, scenario_file: ScenarioFile, scenario: Scenario, failure: Failure | None,
                trace: list[str] | None = None, visits: list[Visit] | None = None,
                seconds: float = 0.0) -> ScenarioResult:
        return ScenarioResult(display_path(scenario_file.path), scenario_file.process, scenario.name, failure,
                              trace or [], seconds, visits or [])

    def _prepare(self, scenario_file: ScenarioFile, files: Sequence[ModelFile]) -> Path:
        """A database with the file's organisation and models, to be copied for each scenario."""
        path = self._copy(self._template())
        services = self._services(path, scenario_file.start_at)
        try:
            services.org.import_file(scenario_file.org)
            services.deployment.deploy(collect_sources([f.path for f in files]),
                                       deployed_by=f"scenarios:{stem_of(scenario_file.path)}")
        finally:
            services.close()
        return path

    def _template(self) -> Path:
        if self._migrated is None:
            path = self.workdir / "migrated.sqlite3"
            upgrade_database(_sqlite_url(path))
            self._migrated = path
        return self._migrated

    def _copy(self, source: Path) -> Path:
        target = self.workdir / f"db{next(self._numbers)}.sqlite3"
        shutil.copyfile(source, target)
        return target

    def _services(self, database: Path, start_at: datetime) -> Services:
        # Only the database differs from the user's settings; no Redis and no e-mail leave a scenario.
        settings = replace(self.settings, database_url=_sqlite_url(database), redis_url="", home=self.workdir,
                           smtp_host="")
        services = build_services(settings, clock=VirtualClock(start_at), verify_state=True)
        # Scenarios walk a model's flow with made-up file values; the procflow:document actions read, sign and
        # store real files (engine/documents), so they do not run here (tests/engine/documents covers them).
        services.runtime.hooks.clear()
        return services


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"

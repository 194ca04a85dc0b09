"""Run the betsy conformance suite through procflow: deploy, start, let virtual time pass, compare traces.

Run it as ``python -m tests.conformance.runner [-q] [name ...]``: it prints each process with its
cases (``-q``: failing cases only) and closes with the case counts and ``N passed, M failed`` for
processes. Every case goes
through the engine's own services on a fresh SQLite database: the DeploymentService (with deploy-time
validation), the Runtime (start, timers), the Queries, with every saved state checked by a serializer
round trip.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree

from engine.bpmn.events import UNCAUGHT_ERROR_PREFIX
from engine.bpmn.validation import SourceFile
from engine.clock import VirtualClock
from engine.errors import InvalidModel
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings
from tests.conformance.adapter import BPMN, MARKERS, TRACE, translate

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
STEP = timedelta(seconds=1)
# betsy reads the log `delay_ms` after the start; time keeps passing a little longer here, so that a
# model that would finish only later shows up as a failure instead of depending on the cut-off.
MARGIN = timedelta(seconds=30)
HARNESS_USER = "betsy"
DEPLOYMENT_ERROR, RUNTIME_ERROR, GENERIC_ERROR = "ERROR_deployment", "ERROR_runtime", "ERROR"
THROWN_ERROR = "ERROR_thrownErrorEvent"


def suite_dir() -> Path:
    """Where the suite is: ``$PROCFLOW_CONFORMANCE_DIR``, else ``shared/conformance`` beside the repository."""
    override = os.environ.get("PROCFLOW_CONFORMANCE_DIR")
    return Path(override) if override else REPO.parent / "shared" / "conformance"


@dataclass(frozen=True)
class Case:
    """One test case of a betsy process."""

    number: int
    data: dict[str, Any]
    expected: list[str]
    parallel: bool
    delay: timedelta


@dataclass(frozen=True)
class Process:
    """A betsy process: its file, the id of the process under test and its cases."""

    name: str
    path: Path
    cases: list[Case]


@dataclass(frozen=True)
class CaseResult:
    """What one case produced."""

    process: str
    case: Case
    actual: list[str]
    note: str = ""

    @property
    def passed(self) -> bool:
        """True when the trace equals the expected one, compared as sorted lists."""
        return sorted(self.actual) == sorted(self.case.expected)


@dataclass
class ProcessResult:
    """The results of every case of one process."""

    name: str
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """A process passes when all of its cases pass."""
        return all(c.passed for c in self.cases)


def load_suite(directory: Path | None = None) -> list[Process]:
    """Read ``betsy/tests.json`` into processes and cases."""
    base = (directory or suite_dir()) / "betsy"
    tests = json.loads((base / "tests.json").read_text(encoding="utf-8"))["tests"]
    return [Process(Path(t["bpmn_file"]).stem, base / t["bpmn_file"], [_case(c) for c in t["test_cases"]])
            for t in tests]


def _case(raw: dict[str, Any]) -> Case:
    """One test case from its ``tests.json`` entry."""
    data = {"integerVariable": raw["integerVariable"], "testCaseNumber": raw["testCaseNumber"]}
    if raw["input_test"] is not None:
        data["test"] = raw["input_test"]
    return Case(raw["testCaseNumber"], data, list(raw["expected_trace"]), bool(raw["useParallelProcess"]),
                timedelta(milliseconds=raw["delay_ms"]))


class TraceLog:
    """The harness's stand-in for betsy's log and marker files, shared with scripts as globals."""

    def __init__(self) -> None:
        self.trace: list[str] = []
        self.markers: set[str] = set()

    def install(self, services: Services) -> None:
        """Offer ``trace`` and ``markers`` to every script the runtime runs."""
        environment = services.runtime.script_engine.environment
        environment.globals[TRACE] = self.trace
        environment.globals[MARKERS] = self.markers

    def reset(self) -> None:
        """Forget what the previous case logged (in place: scripts hold the same objects)."""
        self.trace.clear()
        self.markers.clear()

    def entries(self, expected: list[str]) -> list[str]:
        """The log as betsy's test reads it: script entries, then the marker check if the case makes it.

        betsy looks for the marker file only in cases that assert it; elsewhere a marker a called
        process left behind is not part of the log.
        """
        checked = [marker for marker in sorted(self.markers) if marker in expected]
        return [*self.trace, *checked]


class ConformanceRunner:
    """Runs betsy processes through one set of procflow services."""

    def __init__(self, services: Services, clock: VirtualClock) -> None:
        self.services = services
        self.clock = clock
        self.log = TraceLog()
        self.log.install(services)
        services.org.import_structure({
            "units": [{"code": "BETSY", "name": "Conformance"}], "groups": [],
            "users": [{"username": HARNESS_USER, "full_name": "Conformance harness", "unit": "BETSY"}],
        })

    def run_process(self, process: Process) -> ProcessResult:
        """Deploy ``process`` and run each of its cases."""
        result = ProcessResult(process.name)
        refusal = self._deploy(process)
        for case in process.cases:
            if refusal is not None:
                result.cases.append(_judge(process.name, case, [DEPLOYMENT_ERROR], refusal))
            else:
                result.cases.append(self._run_case(process, case))
        return result

    def _deploy(self, process: Process) -> str | None:
        """Deploy the translated model; return why it was refused, or None."""
        source = SourceFile(process.path.name, translate(process.path.read_bytes()))
        try:
            self.services.deployment.deploy([source])
        except InvalidModel as refused:
            return "; ".join(f"{p.code} {p.element_id}: {p.message}" for p in refused.problems)
        return None

    def _run_case(self, process: Process, case: Case) -> CaseResult:
        """Start the case's instances, let time pass, and compare what they logged with the expectation."""
        self.log.reset()
        try:
            instances = self._start_all(process, case)
        except Exception as exc:  # an engine crash is a failed case, not a failed suite
            actual = [*self.log.entries(case.expected), RUNTIME_ERROR]
            return _judge(process.name, case, actual, f"start failed: {exc!r}")
        self._let_time_pass(instances, case.delay + MARGIN)
        main = instances[-1]
        view = self.services.queries.instance(main, with_history=False)
        actual = self.log.entries(case.expected)
        if view.status == "error":
            actual.append(_error_entry(view.error_message or ""))
        return _judge(process.name, case, actual, view.error_message or view.status)

    def _start_all(self, process: Process, case: Case) -> list[int]:
        """Start the process under test (last), after its parallel partners when the case asks for them."""
        partners = parallel_processes(process) if case.parallel else []
        return [self.services.runtime.start(name, data=case.data) for name in [*partners, process.name]]

    def _let_time_pass(self, instances: list[int], horizon: timedelta) -> None:
        """Move the virtual clock a second at a time, firing due timers and completing open user tasks."""
        end = self.clock.now() + horizon
        running = [i for i in instances if self._running(i)]
        while self.clock.now() < end and running:
            self.clock.advance(STEP)
            for instance_id in running:
                self._complete_user_tasks(instance_id)
                self.services.runtime.fire_timers(instance_id)
            running = [i for i in running if self._running(i)]

    def _running(self, instance_id: int) -> bool:
        """True while the instance can still move."""
        return self.services.queries.instance(instance_id, with_history=False).status == "running"

    def _complete_user_tasks(self, instance_id: int) -> None:
        """Complete every open user task of the instance as the harness user."""
        for task in self.services.queries.tasks(instance_id=instance_id):
            self.services.runtime.complete_task(task.id, user=HARNESS_USER)


def parallel_processes(process: Process) -> list[str]:
    """The other processes of the file that a plain start event starts (betsy's "parallel process")."""
    root = etree.parse(str(process.path)).getroot()
    names = []
    for node in root.iter(f"{{{BPMN}}}process"):
        starts = node.findall(f"{{{BPMN}}}startEvent")
        if node.get("id") != process.name and any(len(s.findall("*[@id]")) == 0 for s in starts):
            names.append(str(node.get("id")))
    return names


def _error_entry(message: str) -> str:
    """How betsy would log an instance that ended in error."""
    return THROWN_ERROR if message.startswith(UNCAUGHT_ERROR_PREFIX) else RUNTIME_ERROR


def _judge(process: str, case: Case, actual: list[str], note: str) -> CaseResult:
    """Build the result; betsy's generic ``ERROR`` accepts a refused deployment or a failed instance."""
    if GENERIC_ERROR in case.expected:
        actual = [GENERIC_ERROR if e in (DEPLOYMENT_ERROR, RUNTIME_ERROR) else e for e in actual]
    return CaseResult(process, case, actual, note)


@contextmanager
def conformance_services() -> Iterator[tuple[Services, VirtualClock]]:
    """Services on a fresh, migrated SQLite database in a temporary folder, with a virtual clock."""
    with tempfile.TemporaryDirectory(prefix="procflow-conformance-") as home:
        url = f"sqlite:///{Path(home) / 'conformance.sqlite3'}"
        upgrade_database(url)
        clock = VirtualClock(T0)
        services = build_services(Settings(database_url=url, home=Path(home)), clock=clock, verify_state=True)
        try:
            yield services, clock
        finally:
            services.close()


def run_suite(names: Sequence[str] = (), directory: Path | None = None,
              report: Callable[[ProcessResult], None] | None = None) -> list[ProcessResult]:
    """Run the whole suite (or the processes in ``names``) and return a result per process."""
    processes = [p for p in load_suite(directory) if not names or p.name in names]
    results = []
    with conformance_services() as (services, clock):
        runner = ConformanceRunner(services, clock)
        for process in processes:
            results.append(runner.run_process(process))
            if report is not None:
                report(results[-1])
    return results


def describe(result: ProcessResult, verbose: bool = False) -> str:
    """One line for the process, then one per case (failing cases only, unless ``verbose``)."""
    passed = sum(c.passed for c in result.cases)
    lines = [f"{'PASS' if result.passed else 'FAIL'} {result.name}: {passed} passed, "
             f"{len(result.cases) - passed} failed"]
    for case in result.cases:
        if verbose or not case.passed:
            lines.append(f"    case {case.case.number} {'pass' if case.passed else 'FAIL'}: "
                         f"got {sorted(case.actual)}, expected {sorted(case.case.expected)}"
                         + ("" if case.passed else f" [{case.note}]"))
    return "\n".join(lines)


def summary(results: Sequence[ProcessResult]) -> str:
    """The closing lines: the cases, then (the last line) the processes."""
    processes = sum(r.passed for r in results)
    cases = [c for r in results for c in r.cases]
    case_passes = sum(c.passed for c in cases)
    return (f"cases: {case_passes} passed, {len(cases) - case_passes} failed\n"
            f"{processes} passed, {len(results) - processes} failed")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m tests.conformance.runner [-q] [process ...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-q" not in args
    names = [a for a in args if a != "-q"]
    results = run_suite(names, report=lambda r: print(describe(r, verbose), flush=True))
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

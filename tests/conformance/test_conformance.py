"""The betsy conformance suite through the engine: no process that passed may start failing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conformance.runner import REPO, ProcessResult, describe, run_suite, suite_dir

# The number of the suite's 136 processes procflow passes (docs/conformance.md); raise it, never lower it.
FLOOR = 119
DOCS = REPO / "docs" / "conformance.md"
_LISTED = re.compile(r"^- `([A-Za-z0-9_]+)`", re.M)


def documented_passing(path: Path = DOCS) -> set[str]:
    """The processes docs/conformance.md lists under "Passing processes"."""
    text = path.read_text(encoding="utf-8")
    section = text.split("## Passing processes", 1)[1].split("\n## ", 1)[0]
    return set(_LISTED.findall(section))


@pytest.fixture(scope="module")
def results() -> dict[str, ProcessResult]:
    if not (suite_dir() / "betsy" / "tests.json").is_file():
        pytest.skip(f"the conformance suite is not at {suite_dir()} (set PROCFLOW_CONFORMANCE_DIR)")
    return {result.name: result for result in run_suite()}


def test_at_least_the_recorded_number_of_processes_pass(results: dict[str, ProcessResult]) -> None:
    failing = [describe(r) for r in results.values() if not r.passed]
    assert len(results) - len(failing) >= FLOOR, "\n".join(failing)


def test_every_process_documented_as_passing_still_passes(results: dict[str, ProcessResult]) -> None:
    listed = documented_passing()
    assert len(listed) >= FLOOR
    regressed = [describe(results[name]) for name in sorted(listed) if not results[name].passed]
    assert not regressed, "\n".join(regressed)

"""Run the DMN TCK's compliance-level-2 test cases through procflow's DMN engine (engine.bpmn.dmn).

Run it as ``python -m tests.conformance.dmn_tck [-q]``: it prints each model with its cases (``-q``:
failing cases only) and the counts. The models and cases are in /work/shared/conformance/dmn-tck (or
``PROCFLOW_DMN_TCK_DIR``); a case passes when every expected result equals the evaluated one, numbers
compared as decimals within a relative 1e-12: the TCK's expected values carry 15 significant digits and
come from another implementation's rounding (0008 and 0009 expect 562.707359373292 where 34-digit decimal
arithmetic gives 562.70735937326592...; they agree to 13 digits).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from engine.bpmn.dmn import DecisionEvaluator, DmnError, load_definitions

TCK_NS = "http://www.omg.org/spec/DMN/20160719/testcase"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
TOLERANCE = Decimal("1e-12")


def tck_dir() -> Path:
    return Path(os.environ.get("PROCFLOW_DMN_TCK_DIR", "/work/shared/conformance/dmn-tck"))


@dataclass
class CaseResult:
    model: str
    case: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def _tag(name: str) -> str:
    return f"{{{TCK_NS}}}{name}"


def read_value(node: Any) -> Any:
    """A TCK ``inputNode``/``expected``/``component`` as a Python value (numbers as decimals)."""
    value = node.find(_tag("value"))
    if value is not None:
        if value.get(XSI_NIL) == "true":
            return None
        kind = (value.get(XSI_TYPE) or "").split(":")[-1]
        text = value.text or ""
        if kind == "decimal" or kind in ("integer", "double", "long", "int"):
            return Decimal(text)
        if kind == "boolean":
            return text.strip() == "true"
        return text
    components = node.findall(_tag("component"))
    if components:
        return {c.get("name"): read_value(c) for c in components}
    listed = node.find(_tag("list"))
    if listed is not None:
        return [read_value(item) for item in listed.findall(_tag("item"))]
    return None


def same(expected: Any, actual: Any) -> bool:
    """Equal as the TCK means it: numbers as decimals (to the expected's digits), lists and contexts deeply."""
    if isinstance(expected, Decimal):
        return _same_number(expected, actual)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(same(v, actual.get(k)) for k, v in expected.items())
    return bool(expected == actual) and type(expected) is type(actual)


def _same_number(expected: Decimal, actual: Any) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, int | float | Decimal):
        return False
    computed = Decimal(str(actual)) if isinstance(actual, float) else Decimal(actual)
    if computed == expected:
        return True
    try:
        return abs(computed - expected) <= abs(expected) * TOLERANCE
    except InvalidOperation:
        return False


def run_model(folder: Path) -> list[CaseResult]:
    """Evaluate every test case of one TCK model folder."""
    model = folder / f"{folder.name}.dmn"
    cases_file = next(folder.glob("*-test-01.xml"))
    evaluator = DecisionEvaluator(load_definitions(model.read_bytes()))
    results = []
    for case in etree.parse(str(cases_file)).getroot().iter(_tag("testCase")):
        inputs = {node.get("name"): read_value(node) for node in case.findall(_tag("inputNode"))}
        result = CaseResult(folder.name, case.get("id"))
        for node in case.findall(_tag("resultNode")):
            expected = read_value(node.find(_tag("expected")))
            try:
                actual = evaluator.decide(node.get("name"), inputs)
            except DmnError as error:
                actual = None if expected is None else f"error: {error}"
            if not same(expected, actual):
                result.failures.append(f"{node.get('name')}: expected {expected!r}, got {actual!r}")
        results.append(result)
    return results


def run_suite() -> list[CaseResult]:
    """Every case of every model in the TCK folder."""
    return [result for folder in sorted(tck_dir().iterdir()) if folder.is_dir()
            for result in run_model(folder)]


def main(argv: list[str]) -> int:
    quiet = "-q" in argv
    results = run_suite()
    for result in results:
        if not quiet or not result.passed:
            print(f"{'ok  ' if result.passed else 'FAIL'} {result.model} #{result.case}")
            for failure in result.failures:
                print(f"       {failure}")
    models = {r.model for r in results}
    failing = {r.model for r in results if not r.passed}
    print(f"cases: {sum(r.passed for r in results)} passed, {sum(not r.passed for r in results)} failed; "
          f"models: {len(models - failing)} passed, {len(failing)} failed")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

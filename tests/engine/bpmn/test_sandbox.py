"""Model scripts run in the sandbox through the whole engine: attacks fail the element, endless loops are stopped
in time, other cases go on meanwhile, and deploy refuses what can be seen before running."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator

import pytest

from engine.bpmn.validation import SourceFile, validate_sources
from engine.deployment.service import collect_sources
from engine.errors import InvalidModel
from engine.services import Services, build_services
from engine.settings import Settings
from tests.conftest import FIXTURES

LIMIT = 1.0
LOAD_MARGIN = 10.0  # seconds a loaded CI may add to a start; an endless loop not stopped still fails
FINE = {"attack": "", "amount": 16, "doc": {"title": "Công văn"}, "items": [1], "template": "", "name": ""}


@pytest.fixture
def limited(services: Services, settings: Settings, clock) -> Iterator[Services]:
    """Services whose scripts may run LIMIT seconds, with the sandbox model deployed (``services`` empties the
    tables afterwards)."""
    built = build_services(dataclasses.replace(settings, script_timeout=LIMIT), clock=clock, verify_state=True)
    built.deployment.deploy(collect_sources([FIXTURES / "sandbox.bpmn"]))
    yield built
    built.close()


def start(services: Services, **data: object) -> int:
    return services.runtime.start("sandbox", data={**FINE, **data})


def test_task_data_dicts_lists_and_allowed_modules_work(limited: Services) -> None:
    case = limited.queries.instance(start(limited), with_history=False)
    assert case.status == "running", case.error_message
    assert case.data["doc"] == {"title": "Công văn", "checked": True} and case.data["items"] == [1, 2]
    assert case.data["text"] == '{"checked": true, "title": "C\\u00f4ng v\\u0103n"}' and case.data["root"] == 4.0
    assert case.data["label"] == "Công văn /  16"
    assert "json" not in case.data and "math" not in case.data  # imported modules are not task data


@pytest.mark.parametrize(("attack", "data", "said"), [
    ("format", {"template": "{0.__class__.__init__.__globals__}"}, '"__class__" is an invalid attribute name'),
    ("format", {"template": "{0.real.__class__}"}, '"__class__" is an invalid attribute name'),
    ("getattr", {"name": "__class__"}, '"__class__" is an invalid attribute name'),
    ("getattr", {"name": "_value"}, '"_value" is an invalid attribute name'),
], ids=["format-string", "format-nested", "getattr-dunder", "getattr-private"])
def test_attacks_built_from_data_fail_the_element(limited: Services, attack: str, data: dict[str, str],
                                                  said: str) -> None:
    case = limited.queries.instance(start(limited, attack=attack, **data), with_history=False)
    assert (case.status, case.error_element) == ("error", "run")
    assert said in (case.error_message or "")
    assert "label" not in case.data and "value" not in case.data


def test_an_endless_loop_becomes_the_elements_error_within_the_limit(limited: Services) -> None:
    began = time.monotonic()
    case = limited.queries.instance(start(limited, attack="endless"), with_history=False)
    took = time.monotonic() - began
    assert (case.status, case.error_element) == ("error", "run")
    assert f"longer than the {LIMIT:g} s limit" in (case.error_message or "")
    assert LIMIT <= took < LIMIT + LOAD_MARGIN


def test_other_cases_start_while_a_script_loops(limited: Services, settings: Settings, clock) -> None:
    # On SQLite the looping step holds the write lock: the other start waits for it, but no longer than the limit.
    other = build_services(dataclasses.replace(settings, script_timeout=LIMIT), clock=clock, verify_state=True)
    finished: dict[str, float] = {}
    began = time.monotonic()

    def run(key: str, **data: object) -> None:
        start(other if key == "other" else limited, **data)
        finished[key] = time.monotonic() - began

    looping = threading.Thread(target=run, args=("loop",), kwargs={"attack": "endless"}, daemon=True)
    looping.start()
    time.sleep(0.2)  # the loop is running
    try:
        run("other")
    finally:
        looping.join(timeout=60)
        other.close()
    assert finished["other"] < LIMIT + LOAD_MARGIN, finished
    assert finished["loop"] < LIMIT + LOAD_MARGIN, finished
    statuses = sorted(i.status for i in limited.queries.instances())
    assert statuses == ["error", "running"]


def test_deploy_refuses_what_the_sandbox_forbids_with_its_place(limited: Services) -> None:
    path = FIXTURES / "invalid" / "forbidden_script.bpmn"
    problems = validate_sources([SourceFile("forbidden_script.bpmn", path.read_bytes())])
    assert [(p.code, p.file, p.line, p.element_id) for p in problems] == [
        ("E033", "forbidden_script.bpmn", 8, "steal")]
    assert 'import of "os" is not allowed' in problems[0].message
    with pytest.raises(InvalidModel) as refused:
        limited.deployment.deploy([SourceFile("forbidden_script.bpmn", path.read_bytes())])
    assert [p.code for p in refused.value.problems] == ["E033"]


def test_every_kind_of_expression_is_checked_at_deploy() -> None:
    path = FIXTURES / "invalid" / "forbidden_everywhere.bpmn"
    problems = validate_sources([SourceFile(path.name, path.read_bytes())])
    assert {(p.code, p.line, p.element_id) for p in problems} == {
        ("E033", 3, "forbidden_everywhere"),  # summary
        ("E033", 8, "f_yes"),  # condition: open()
        ("E033", 11, "read"),  # due: dunders
        ("E033", 13, "wait"),  # timer: __import__
    }


def test_the_shipped_procedures_pass_the_sandbox() -> None:
    shipped = sorted((FIXTURES.parent.parent / "processes").glob("*.bpmn"))
    assert len(shipped) >= 5
    sources = [SourceFile(p.name, p.read_bytes()) for p in shipped]
    assert [p for p in validate_sources(sources) if p.code == "E033"] == []

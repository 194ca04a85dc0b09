"""The time limit stops model code in any thread, cannot be swallowed, and never fires after a call returned."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from engine.bpmn.script_engine import SCRIPT_GLOBALS, SandboxedEnvironment
from engine.sandbox import ScriptTimedOut, call_with_limit, unlimited

LIMIT = 0.5
# Added to the limit when a test measures how soon code is stopped: a loaded CI can hold a thread back for seconds,
# and endless code that is not stopped still fails (the scripts below would run for hours).
LOAD_MARGIN = 5.0


def run_script(script: str, limit: float = LIMIT) -> tuple[BaseException | None, float]:
    """Run ``script`` in the sandbox; return what it raised and how long it took."""
    environment = SandboxedEnvironment(dict(SCRIPT_GLOBALS), timeout=limit)
    began = time.monotonic()
    try:
        environment.execute(script, {})
    except BaseException as error:  # the test looks at exactly what escaped
        return error, time.monotonic() - began
    return None, time.monotonic() - began


@pytest.mark.parametrize("script", [
    "while True:\n    pass",
    "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
    "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(64)",
    "x = [1 for i in range(10 ** 7) for j in range(10 ** 7)]",
    "try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass",
], ids=["while", "bare-except", "recursion", "comprehension", "finally"])
def test_endless_code_is_stopped_at_the_limit(script: str) -> None:
    error, took = run_script(script)
    assert isinstance(error, ScriptTimedOut), error
    assert f"{LIMIT:g} s limit" in str(error)
    assert LIMIT <= took < LIMIT + LOAD_MARGIN


def test_the_limit_works_in_any_thread() -> None:
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(run_script("while True:\n    pass")))
               for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [type(error) for error, _ in results] == [ScriptTimedOut] * 3
    assert all(took < LIMIT + LOAD_MARGIN for _, took in results)


def test_a_finished_call_is_never_interrupted_later() -> None:
    # Many calls that end right at the limit: none may leave a timeout pending for the code after it.
    for _ in range(40):
        try:
            call_with_limit(0.05, _spin, 0.049)
        except ScriptTimedOut:
            pass
        time.sleep(0.001)
        _spin(0.01)  # would raise here if an asynchronous timeout were still pending


def test_a_shielded_helper_is_not_interrupted_halfway() -> None:
    finished: list[bool] = []

    @unlimited
    def helper() -> None:
        _spin(0.3)  # past the limit, but trusted code (e.g. a database statement) runs to its end
        finished.append(True)

    def script() -> None:
        helper()
        _spin(5)

    with pytest.raises(ScriptTimedOut):
        call_with_limit(0.1, script)
    assert finished == [True]


def test_nested_calls_run_under_the_outer_limit() -> None:
    assert call_with_limit(1, call_with_limit, 1, sum, [1, 2]) == 3


def _spin(seconds: float) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pass

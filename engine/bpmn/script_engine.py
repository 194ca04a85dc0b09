"""The script engine every procflow workflow runs with: Python expressions plus the engine's clock."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.clock import Clock, SystemClock
from engine.registers.numbers import next_number, running_task

# Modules scripts may use without importing them; kept small on purpose.
SCRIPT_GLOBALS: dict[str, Any] = {
    "datetime": _dt,
    "timedelta": _dt.timedelta,
    "next_number": next_number,
}


class ProcflowScriptEngine(PythonScriptEngine):
    """A Python script engine that carries the clock and calendar timers use, and tells scripts their task."""

    def __init__(self, clock: Clock | None = None, calendar: Any = None) -> None:
        super().__init__(environment=TaskDataEnvironment(dict(SCRIPT_GLOBALS)))
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        """Run a script with ``task`` known to procflow's script functions (``next_number``)."""
        with running_task(task):
            return super().execute(task, script, external_context)

"""The script engine every procflow workflow runs with: Python expressions plus the engine's clock."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.bpmn.expressions import CLOCK_NAME, EXPRESSION_FUNCTIONS, feel_free_names, is_feel_translation
from engine.clock import Clock, SystemClock
from engine.registers.numbers import next_number, running_task

# Modules scripts may use without importing them; kept small on purpose.
SCRIPT_GLOBALS: dict[str, Any] = {
    "datetime": _dt,
    "timedelta": _dt.timedelta,
    "next_number": next_number,
    **EXPRESSION_FUNCTIONS,  # what FEEL and JUEL translations call (engine.bpmn.expressions)
}


class ProcflowScriptEngine(PythonScriptEngine):
    """A Python script engine that carries the clock and calendar timers use, and tells scripts their task."""

    def __init__(self, clock: Clock | None = None, calendar: Any = None) -> None:
        super().__init__(environment=TaskDataEnvironment(dict(SCRIPT_GLOBALS)))
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        """Evaluate ``expression``; a FEEL translation reads variables the case lacks as null, and ``now()``
        from the engine's clock."""
        if is_feel_translation(expression):
            missing = {name: None for name in feel_free_names(expression) if name not in task.data}
            external_context = {**missing, CLOCK_NAME: self.clock.now, **(external_context or {})}
        return super().evaluate(task, expression, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        """Run a script with ``task`` known to procflow's script functions (``next_number``)."""
        with running_task(task):
            return super().execute(task, script, external_context)

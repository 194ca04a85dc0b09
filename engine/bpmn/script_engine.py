"""The script engine every procflow workflow runs with: sandboxed Python expressions plus the engine's clock."""

from __future__ import annotations

import datetime as _dt
from types import ModuleType
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.bpmn import io_mapping
from engine.bpmn.expressions import CLOCK_NAME, EXPRESSION_FUNCTIONS, feel_free_names, is_feel_translation
from engine.clock import Clock, SystemClock
from engine.registers.numbers import next_number, running_task
from engine.sandbox import call_with_limit, compiled, restricted_globals, unlimited
from engine.settings import DEFAULT_SCRIPT_TIMEOUT

# Modules scripts may use without importing them; kept small on purpose.
SCRIPT_GLOBALS: dict[str, Any] = {
    "datetime": _dt,
    "timedelta": _dt.timedelta,
    "next_number": unlimited(next_number),  # never stopped halfway through its database statements
    **EXPRESSION_FUNCTIONS,  # what FEEL and JUEL translations call (engine.bpmn.expressions)
}


class SandboxedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment, but every text compiled restricted (engine.sandbox) and run
    under a time limit.

    Compiled code is cached per text, so a condition evaluated a thousand times is compiled once.
    """

    def __init__(self, environment_globals: dict[str, Any], timeout: float) -> None:
        super().__init__(environment_globals)
        self.timeout = timeout
        self._guards = restricted_globals()

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
                 ) -> Any:
        """The value of ``expression`` over ``context`` (task data), which it cannot change."""
        code = compiled(expression, "eval")
        namespace = dict(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(self._guards)  # last: task data never replaces a guard
        return call_with_limit(self.timeout, eval, code, namespace)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
                ) -> bool:
        """Run ``script`` with ``context`` (task data) as its globals; what it assigns becomes task data."""
        self.check_for_overwrite(context, external_context or {})
        code = compiled(script, "exec")
        context.update(self.globals)
        context.update(external_context or {})
        context.update(self._guards)
        try:
            call_with_limit(self.timeout, exec, code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _remove_globals_and_functions_from_context(self, context: dict[str, Any],
                                                   external_context: dict[str, Any] | None = None) -> None:
        super()._remove_globals_and_functions_from_context(context, external_context)
        for name in [name for name, value in context.items() if isinstance(value, ModuleType)]:
            del context[name]  # `import math` is not task data (and would not serialize)


class ProcflowScriptEngine(PythonScriptEngine):
    """A sandboxed Python script engine that carries the clock and calendar timers use, and tells scripts
    their task."""

    def __init__(self, clock: Clock | None = None, calendar: Any = None,
                 timeout: float = DEFAULT_SCRIPT_TIMEOUT) -> None:
        super().__init__(environment=SandboxedEnvironment(dict(SCRIPT_GLOBALS), timeout))
        self.clock: Clock = clock or SystemClock()
        self.calendar = calendar

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        """Evaluate ``expression``; a FEEL translation reads variables the case lacks as null, and ``now()``
        from the engine's clock."""
        if is_feel_translation(expression):
            missing = {name: None for name in feel_free_names(expression) if name not in task.data}
            external_context = {**missing, CLOCK_NAME: self.clock.now, **(external_context or {})}
        return super().evaluate(task, expression, external_context)

    def evaluate_data(self, expression: str, data: dict[str, Any]) -> Any:
        """Evaluate ``expression`` over ``data`` rather than a task's (a called process's result, a mapping)."""
        external: dict[str, Any] = {}
        if is_feel_translation(expression):
            external = {**{name: None for name in feel_free_names(expression) if name not in data},
                        CLOCK_NAME: self.clock.now}
        return self.environment.evaluate(expression, dict(data), external)

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        """Run a script with ``task`` known to procflow's script functions (``next_number``); the pre- and
        post-scripts standing for ``zeebe:ioMapping`` apply the mappings (engine/bpmn/io_mapping.py)."""
        if script in (io_mapping.IO_IN, io_mapping.IO_OUT):
            run = io_mapping.run_inputs if script == io_mapping.IO_IN else io_mapping.run_outputs
            return run(task, self.evaluate_data, lambda own: self.execute(task, own, external_context))
        with running_task(task):
            return super().execute(task, script, external_context)

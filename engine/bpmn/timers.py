"""Timer event definitions that read time from the engine's clock instead of ``datetime.now``.

SpiffWorkflow's own timers call ``datetime.now(timezone.utc)`` directly, which makes virtual
time (tests, simulations, scenario runs) impossible. These subclasses keep the BPMN meaning
of ISO 8601 dates, durations and cycles but ask ``workflow.script_engine.clock``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task


def clock_now(my_task: Task) -> datetime:
    """Return "now" for ``my_task`` from the clock of its workflow's script engine."""
    engine = my_task.workflow.script_engine
    clock = getattr(engine, "clock", None)
    if clock is None:  # a plain Spiff script engine: fall back to wall-clock time
        from engine.clock import SystemClock

        return SystemClock().now()
    return clock.now()


def duration_due(my_task: Task, expression: str, start: datetime) -> datetime:
    """Return the moment a duration ``expression`` started at ``start`` falls due.

    Working-time notations are delegated to the engine's business calendar when one is set.
    """
    engine = my_task.workflow.script_engine
    calendar = getattr(engine, "calendar", None)
    if calendar is not None and hasattr(calendar, "parse_working_duration"):
        working = calendar.parse_working_duration(expression)
        if working is not None:
            return calendar.add(start, working)
    parsed = TimerEventDefinition.parse_iso_duration(expression)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


class ClockTimeDateEventDefinition(TimeDateEventDefinition):
    """A timer at a fixed date and time."""

    def has_fired(self, my_task: Task) -> bool:
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= clock_now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockDurationTimerEventDefinition(DurationTimerEventDefinition):
    """A timer that falls due a duration after the event was reached."""

    def has_fired(self, my_task: Task) -> bool:
        event_value = my_task._get_internal_data("event_value")
        now = clock_now(my_task)
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            event_value = duration_due(my_task, str(expression), now).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockCycleTimerEventDefinition(CycleTimerEventDefinition):
    """A repeating timer (``R3/PT1H``, ``R/2026-01-05T08:00/P7D``, ...)."""

    def cycle_complete(self, my_task: Task) -> bool:
        now = clock_now(my_task)
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = parse_recurring(str(expression), now)
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}

        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True

        my_task._set_internal_data(event_value=event_value)
        return ready


def parse_recurring(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """Parse an ISO 8601 repeating interval, taking "now" from the caller instead of the wall clock."""
    components = expression.upper().replace("--", "/").strip("R").split("/")
    if len(components) == 2 and components[1].startswith("P"):
        cycles = int(components[0]) if components[0] else -1
        parsed = TimerEventDefinition.parse_iso_duration(components[1])
        duration = TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return cycles, now + duration, duration
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


# Spiff class -> procflow class, used by the parser and the serializer configuration.
TIMER_CLASSES: dict[type, type] = {
    TimeDateEventDefinition: ClockTimeDateEventDefinition,
    DurationTimerEventDefinition: ClockDurationTimerEventDefinition,
    CycleTimerEventDefinition: ClockCycleTimerEventDefinition,
}

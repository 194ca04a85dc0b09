"""Playing one scenario: its instance moved step by step, and its virtual clock moved timer by timer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.calendar.working_time import WorkingDuration
from engine.clock import VirtualClock
from engine.designer.scenarios.checks import Observed, differences, show
from engine.designer.scenarios.coverage import Visit, trace_of, visits_of
from engine.designer.scenarios.format import WORKING, Scenario
from engine.errors import InvalidState, NotFound, ProcflowError
from engine.i18n import N_
from engine.persistence.models import Notification
from engine.services import Services
from engine.timers.firing import WAITING

# A timer that keeps scheduling timers inside one ``advance`` is a model that never settles.
MAX_FIRINGS = 10_000


@dataclass(frozen=True)
class Failure:
    """Why a scenario failed: at which step (0: the start) and every difference found there."""

    step: int
    action: str
    differences: list[str]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"step": self.step, "action": self.action, "differences": self.differences}


class StepFailed(Exception):
    """An expectation did not hold."""

    def __init__(self, found: list[str]) -> None:
        super().__init__("; ".join(found))
        self.differences = found


class ScenarioPlay:
    """One scenario's instance on its own services and virtual clock."""

    def __init__(self, services: Services, process_id: str, zone: ZoneInfo) -> None:
        self.services = services
        self.process_id = process_id
        self.zone = zone
        self.clock = cast(VirtualClock, services.clock)
        self.instance_id: int | None = None
        self._actions: dict[str, Callable[[dict[str, Any]], None]] = {
            "complete": self.complete, "advance": self.advance, "deliver": self.deliver, "expect": self.expect}

    def play(self, scenario: Scenario) -> Failure | None:
        """Start the instance and run the steps in order; return the first failure, if any."""
        refusal = scenario.start.get("expect_error")
        failure = self._attempt(0, "start", partial(self.start, scenario.start), refusal)
        if refusal is not None:
            return failure  # a refused start leaves no instance to take further steps
        for step in scenario.steps:
            if failure is not None:
                break
            failure = self._attempt(step.number, step.label, partial(self._actions[step.action], step.args),
                                    step.expect_error)
        return failure

    def _attempt(self, number: int, label: str, action: Callable[[], None], expect_error: str | None) -> Failure | None:
        try:
            action()
        except StepFailed as exc:
            return Failure(number, label, exc.differences)
        except ProcflowError as exc:
            return _refused(number, label, str(exc), expect_error)
        except Exception as exc:  # a crash fails this scenario with its reason; the others still run
            return Failure(number, label, [f"crashed: {type(exc).__name__}: {exc}"])
        if expect_error is not None:
            return Failure(number, label, [f"expected a refusal containing {show(expect_error)}, "
                                           "but the step was accepted"])
        return None

    # -- actions ------------------------------------------------------------------------------
    def start(self, args: dict[str, Any]) -> None:
        """Start the scenario's instance."""
        self.instance_id = self.services.runtime.start(self.process_id, data=args["data"], business_key=args["key"],
                                                       user=args["user"])

    def complete(self, args: dict[str, Any]) -> None:
        """Complete the instance's first open task (earliest deadline) on the element ``task``."""
        open_tasks = self.services.queries.tasks(instance_id=self._instance())
        task = next((t for t in open_tasks if t.element_id == args["task"]), None)
        if task is None:
            names = ", ".join(t.element_id for t in open_tasks) or "none"
            raise NotFound(N_("no open task {task} (open tasks: {names})"), task=args['task'], names=names)
        self.services.runtime.complete_task(task.id, user=args["as_"], data=args["data"])

    def deliver(self, args: dict[str, Any]) -> None:
        """Deliver a BPMN message to the instance."""
        self.services.runtime.send_message(args["message"], instance_id=self._instance(), payload=args["data"])

    def advance(self, args: dict[str, Any]) -> None:
        """Move the clock, stopping at each due timer (earliest first) to fire it, timers it schedules included."""
        target = self._target(args)
        waiting: set[int] = set()  # due but held back (a suspended case): they fire on resume, not here
        for _ in range(MAX_FIRINGS):
            due = [t for t in self.services.timers.due(until=target, limit=len(waiting) + 1) if t.id not in waiting]
            if not due:
                self.clock.set(max(target, self.clock.now()))
                return
            if due[0].due_at > self.clock.now():
                self.clock.set(due[0].due_at)
            if self.services.timers.fire(due[0].id) == WAITING:
                waiting.add(due[0].id)
        raise InvalidState(N_("more than {limit} timers fell due in one advance: a timer that never settles?"),
                           limit=MAX_FIRINGS)

    def _target(self, args: dict[str, Any]) -> datetime:
        now = self.clock.now()
        if "to" in args:
            if args["to"] < now:
                raise InvalidState(N_("the clock does not run backwards: it is {now} already"),
                                   now=show(now, self.zone))
            return cast(datetime, args["to"])
        if set(args) & set(WORKING):
            duration = WorkingDuration(days=args.get("working_days", 0),
                                       time=timedelta(hours=args.get("working_hours", 0)))
            return self.services.calendar.add(now, duration)
        return now + timedelta(days=args.get("days", 0), hours=args.get("hours", 0), minutes=args.get("minutes", 0))

    def expect(self, args: dict[str, Any]) -> None:
        """Check the expectations against the instance as it is now."""
        found = differences(args, self.observe(), self.zone)
        if found:
            raise StepFailed(found)

    # -- reading ------------------------------------------------------------------------------
    def observe(self) -> Observed:
        """The instance's state, open tasks, data, notifications, history kinds and path."""
        instance_id = self._instance()
        view = self.services.queries.instance(instance_id)
        error = f"error at {view.error_element}: {view.error_message}" if view.error_message else None
        with self.services.db.read() as session:
            notes = session.execute(select(Notification.username, Notification.kind)
                                    .where(Notification.instance_id == instance_id)
                                    .order_by(Notification.id)).all()
        return Observed(view.status, error, view.open_tasks, view.data, [(n.username, n.kind) for n in notes],
                        [h.kind for h in view.history], trace_of(view.history), view.summary)

    def trace(self) -> tuple[list[str], list[Visit]]:
        """The ordered completed elements and the reach/complete visits of the instance (empty if never started)."""
        if self.instance_id is None:
            return [], []
        history = self.services.queries.history(self.instance_id)
        return trace_of(history), visits_of(history)

    def _instance(self) -> int:
        if self.instance_id is None:
            raise InvalidState(N_("the instance did not start"))
        return self.instance_id


def _refused(number: int, label: str, message: str, expect_error: str | None) -> Failure | None:
    if expect_error is None:
        return Failure(number, label, [f"refused: {message}"])
    if expect_error in message:
        return None
    return Failure(number, label, ["refused with another error:\n"
                                   f"  expected: {expect_error}\n  actual:   {message}"])

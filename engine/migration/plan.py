"""A migration plan: old element ids mapped to new ones, checked against both versions and the cases it moves.

Ids not named in the explicit mapping map to themselves when the new version has them. A plan is refused when
an element some case is active at (a waiting task, a timer, a message wait, inside sub-processes too) has no
counterpart, when an explicit mapping names an id missing from either version, when an element some case is at
(or that is mapped explicitly) would become an element of another kind (a user task a script task, a timer a
message wait), or when an element would leave its (sub-)process.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.i18n import N_, Message
from engine.runtime.specs import LoadedSpec

# Task states at which a case is somewhere: what a migration must be able to place in the new version.
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
# How SpiffWorkflow and procflow name the parts they add around an element: ``review.BoundaryEventSplit``,
# ``review.Tokens.In``, ``review [child]`` (a multi-instance task's instances), ``process.EndJoin``.
INTERNAL_SEPARATORS = (".", " [")


@dataclass(frozen=True)
class Line:
    """One element of the old version and where the plan puts it."""

    source: str
    target: str | None
    kind: str
    target_kind: str | None
    explicit: bool
    cases: int  # cases active at the element now


@dataclass(frozen=True)
class Problem:
    """Why a plan cannot run, located at an element of the old version (or of the mapping)."""

    element_id: str
    message: Message


@dataclass
class MigrationPlan:
    """A validated plan for moving ``cases`` of ``process_id`` from one version to another."""

    process_id: str
    from_version: int
    to_version: int
    from_version_id: int
    to_version_id: int
    mapping: dict[str, str]
    lines: list[Line] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    cases: list[int] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when the plan may run."""
        return not self.problems

    def target(self, name: str) -> str:
        """The new name of a task spec (an element id or one of Spiff's internal names built on one)."""
        if name in self.mapping:
            return self.mapping[name]
        for separator in INTERNAL_SEPARATORS:
            owner, found, rest = name.partition(separator)
            if found and owner in self.mapping:
                return f"{self.mapping[owner]}{separator}{rest}"
        return name


def element_kind(spec: Any) -> str:
    """What kind of BPMN element a task spec is, as a plan compares them (``UserTask``, ``BoundaryEvent:timer``)."""
    kind = type(spec).__name__.removeprefix("Procflow")
    definition = getattr(spec, "event_definition", None)
    if definition is not None:
        if isinstance(definition, TimerEventDefinition):
            return f"{kind}:timer"
        trigger = type(definition).__name__.removeprefix("Procflow").removesuffix("EventDefinition")
        return f"{kind}:{trigger.lower()}"
    return kind


def elements(loaded: LoadedSpec) -> dict[str, Any]:
    """The BPMN elements of a version (its process and every sub-process and called process): id -> task spec."""
    return {name: task_spec for name, (task_spec, _) in _scoped(loaded).items()}


def _scoped(loaded: LoadedSpec) -> dict[str, tuple[Any, str]]:
    """Each element of a version with the (sub-)process it belongs to."""
    found: dict[str, tuple[Any, str]] = {}
    for spec in (loaded.spec, *loaded.subprocess_specs.values()):
        for name, task_spec in spec.task_specs.items():
            if getattr(task_spec, "bpmn_id", None) == name:
                found.setdefault(name, (task_spec, spec.name))
    return found


def active_elements(state: str) -> set[str]:
    """The element ids a saved case state is active at (its process and every live sub-process)."""
    dct = json.loads(state)
    active: set[str] = set()
    for workflow in (dct, *dct.get("subprocesses", {}).values()):
        for task in workflow.get("tasks", {}).values():
            if task["state"] & ACTIVE:
                active.add(task["task_spec"])
    return active


def build_plan(old: LoadedSpec, new: LoadedSpec, mapping: dict[str, str], states: dict[int, str]) -> MigrationPlan:
    """Check ``mapping`` between two versions against the cases whose saved ``states`` are given (id -> state)."""
    plan = MigrationPlan(old.process_id, old.version, new.version, old.version_id, new.version_id, dict(mapping))
    scoped_before, scoped_after = _scoped(old), _scoped(new)
    before, after = elements(old), elements(new)
    for source, target in sorted(mapping.items()):
        if source not in before:
            plan.problems.append(Problem(source, Message(N_("no element {element_id} in version {version}"),
                                                         {"element_id": source, "version": old.version})))
        if target not in after:
            plan.problems.append(Problem(source, Message(N_("no element {element_id} in version {version}"),
                                                         {"element_id": target, "version": new.version})))
    where = Counter(name for state in states.values() for name in active_elements(state))
    for source, spec in sorted(before.items()):
        target = plan.target(source)
        counterpart = after.get(target)
        line = Line(source, target if counterpart is not None else None, element_kind(spec),
                    element_kind(counterpart) if counterpart is not None else None, source in mapping, where[source])
        plan.lines.append(line)
        if counterpart is not None and line.kind != line.target_kind and not (line.explicit or line.cases):
            continue  # an element redrawn as another kind where no case is: nothing to move there
        if counterpart is not None and line.kind != line.target_kind:
            plan.problems.append(Problem(source, Message(
                N_("{element_id} is a {kind} but {target} in version {version} is a {target_kind}"),
                {"element_id": source, "kind": line.kind, "target": target, "version": new.version,
                 "target_kind": line.target_kind})))
        elif counterpart is not None and plan.target(scoped_before[source][1]) != scoped_after[target][1]:
            plan.problems.append(Problem(source, Message(
                N_("{element_id} is in {scope} but {target} in version {version} is in {target_scope}"),
                {"element_id": source, "scope": scoped_before[source][1], "target": target, "version": new.version,
                 "target_scope": scoped_after[target][1]})))
        elif counterpart is None and line.cases:
            plan.problems.append(Problem(source, Message(
                N_("{count} case(s) are at {element_id}, which has no counterpart in version {version}: "
                   "map it with OLD=NEW"), {"count": line.cases, "element_id": source, "version": new.version})))
    plan.cases = sorted(states)
    return plan

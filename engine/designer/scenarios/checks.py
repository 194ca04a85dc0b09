"""Comparing what a scenario expects with what the instance shows, as readable differences."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from engine.cases.queries import TaskView

_BARE = re.compile(r"^[\w:.+\-/@]+$")
TASK_FIELDS = ("task", "name", "candidates", "assignee", "due")


@dataclass(frozen=True)
class Observed:
    """What an instance looks like at an ``expect`` step."""

    state: str
    error: str | None
    tasks: list[TaskView]
    data: dict[str, Any]
    notifications: list[tuple[str, str]]
    history: list[str]
    path: list[str]
    title: str | None = None


def differences(expected: dict[str, Any], observed: Observed, zone: tzinfo) -> list[str]:
    """Every way ``observed`` differs from ``expected`` (empty when it matches), one text per expectation."""
    checks: dict[str, Callable[[Any, Observed, tzinfo], list[str]]] = {
        "tasks": _tasks, "state": _state, "data": _data, "notifications": _notifications,
        "history": _history, "path": _path, "title": _title,
    }
    return [text for name, check in checks.items() if name in expected
            for text in check(expected[name], observed, zone)]


def show(value: Any, zone: tzinfo | None = None) -> str:
    """Write a value the way a scenario file would (YAML flow style), moments in the agency's zone."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return (value.astimezone(zone) if zone else value).isoformat()
    if isinstance(value, str):
        return value if _BARE.match(value) and value not in ("null", "true", "false") else _quoted(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v, zone) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v, zone)}" for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=False, default=str)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# -- tasks -------------------------------------------------------------------------------------------
def task_fields(task: TaskView) -> dict[str, Any]:
    """An open task in the terms of a scenario file."""
    return {"task": task.element_id, "name": task.name, "candidates": sorted(task.candidate_groups),
            "assignee": task.assignee, "due": task.due_at}


def _matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    return all(_same(key, value, actual[key]) for key, value in expected.items())


def _same(key: str, expected: Any, actual: Any) -> bool:
    return sorted(expected) == actual if key == "candidates" else expected == actual


def _tasks(expected: list[dict[str, Any]], observed: Observed, zone: tzinfo) -> list[str]:
    actual = [task_fields(t) for t in observed.tasks]
    missing = []
    # The most specific expectations pick first, so a loose one does not take the task a precise one needs.
    for wanted in sorted(expected, key=len, reverse=True):
        found = next((a for a in actual if _matches(wanted, a)), None)
        if found is None:
            missing.append(wanted)
        else:
            actual.remove(found)
    if not missing and not actual:
        return []
    lines = ["open tasks differ:"]
    for wanted in missing:
        same_element = next((a for a in actual if a["task"] == wanted["task"]), None)
        if same_element is not None:
            actual.remove(same_element)
            lines.extend(_field_differences(wanted, same_element, zone))
        else:
            lines.append(f"  missing:    {show(wanted, zone)}")
    lines.extend(f"  unexpected: {show(_in_file_order(a), zone)}" for a in actual)
    return ["\n".join(lines)]


def _field_differences(wanted: dict[str, Any], actual: dict[str, Any], zone: tzinfo) -> list[str]:
    return [f"  task {wanted['task']}: {key} expected {show(wanted[key], zone)}, actual {show(actual[key], zone)}"
            for key in TASK_FIELDS if key in wanted and not _same(key, wanted[key], actual[key])]


def _in_file_order(actual: dict[str, Any]) -> dict[str, Any]:
    return {key: actual[key] for key in ("task", "candidates", "assignee", "due")}


# -- state, data -------------------------------------------------------------------------------------
def _title(expected: str | None, observed: Observed, zone: tzinfo) -> list[str]:
    if expected == observed.title:
        return []
    return [f"title: expected {show(expected)}, actual {show(observed.title)}"]


def _state(expected: str, observed: Observed, zone: tzinfo) -> list[str]:
    if expected == observed.state:
        return []
    error = f" ({observed.error})" if observed.error else ""
    return [f"state: expected {expected}, actual {observed.state}{error}"]


def _data(expected: dict[str, Any], observed: Observed, zone: tzinfo) -> list[str]:
    out = []
    for key, value in expected.items():
        if key not in observed.data:
            out.append(f"data.{key}: expected {show(value)}, but the instance has no {key}")
        elif observed.data[key] != value:
            out.append(f"data.{key}: expected {show(value)}, actual {show(observed.data[key])}")
    return out


# -- notifications, history, path ---------------------------------------------------------------------
def _notifications(expected: list[dict[str, str]], observed: Observed, zone: tzinfo) -> list[str]:
    wanted = Counter((n["to"], n["kind"]) for n in expected)
    actual = Counter(observed.notifications)
    if wanted == actual:
        return []
    lines = ["notifications differ:"]
    lines.extend(f"  missing:    {{to: {to}, kind: {kind}}}" for to, kind in sorted((wanted - actual).elements()))
    lines.extend(f"  unexpected: {{to: {to}, kind: {kind}}}" for to, kind in sorted((actual - wanted).elements()))
    return ["\n".join(lines)]


def _history(expected: list[str], observed: Observed, zone: tzinfo) -> list[str]:
    position = 0
    for number, kind in enumerate(expected, start=1):
        try:
            position = observed.history.index(kind, position) + 1
        except ValueError:
            after = f" after {expected[number - 2]}" if number > 1 else ""
            return [f"history: no {kind}{after} (item {number} of the expected kinds)\n"
                    f"  actual: {show(observed.history)}"]
    return []


def _path(expected: list[str], observed: Observed, zone: tzinfo) -> list[str]:
    actual = observed.path
    if expected == actual:
        return []
    at = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
              min(len(expected), len(actual)))
    wanted = expected[at] if at < len(expected) else "(the end)"
    found = actual[at] if at < len(actual) else "(the end)"
    return [f"path differs at element {at + 1}: expected {wanted}, actual {found}\n"
            f"  expected: {show(expected)}\n  actual:   {show(actual)}"]

"""Keeping the inbox rows of an instance in step with its workflow, in the same transaction."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.timers import TimerEventDefinition, duration_due
from engine.clock import Clock
from engine.execution import ready_human_tasks
from engine.org import resolve_group
from engine.persistence.models import HistoryEvent, InboxTask, Instance, TaskCandidateGroup
from engine.specs import LoadedSpec

USER_PREFIX = "user:"
_VARIABLE = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


def sync_inbox(session: Session, instance: Instance, workflow: Any, spec: LoadedSpec, clock: Clock) -> list[Any]:
    """Insert rows for newly READY human tasks and delete rows of tasks no longer READY.

    Returns:
        The history events to record (task_created, deadline problems).
    """
    ready = {str(t.id): t for t in ready_human_tasks(workflow)}
    existing = {row.id: row for row in session.scalars(select(InboxTask).where(InboxTask.instance_id == instance.id))}
    events: list[Any] = []
    for task_id, row in existing.items():
        if task_id not in ready:
            session.delete(row)
    now = clock.now()
    for task_id, task in ready.items():
        if task_id in existing:
            continue
        meta = spec.tasks_meta.get(task.task_spec.bpmn_id, {})
        row, problems = _new_row(session, instance, task, meta, now)
        session.add(row)
        events.append(HistoryEvent(instance_id=instance.id, at=now, kind="task_created", task_id=task_id,
                                   element_id=task.task_spec.bpmn_id, element_type=type(task.task_spec).__name__,
                                   actor=None, data={"name": row.name, "assignee": row.assignee,
                                                     "candidate_groups": row.group_codes,
                                                     "due_at": row.due_at.isoformat() if row.due_at else None}))
        events.extend(HistoryEvent(instance_id=instance.id, at=now, kind="deadline_error", task_id=task_id,
                                   element_id=task.task_spec.bpmn_id, data={"message": p}) for p in problems)
    return events


def _new_row(session: Session, instance: Instance, task: Any, meta: dict[str, Any],
             now: datetime) -> tuple[InboxTask, list[str]]:
    spec = task.task_spec
    problems: list[str] = []
    groups = [_value(task, g) for g in meta.get("candidate_groups") or []]
    if not groups and (meta.get("lane") or getattr(spec, "lane", None)):
        groups = [meta.get("lane") or spec.lane]
    codes = [resolve_group(session, g) for g in groups if g]
    codes += [USER_PREFIX + u for u in (_value(task, u) for u in meta.get("candidate_users") or []) if u]
    due_at = None
    if meta.get("due"):
        try:
            due_at = deadline(task, meta["due"], now)
        except Exception as exc:  # a deadline that cannot be computed must not block the case
            problems.append(f"deadline {meta['due']!r} of {spec.bpmn_id} could not be computed: {exc}")
    row = InboxTask(
        id=str(task.id), instance_id=instance.id, process_id=instance.process_id, element_id=spec.bpmn_id,
        name=meta.get("name") or getattr(spec, "bpmn_name", None) or spec.bpmn_id, lane=meta.get("lane"),
        form_key=meta.get("form"), assignee=_value(task, meta["assignee"]) if meta.get("assignee") else None,
        created_at=now, due_at=due_at,
    )
    row.candidate_groups = [TaskCandidateGroup(group_code=c) for c in dict.fromkeys(codes)]
    return row, problems


def _value(task: Any, text: str) -> str:
    """A literal, or ``${variable}`` read from the task's data."""
    match = _VARIABLE.match(text.strip())
    if match:
        value = task.data.get(match.group(1))
        return str(value) if value is not None else ""
    return text.strip()


def deadline(task: Any, expression: str, now: datetime) -> datetime | None:
    """Evaluate a task deadline: a Python expression giving an ISO duration, a working duration or a date."""
    value = task.workflow.script_engine.evaluate(task, expression)
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    if text.upper().startswith("P") or text.startswith("working:"):
        return duration_due(task, text, now)
    return TimerEventDefinition.get_datetime(text)

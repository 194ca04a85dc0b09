"""Keeping the inbox rows of an instance in step with its workflow, in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from engine.bpmn.execution import ready_human_tasks
from engine.bpmn.timers import TimerEventDefinition, duration_due
from engine.org.attribution import GroupUnits
from engine.org.service import resolve_group
from engine.persistence import repository
from engine.persistence.db import raise_if_unavailable
from engine.persistence.models import HistoryEvent, Unit, User
from engine.runtime.specs import LoadedSpec

USER_PREFIX = "user:"
EVERYONE = "*"  # the offer row of a task with no candidate group: open to every user
_VARIABLE = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")


@dataclass
class InboxChange:
    """What a step did to an instance's inbox rows."""

    events: list[dict[str, Any]] = field(default_factory=list)  # history rows to record
    created: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (row, task metadata)
    closed: set[str] = field(default_factory=set)


def sync_inbox(conn: Connection, instance_id: int, process_id: str, workflow: Any, spec: LoadedSpec,
               now: datetime, *, known: set[str] | None = None) -> InboxChange:
    """Insert rows for newly READY human tasks and delete rows of tasks no longer READY.

    Args:
        known: the instance's open task ids if the caller already knows them (None: read them).
    """
    ready = {str(t.id): t for t in ready_human_tasks(workflow)}
    existing = repository.open_task_ids(conn, instance_id) if known is None else known
    change = InboxChange(closed={tid for tid in existing if tid not in ready})
    repository.delete_tasks(conn, list(change.closed))
    groups: list[dict[str, str]] = []
    holders: dict[str, str] | None = None
    group_units = GroupUnits(conn)
    for task_id, task in ready.items():
        if task_id in existing:
            continue
        meta = spec.tasks_meta.get(task.task_spec.bpmn_id, {})
        row, codes, problems = _new_row(conn, instance_id, process_id, task, meta, now)
        row["group_unit_code"] = group_units.unit_of(row["group_codes"])
        if meta.get("sticky", True) and not _multi_instance_child(task):
            holders = last_holders(conn, instance_id) if holders is None else holders
            _keep_holder(conn, row, holders.get(row["element_id"]))
        change.created.append((row, {**meta, "reminder": timing(task, meta.get("reminder")),
                                     "reassign_after": timing(task, meta.get("reassign_after"))}))
        groups.extend({"task_id": task_id, "group_code": c} for c in offered_to(row))
        kept_from = row.pop("kept_from", False)
        change.events.append(_history(instance_id, now, "task_created", task, {
            "name": row["name"], "assignee": row["assignee"], "candidate_groups": codes,
            "due_at": row["due_at"].isoformat() if row["due_at"] else None,
            **({"kept_holder": True, "model_assignee": kept_from} if kept_from is not False else {})}))
        change.events.extend(_history(instance_id, now, "deadline_error", task, {"message": p}) for p in problems)
    repository.insert_tasks(conn, [row for row, _ in change.created], groups)
    return change


_LAST_HOLDERS = (select(HistoryEvent.element_id, HistoryEvent.actor)
                 .where(HistoryEvent.instance_id == bindparam("i"), HistoryEvent.kind == "task_completed",
                        HistoryEvent.actor.is_not(None))
                 .order_by(HistoryEvent.id))
_ACTIVE = select(User.username).where(User.username == bindparam("u"), User.active.is_(True))


def last_holders(conn: Connection, instance_id: int) -> dict[str, str]:
    """Who last completed each step of a case: the person who held it last (assigned, reassigned, delegated)."""
    return {row.element_id: row.actor for row in conn.execute(_LAST_HOLDERS, {"i": instance_id})}


def _keep_holder(conn: Connection, row: dict[str, Any], holder: str | None) -> None:
    """Give a step the case loops back to to whoever held it last, if they are still active.

    Without this a task returned for revision went back to the assignee the model names (the one first chosen)
    rather than to whom a manager reassigned it or the holder delegated it to.
    """
    if holder and holder != row["assignee"] and conn.execute(_ACTIVE, {"u": holder}).first() is not None:
        row["kept_from"] = row["assignee"]
        row["assignee"] = holder


def _multi_instance_child(task: Any) -> bool:
    """Instances of a multi-instance task each have their own assignee (one per unit): never the last holder."""
    parent = getattr(task, "parent", None)
    return parent is not None and type(parent.task_spec).__name__.endswith("MultiInstanceTask")


def offered_to(row: dict[str, Any]) -> list[str]:
    """Whom a new inbox row is offered to: nobody once assigned, else its candidates (or everyone)."""
    if row["assignee"]:
        return []
    return row["group_codes"] or [EVERYONE]


def _history(instance_id: int, now: datetime, kind: str, task: Any, data: dict[str, Any]) -> dict[str, Any]:
    return {"instance_id": instance_id, "at": now, "kind": kind, "task_id": str(task.id),
            "element_id": task.task_spec.bpmn_id, "element_type": type(task.task_spec).__name__, "data": data}


def _new_row(conn: Connection, instance_id: int, process_id: str, task: Any, meta: dict[str, Any],
             now: datetime) -> tuple[dict[str, Any], list[str], list[str]]:
    spec = task.task_spec
    problems: list[str] = []
    groups = [_value(task, g) for g in meta.get("candidate_groups") or []]
    lane = meta.get("lane") or getattr(spec, "lane", None)
    if not groups and lane:
        groups = [lane]
    codes = [resolve_group(conn, g) for g in groups if g]
    codes += [USER_PREFIX + u for u in (_value(task, u) for u in meta.get("candidate_users") or []) if u]
    due_at = None
    if meta.get("due"):
        try:
            due_at = deadline(task, meta["due"], now)
        except Exception as exc:  # a deadline that cannot be computed must not block the case
            raise_if_unavailable(exc)
            problems.append(f"deadline {meta['due']!r} of {spec.bpmn_id} could not be computed: {exc}")
    row = {
        "id": str(task.id), "instance_id": instance_id, "process_id": process_id, "element_id": spec.bpmn_id,
        "name": meta.get("name") or getattr(spec, "bpmn_name", None) or spec.bpmn_id, "lane": lane,
        "form_key": meta.get("form"),
        "assignee": _assignee(conn, task, meta["assignee"]) if meta.get("assignee") else None,
        "created_at": now, "due_at": due_at, "group_codes": list(dict.fromkeys(codes)),
    }
    return row, row["group_codes"], problems


HEAD_PREFIX = "head:"
_HEAD = select(Unit.head_username).where(Unit.code == bindparam("code"))


def _assignee(conn: Connection, task: Any, text: str) -> str | None:
    """A username, ``${variable}``, or ``head:<unit>`` / ``head:${variable}``: the head of that unit."""
    text = text.strip()
    if text.startswith(HEAD_PREFIX):
        unit = _value(task, text[len(HEAD_PREFIX):])
        return conn.execute(_HEAD, {"code": unit}).scalar() if unit else None
    return _value(task, text) or None


def timing(task: Any, text: str | None) -> str | None:
    """A reminder or grace period as written (``working:P1D``), or what the expression written gives."""
    if not text:
        return None
    try:
        value = task.workflow.script_engine.evaluate(task, text)
    except Exception as exc:  # not an expression over the data: a literal duration
        raise_if_unavailable(exc)
        return text
    return str(value) if value else None


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

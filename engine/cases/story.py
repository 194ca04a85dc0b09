"""What a case is about, told from its data and its forms: each field labelled as the forms label it.

The case page shows the document's fields, each decision with its reason and the direction text as the people who
filled the forms saw them: a choice by its option's label, a person by full name, a unit or group by name, a file by
its name (the web layer links it to the case's file). The same reading gives the history's line of a completed task
("Kết luận: Trả lại, yêu cầu hoàn thiện — Ý kiến: …"): the fields its form let its user fill, as submitted.

A person picked to do a step (a field a task's assignee reads, ``${chuyen_vien_xu_ly}``) is told as who actually
held and did that step: after a delegation, a manager's reassignment or a hand-over the data still names the
first choice, so the history (:func:`holding`) decides, and the fact keeps each hand-over (by whom, from, to).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from engine.forms import FormDefinition
from engine.forms.definition import FormComponent
from engine.org.directory import Names

_SKIPPED = ("text", "html", "image", "button", "separator", "spacer", "group", "dynamiclist", "iframe", "table")


# History kinds that pass a task from one person to another: ``data`` has ``from`` and ``to`` (usernames).
HAND_OVER_KINDS = ("task_delegated", "task_reassigned", "task_handed_over", "reassigned")


@dataclass(frozen=True)
class HandOver:
    """A step passed on (user names; pages name them): ``by`` None when no one did it (an overdue timer), ``to``
    None when it went back to its groups; ``released`` when its holder gave it back ("Bỏ nhận") to whoever gave
    it to them."""

    by: str | None
    from_: str | None
    to: str | None
    released: bool = False


@dataclass(frozen=True)
class Holding:
    """Who held a picked person's steps in the end (None: nobody now, offered to groups) and how it got there."""

    holder: str | None
    hand_overs: list[HandOver]  # oldest first


@dataclass(frozen=True)
class Fact:
    """One labelled value: ``text`` for words and numbers, ``flag`` for a tick box, ``files`` for attached files."""

    key: str
    label: str
    text: str | None = None
    flag: bool | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    long: bool = False  # a paragraph (direction, reason, result), shown on its own line
    hand_overs: list[HandOver] = field(default_factory=list)  # a picked person's step passed on (text: who did it)


def case_facts(forms: Iterable[FormDefinition | None], data: Mapping[str, Any], names: Names,
               locale: str = "vi") -> list[Fact]:
    """Every field of the process's forms that holds a value in ``data``, once, in the forms' order, labelled as
    the form where it is filled in labels it (a later form may show it read-only under another label, such as
    the head's remark shown to the specialist as "remark when returning")."""
    order: list[str] = []
    chosen: dict[str, FormComponent] = {}
    for form in forms:
        for component in form.fields if form else ():
            name = component.name
            if not name or component.type in _SKIPPED:
                continue
            if name not in chosen:
                order.append(name)
                chosen[name] = component
            elif component.accepts_input and not chosen[name].accepts_input:
                chosen[name] = component
    found = (fact(chosen[name], _value(data, name), names, locale) for name in order)
    return [f for f in found if f is not None]


def decision_facts(form: FormDefinition | None, submitted: Mapping[str, Any], names: Names,
                   locale: str = "vi") -> list[Fact]:
    """What one completed task decided: the fields its form let its user fill, as submitted (empty ones left out)."""
    if form is None:
        return []
    found = (fact(c, _value(submitted, c.name), names, locale) for c in form.input_fields
             if c.name and c.type not in _SKIPPED)
    return [f for f in found if f is not None]


def holding(history: Sequence[Any], elements: Iterable[str], chosen: str) -> Holding | None:
    """Who held the steps ``elements`` that the model gave to ``chosen`` (their assignee field's value), by the
    history (rows with ``kind``, ``task_id``, ``element_id``, ``actor``, ``data``); None if none was opened.

    A step the case loops back to is opened for its last holder (``model_assignee`` keeps the model's choice), so
    every round counts; the latest round says who holds it or completed it."""
    wanted, tasks = set(elements), set()
    holder: str | None = None
    passed: list[HandOver] = []
    for event in history:
        data = event.data or {}
        if event.kind == "task_created" and event.element_id in wanted:
            if data.get("model_assignee", data.get("assignee")) != chosen:
                continue
            tasks.add(event.task_id)
            holder = data.get("assignee")
        elif event.task_id not in tasks:
            continue
        elif (move := hand_over(event)) is not None:
            passed.append(move)
            holder = move.to
        elif event.kind == "task_unclaimed":  # given back to the group: nobody holds it
            holder = None
        elif event.kind in ("task_claimed", "task_completed") and event.actor:
            holder = event.actor
    return Holding(holder, passed) if tasks else None


def hand_over(event: Any) -> HandOver | None:
    """The hand-over a history row records (a delegation, a reassignment by a manager or a timer, a hand-over
    when someone leaves, a task given back to whoever delegated it); None for any other row."""
    data = event.data or {}
    if event.kind in HAND_OVER_KINDS:
        to = data.get("to")
        return HandOver(event.actor, data.get("from"), to if isinstance(to, str) else None)
    if event.kind == "task_unclaimed" and data.get("returned_to"):
        return HandOver(event.actor, event.actor, data["returned_to"], released=True)
    return None


def held_by(facts: list[Fact], holdings: Mapping[str, Holding], names: Names) -> list[Fact]:
    """``facts`` with each picked person whose steps someone else held (``holdings`` by field name) told as who
    held them, with the hand-overs."""
    told = []
    for f in facts:
        found = holdings.get(f.key)
        if found is not None and found.hand_overs:
            f = replace(f, text=names.holder(found.holder) if found.holder else f.text, hand_overs=found.hand_overs)
        told.append(f)
    return told


def fact(component: FormComponent, value: Any, names: Names, locale: str = "vi") -> Fact | None:
    """``value`` of one field as its form shows it; None when it is empty."""
    key, label = component.name or "", component.label_for(locale) or component.name or ""
    if value is None or value == "" or value == []:
        return None
    if component.type == "filepicker":
        files = [f for f in (value if isinstance(value, list) else [value]) if isinstance(f, dict) and f.get("name")]
        return Fact(key, label, files=files) if files else None
    if component.type == "checkbox" or isinstance(value, bool):
        return Fact(key, label, flag=bool(value))
    texts = [_shown(component, v, names, locale) for v in (value if isinstance(value, list) else [value])]
    return Fact(key, label, text=", ".join(t for t in texts if t), long=component.type == "textarea")


def _shown(component: FormComponent, value: Any, names: Names, locale: str) -> str:
    """One value: an option by its label, a person, unit or group by name, anything else as written."""
    for choice in component.choices:
        if choice.value == str(value):
            return choice.label_for(locale)
    if component.type == "datetime":
        return _date_text(str(value), component.subtype, locale)
    if component.pick is not None:
        kind = component.pick.kind
        return names.holder(str(value)) if kind == "user" else names.unit(str(value)) if kind == "unit" \
            else names.group(str(value))
    return str(value)


def _date_text(text: str, subtype: str | None, locale: str) -> str:
    """A date or moment as people read it: ``29/04/2026`` in Vietnamese, ``2026-04-29`` in English."""
    vietnamese = not locale.startswith("en")
    try:
        if subtype in (None, "date"):
            day = date.fromisoformat(text)
            return day.strftime("%d/%m/%Y") if vietnamese else day.isoformat()
        if subtype == "datetime":
            moment = datetime.fromisoformat(text)
            return moment.strftime("%d/%m/%Y %H:%M") if vietnamese else moment.strftime("%Y-%m-%d %H:%M")
    except ValueError:
        pass
    return text


def _value(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted data path (fields inside a group with a ``path``)."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


"""Yearly evaluation: each person's tasks of the year, their on-time rate, and a proposed classification.

Decree 90/2020/ND-CP (as amended) classifies cadres, civil servants and public employees each year as
"hoàn thành xuất sắc nhiệm vụ", "hoàn thành tốt nhiệm vụ", "hoàn thành nhiệm vụ" or "không hoàn thành nhiệm vụ",
with qualitative criteria ("on schedule, with quality") that each agency turns into its own measurable rules. The
thresholds here are procflow's defaults, meant to be replaced by the agency's (docs/managers.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from engine.analytics.scope import OrgTree, Scope
from engine.analytics.sql import inbox, task_months, users
from engine.analytics.worktime import WorkingTimeline
from engine.errors import InvalidInput
from engine.i18n import N_, render

THRESHOLDS_KEY = "evaluation_thresholds"
LEVELS = ("excellent", "good", "complete", "not_complete")
LEVEL_NAMES = {  # msgids; the Vietnamese are the official names ("Hoàn thành xuất sắc nhiệm vụ", ...)
    "excellent": N_("Excellent"),
    "good": N_("Good"),
    "complete": N_("Complete"),
    "not_complete": N_("Not complete"),
}


@dataclass(frozen=True)
class Level:
    """A classification reached with at least ``min_on_time_rate`` and no task later than ``max_late_days``."""

    code: str
    min_on_time_rate: float
    max_late_days: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """Levels from the best down; a person who reaches none gets ``fallback``; below ``min_tasks``, no proposal."""

    levels: tuple[Level, ...]
    fallback: str = "not_complete"
    min_tasks: int = 1

    def propose(self, considered: int, rate: float | None, max_late_days: float) -> str | None:
        """The classification these thresholds propose (None: too few tasks with a deadline to judge)."""
        if considered < self.min_tasks or rate is None:
            return None
        for level in self.levels:
            if rate >= level.min_on_time_rate and (level.max_late_days is None or max_late_days <= level.max_late_days):
                return level.code
        return self.fallback

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (as stored)."""
        return {"levels": [level.__dict__ for level in self.levels], "fallback": self.fallback,
                "min_tasks": self.min_tasks}


DEFAULT_THRESHOLDS = Thresholds(levels=(Level("excellent", 0.95, 2.0), Level("good", 0.85, 5.0),
                                        Level("complete", 0.70, None)))


class LevelSchema(Schema):
    """One level of the thresholds as an administrator gives it."""

    code = fields.String(required=True, validate=validate.OneOf(LEVELS))
    min_on_time_rate = fields.Float(required=True, validate=validate.Range(0.0, 1.0))
    max_late_days = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0.0))


class ThresholdsSchema(Schema):
    """The evaluation thresholds as an administrator gives them."""

    levels = fields.List(fields.Nested(LevelSchema), required=True, validate=validate.Length(min=1, max=3))
    fallback = fields.String(load_default="not_complete", validate=validate.OneOf(LEVELS))
    min_tasks = fields.Integer(load_default=1, validate=validate.Range(min=1))

    @validates_schema
    def distinct_codes(self, data: dict[str, Any], **_: Any) -> None:
        """Refuse a level named twice, or a fallback that is also a level."""
        codes = [level["code"] for level in data.get("levels", [])] + [data.get("fallback", "not_complete")]
        if len(set(codes)) != len(codes):
            raise ValidationError("each classification may appear once (the fallback included)", "levels")


def load_thresholds(raw: Any) -> Thresholds:
    """Validate stored or given thresholds; raises InvalidInput with field messages."""
    try:
        data = ThresholdsSchema().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        raise InvalidInput(N_("invalid evaluation thresholds"), _flat(exc.messages)) from exc
    return Thresholds(tuple(Level(**level) for level in data["levels"]), data["fallback"], data["min_tasks"])


def _flat(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages."""
    if isinstance(messages, list):
        return {prefix or "_": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


@dataclass(frozen=True)
class EvaluationRow:
    """One person's year: tasks, on-time rate, proposal, and the manager's decision if made."""

    year: int
    username: str
    full_name: str
    unit_code: str | None
    unit_name: str
    completed: int
    with_deadline: int
    on_time: int
    late: int
    open_overdue: int  # tasks of the year still open after their deadline: they count as late
    considered: int  # with_deadline + open_overdue
    on_time_rate: float | None
    max_late_days: float
    proposed: str | None
    final: str | None = None
    reason: str | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    proposed_name: str = ""
    final_name: str = ""


@dataclass(frozen=True)
class YearContext:
    """What evaluating a year needs besides the people: the year's bounds, now, lateness, thresholds."""

    year: int
    start: datetime
    end: datetime
    now: datetime
    timeline: WorkingTimeline
    thresholds: Thresholds
    locale: str = "vi"
    decisions: dict[str, Any] = field(default_factory=dict)  # username -> the recorded decision's row


def people_in_scope(scope: Scope) -> Select:
    """(username, full name, unit code) of the active people the scope covers, by username."""
    query = select(users.c.username, users.c.full_name, users.c.unit_code).where(users.c.active.is_(True))
    if scope.units and not scope.everything:
        query = query.where(users.c.unit_code.in_(sorted(scope.units)))
    elif not scope.everything:
        query = query.where(users.c.username == scope.person)
    return query.order_by(users.c.username)


def evaluate(conn: Connection, people: Select, context: YearContext, tree: OrgTree) -> list[EvaluationRow]:
    """Figures and proposals for ``people`` in ``context.year`` (rollup by person, open overdue tasks)."""
    who = select(people.subquery().c.username)
    done = _year_figures(conn, who, context.year)
    waiting = _open_overdue(conn, who, context)
    return [_row(r.username, r.full_name, r.unit_code, done.get(r.username, (0, 0, 0, 0, 0)),
                 waiting.get(r.username, (0, None)), context, tree) for r in conn.execute(people)]


def _year_figures(conn: Connection, who: Select, year: int) -> dict[str, tuple[int, ...]]:
    """(completed, with deadline, on time, late, max late seconds) per person, from the monthly rollup."""
    m = task_months.c
    rows = conn.execute(select(m.actor, func.sum(m.completed), func.sum(m.with_deadline), func.sum(m.on_time),
                               func.sum(m.late), func.max(m.max_late_seconds))
                        .where(m.month >= date(year, 1, 1), m.month < date(year + 1, 1, 1), m.actor.in_(who))
                        .group_by(m.actor)).all()
    return {r[0]: tuple(int(v or 0) for v in r[1:]) for r in rows}


def _open_overdue(conn: Connection, who: Select, context: YearContext) -> dict[str, tuple[int, Any]]:
    """(count, earliest deadline) of each person's open tasks due in the year and already overdue."""
    until = min(context.end, context.now)
    rows = conn.execute(select(inbox.c.assignee, func.count(), func.min(inbox.c.due_at))
                        .where(inbox.c.assignee.in_(who), inbox.c.due_at >= context.start, inbox.c.due_at < until)
                        .group_by(inbox.c.assignee)).all()
    return {r[0]: (int(r[1]), r[2]) for r in rows}


def _row(user: str, full_name: str, unit: str | None, done: tuple[int, ...], waiting: tuple[int, Any],
         context: YearContext, tree: OrgTree) -> EvaluationRow:
    """Build one person's row with the proposal and any decision already recorded."""
    completed, with_deadline, on_time, late, max_late = done
    open_overdue, oldest = waiting
    if oldest is not None:
        max_late = max(max_late, context.timeline.late_seconds(oldest, context.now))
    considered = with_deadline + open_overdue
    rate = on_time / considered if considered else None
    late_days = context.timeline.days(max_late)
    proposed = context.thresholds.propose(considered, rate, late_days)
    decision = context.decisions.get(user)
    final = decision.final if decision else None
    return EvaluationRow(context.year, user, full_name, unit, tree.name(unit), completed, with_deadline, on_time,
                         late, open_overdue, considered, rate, late_days, proposed, final,
                         decision.reason if decision else None, decision.confirmed_by if decision else None,
                         decision.confirmed_at if decision else None, level_name(proposed, context.locale),
                         level_name(final, context.locale))


def level_name(code: str | None, locale: str = "vi") -> str:
    """The classification's name in ``vi`` or ``en`` ('' for none)."""
    if code is None:
        return ""
    return render(LEVEL_NAMES[code], None, locale) if code in LEVEL_NAMES else code


def figures_snapshot(row: EvaluationRow) -> dict[str, Any]:
    """The figures a decision was made from, kept with it."""
    keys = ("completed", "with_deadline", "on_time", "late", "open_overdue", "considered", "on_time_rate",
            "max_late_days")
    return {key: getattr(row, key) for key in keys}

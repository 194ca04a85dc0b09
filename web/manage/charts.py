"""The data the browser draws charts and the diagram heatmap from: values, labels and colour steps, ready to draw.

Labels and numbers are formatted here, in the user's language, so that the scripts (web/static/manage/) only
draw: they never format a date or a number themselves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

from engine.analytics.bottlenecks import Bottlenecks, StepFigures
from engine.analytics.records import RecordRow
from engine.analytics.trend import TrendPoint
from web.manage.common import decimal1, rate, short_date

STEPS = 5  # colour steps of the heatmap (heat-1 .. heat-5; heat-0: no figures)
GOOD_RATE, FAIR_RATE = 0.9, 0.7  # on-time rates shown green from 90 %, amber from 70 %


def trend_chart(points: Sequence[TrendPoint]) -> dict[str, Any]:
    """Columns: tasks overdue at the end of each week."""
    return {"kind": "columns", "max": max((p.overdue for p in points), default=0),
            "empty": _("No overdue tasks in these weeks."),
            "points": [{"label": short_date(p.week_start), "value": p.overdue, "display": str(p.overdue),
                        "tone": "overdue",
                        "title": _("Week of %(day)s: %(n)s tasks overdue at its end", day=short_date(p.week_start),
                                   n=p.overdue)} for p in points]}


def rate_chart(rows: Sequence[RecordRow]) -> dict[str, Any]:
    """Bars: each unit's on-time rate (units without a task with a deadline are left out)."""
    shown = [r for r in rows if r.on_time_rate is not None]
    return {"kind": "bars", "max": 1, "empty": _("No completed task with a deadline in this period."),
            "points": [{"label": r.name or r.key or _("No unit"), "value": r.on_time_rate,
                        "display": rate(r.on_time_rate), "tone": _tone(r.on_time_rate or 0.0),
                        "title": _("%(unit)s: %(on_time)s of %(total)s tasks on time", unit=r.name or r.key,
                                   on_time=r.on_time, total=r.with_deadline)} for r in shown]}


def _tone(value: float) -> str:
    return "good" if value >= GOOD_RATE else "fair" if value >= FAIR_RATE else "poor"


def heatmap(found: Bottlenecks, measure: str, xml: str) -> dict[str, Any]:
    """Each step of the diagram with its colour step (1 to 5, 0 without figures), badge text and tooltip.

    ``wait`` colours by the median wait relative to the slowest step; ``late`` by the share of late completions
    (fixed steps of 20 %), so that colours compare across procedures and periods.
    """
    values = {s.element_id: (s.median_wait_hours if measure == "wait" else s.late_share) for s in found.steps}
    top = max((v for v in values.values() if v is not None), default=0.0) if measure == "wait" else 1.0
    steps = [{"id": s.element_id, "name": s.name, "level": level(values[s.element_id], top),
              "display": _display(values[s.element_id], measure), "title": _step_title(s)} for s in found.steps]
    return {"xml": xml, "measure": measure, "steps": steps, "legend": legend(measure, top)}


def level(value: float | None, top: float) -> int:
    """The colour step of ``value`` on a scale up to ``top`` (0: no figures)."""
    if value is None:
        return 0
    if top <= 0:
        return 1
    return min(STEPS, max(1, math.ceil(value / top * STEPS)))


def legend(measure: str, top: float) -> list[dict[str, Any]]:
    """What each colour step stands for."""
    entries = [{"level": 0, "label": _("No completed task")}]
    for step in range(1, STEPS + 1):
        low, high = top * (step - 1) / STEPS, top * step / STEPS
        entries.append({"level": step, "label": f"{_display(low, measure)} – {_display(high, measure)}"})
    return entries


def _display(value: float | None, measure: str) -> str:
    if value is None:
        return "—"
    return rate(value) if measure == "late" else _("%(n)s h", n=decimal1(value))


def _step_title(step: StepFigures) -> str:
    return _("%(name)s: median wait %(wait)s, %(late)s late of %(total)s with a deadline, %(open)s open now "
             "(%(overdue)s overdue)", name=step.name, wait=_display(step.median_wait_hours, "wait"),
             late=step.late, total=step.with_deadline, open=step.open_now, overdue=step.open_overdue)

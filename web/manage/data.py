"""JSON the pages' charts and heatmap are drawn from, and every table as a CSV or XLSX download."""

from __future__ import annotations

import io
import re

from flask import abort, jsonify, request, send_file
from flask.typing import ResponseReturnValue
from flask_login import login_required

from engine.analytics import Sheet, as_rows, to_csv, to_xlsx
from web.extensions import services
from web.i18n import locale
from web.manage import bp
from web.manage.charts import heatmap, rate_chart, trend_chart
from web.manage.common import analytics, chosen_period, chosen_year, manager_scope, me
from web.manage.params import BottleneckSchema, TrendSchema
from web.manage.tables import TABLES
from web.params import load

TYPES = {
    "csv": "text/csv",  # Werkzeug adds "; charset=utf-8"
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/data/trend.json")
@login_required
def trend_data() -> ResponseReturnValue:
    """Tasks overdue at the end of each of the last weeks (a specialist: their own)."""
    weeks = load(TrendSchema(), request.args)["weeks"]
    return jsonify(trend_chart(analytics().overdue_trend(me(), weeks)))


@bp.get("/data/unit-rates.json")
@login_required
def unit_rates_data() -> ResponseReturnValue:
    """Each unit's on-time rate for the chosen period."""
    return jsonify(rate_chart(analytics().on_time_rate_by_unit(me(), chosen_period().period)))


@bp.get("/data/heatmap/<process_id>.json")
@login_required
def heatmap_data(process_id: str) -> ResponseReturnValue:
    """The procedure's diagram and, per step, its colour step by waiting time or by share of late completions."""
    measure = load(BottleneckSchema(), request.args)["measure"]
    found = analytics().bottlenecks(me(), process_id, chosen_period().period)
    return jsonify(heatmap(found, measure, services().catalogue.process_diagram(process_id)))


@bp.get("/export/<name>.<fmt>")
@login_required
def export(name: str, fmt: str) -> ResponseReturnValue:
    """One table of a managers' page, with the page's arguments, as CSV (UTF-8, Excel reads it) or XLSX."""
    table = TABLES.get(name)
    if table is None or fmt not in TYPES:
        abort(404)
    if table.managers_only:
        manager_scope(str(table.title))
    viewer = me()
    if name == "evaluation" and fmt == "xlsx":  # the report: the evaluation and the thresholds it used
        year = chosen_year()
        return _download(analytics().evaluation_report_xlsx(viewer, year, locale=locale()),
                         f"evaluation-{year}.xlsx", fmt)
    items, suffix = table.rows(viewer)
    cols, zone = table.columns(), services().settings.timezone
    if fmt == "csv":
        content = to_csv(as_rows(items), cols, timezone=zone)
    else:
        content = to_xlsx([Sheet(str(table.title), cols, as_rows(items))], timezone=zone)
    return _download(content, f"{name}-{suffix}.{fmt}", fmt)


def _download(content: bytes, filename: str, fmt: str) -> ResponseReturnValue:
    return send_file(io.BytesIO(content), mimetype=TYPES[fmt], as_attachment=True,
                     download_name=safe_filename(filename), max_age=0)


def safe_filename(name: str) -> str:
    """A download's name with nothing a header could be split or quoted by: letters, digits, ``.``, ``-``, ``_``
    (Werkzeug then writes RFC 6266's ``filename*`` for anything else)."""
    return re.sub(r"[^\w.\-]+", "_", name, flags=re.ASCII).strip("._") or "download"

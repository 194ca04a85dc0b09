"""Exporting managers' tables as CSV (UTF-8 with BOM, which Excel reads) and XLSX (openpyxl).

Text comes from people (a case's summary, a reason typed by a manager), so it is never run as a formula: in CSV a
text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe (OWASP's advice), and in XLSX
every text is written as a string cell, with the characters XML cannot hold removed.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from engine.i18n import N_, render
from engine.persistence.case_fields import display_key

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# openpyxl (about 20 MB in each process) is loaded by the first XLSX export, not by every web worker.
Columns = Sequence[tuple[str, str]]  # (key in the row, header)
# The C0 control characters XML 1.0 cannot hold (tab, line feed and carriage return it can).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Headers of every exported table: English msgids, in the reader's language through the engine's catalog.
_HEADERS: dict[str, list[tuple[str, str]]] = {
    "deadline_tasks": [
        ("task_id", N_("Task")),
        ("instance_id", N_("Case")),
        ("summary", N_("Case title")),
        ("process_id", N_("Procedure")),
        ("name", N_("Task name")),
        ("assignee", N_("Assignee")),
        ("unit_code", N_("Unit")),
        ("due_at", N_("Deadline")),
        ("overdue", N_("Overdue")),
        ("late_days", N_("Working days late")),
        ("business_key", N_("Case number")),
    ],
    "deadline_groups": [
        ("key", N_("Code")),
        ("name", N_("Name")),
        ("unit_code", N_("Unit")),
        ("overdue", N_("Overdue")),
        ("due_soon", N_("Due soon")),
        ("max_late_days", N_("Longest overdue (working days)")),
    ],
    "record": [
        ("key", N_("Code")),
        ("name", N_("Name")),
        ("unit_code", N_("Unit")),
        ("completed", N_("Completed")),
        ("with_deadline", N_("With deadline")),
        ("on_time", N_("On time")),
        ("late", N_("Late")),
        ("on_time_rate", N_("On-time rate")),
        ("avg_late_days", N_("Average lateness (working days)")),
        ("max_late_days", N_("Longest lateness (working days)")),
    ],
    "procedures": [
        ("process_id", N_("Procedure ID")),
        ("name", N_("Procedure")),
        ("cases", N_("Cases completed")),
        ("median_cycle_days", N_("Median cycle time (days)")),
        ("p90_cycle_days", N_("90th percentile cycle time (days)")),
        ("within_deadline_share", N_("Share within deadline")),
    ],
    "bottlenecks": [
        ("element_id", N_("Step")),
        ("name", N_("Step name")),
        ("completed", N_("Completed")),
        ("mean_wait_hours", N_("Mean wait (hours)")),
        ("median_wait_hours", N_("Median wait (hours)")),
        ("late_share", N_("Late share")),
        ("open_now", N_("Open now")),
        ("open_overdue", N_("Open overdue")),
    ],
    "trend": [
        ("week_start", N_("Week of")),
        ("overdue", N_("Overdue at week end")),
    ],
    "evaluation": [
        ("username", N_("User")),
        ("full_name", N_("Full name")),
        ("unit_name", N_("Unit")),
        ("completed", N_("Tasks completed")),
        ("considered", N_("Tasks with a deadline")),
        ("on_time", N_("On time")),
        ("late", N_("Completed late")),
        ("open_overdue", N_("Open and overdue")),
        ("on_time_rate", N_("On-time rate")),
        ("max_late_days", N_("Longest lateness (working days)")),
        ("proposed_name", N_("Proposed")),
        ("final_name", N_("Classification")),
        ("reason", N_("Reason for the change")),
        ("confirmed_by", N_("Confirmed by")),
    ],
}


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (at most 31 characters in Excel), its columns and rows."""

    title: str
    columns: Columns
    rows: Sequence[Mapping[str, Any]]


def columns(table: str, locale: str = "vi") -> list[tuple[str, str]]:
    """The (key, header) pairs of a managers' table in ``vi`` or ``en``."""
    return [(key, render(header, None, locale)) for key, header in _HEADERS[table]]


def as_rows(items: Sequence[Any]) -> list[dict[str, Any]]:
    """Turn dataclass results (or mappings) into dicts, ready for export; business keys as people write them."""
    rows = [dataclasses.asdict(item) if dataclasses.is_dataclass(item) and not isinstance(item, type) else dict(item)
            for item in items]
    for row in rows:
        if row.get("business_key"):
            row["business_key"] = display_key(row["business_key"])
    return rows


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Columns, *, timezone: str = "Asia/Ho_Chi_Minh") -> bytes:
    """Write rows as CSV in UTF-8 with a byte-order mark, so that Excel shows Vietnamese correctly.

    Args:
        rows: one mapping per line.
        columns: (key, header) pairs, in order.
        timezone: moments are written in this zone, ISO 8601 with their offset.

    Returns:
        The file's bytes.
    """
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([_text(row.get(key), zone) for key, _ in columns])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(sheets: Sequence[Sheet], *, timezone: str = "Asia/Ho_Chi_Minh") -> bytes:
    """Write sheets into one XLSX workbook (moments as local date-times, numbers as numbers).

    Args:
        sheets: the worksheets, in order.
        timezone: the zone moments are shown in (Excel has no time zones).

    Returns:
        The workbook's bytes.
    """
    from openpyxl import Workbook

    zone = ZoneInfo(timezone)
    book = Workbook(write_only=True)
    for sheet in sheets:
        page = book.create_sheet(title=_clean(sheet.title)[:31])
        page.append([_cell(page, header, zone) for _, header in sheet.columns])
        for row in sheet.rows:
            page.append([_cell(page, row.get(key), zone) for key, _ in sheet.columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def neutralised(text: str) -> str:
    """CSV text that a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _text(value: Any, zone: ZoneInfo) -> str:
    """A value as CSV text."""
    if isinstance(value, str):
        return neutralised(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _cell(page: WriteOnlyWorksheet, value: Any, zone: ZoneInfo) -> Any:
    """A value as an XLSX cell (aware moments become local, naive date-times; text always a string, never a
    formula)."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    if isinstance(value, bool | int | float | date) or value is None:
        return value
    cell = WriteOnlyCell(page, _clean(str(value)))
    cell.data_type = "s"
    return cell


def _clean(text: str) -> str:
    """``text`` without the control characters XML 1.0 cannot hold (openpyxl refuses them)."""
    return _ILLEGAL.sub("", text)

"""Exporting managers' tables as CSV (UTF-8 with BOM, which Excel reads) and XLSX (openpyxl)."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook

Columns = Sequence[tuple[str, str]]  # (key in the row, header)

# Headers of every exported table, Vietnamese first (the interface's default) and English.
_HEADERS: dict[str, list[tuple[str, str, str]]] = {
    "deadline_tasks": [("task_id", "Mã việc", "Task"), ("instance_id", "Hồ sơ", "Case"),
                       ("process_id", "Quy trình", "Procedure"), ("name", "Việc", "Task name"),
                       ("assignee", "Người xử lý", "Assignee"), ("unit_code", "Đơn vị", "Unit"),
                       ("due_at", "Hạn xử lý", "Deadline"), ("overdue", "Quá hạn", "Overdue"),
                       ("late_days", "Số ngày làm việc quá hạn", "Working days late"),
                       ("business_key", "Số hồ sơ", "Case number"), ("summary", "Trích yếu", "Summary")],
    "deadline_groups": [("key", "Mã", "Code"), ("name", "Tên", "Name"), ("unit_code", "Đơn vị", "Unit"),
                        ("overdue", "Quá hạn", "Overdue"), ("due_soon", "Sắp đến hạn", "Due soon"),
                        ("max_late_days", "Quá hạn lâu nhất (ngày làm việc)", "Longest overdue (working days)")],
    "record": [("key", "Mã", "Code"), ("name", "Tên", "Name"), ("unit_code", "Đơn vị", "Unit"),
               ("completed", "Đã hoàn thành", "Completed"), ("with_deadline", "Có hạn xử lý", "With deadline"),
               ("on_time", "Đúng hạn", "On time"), ("late", "Quá hạn", "Late"),
               ("on_time_rate", "Tỷ lệ đúng hạn", "On-time rate"),
               ("avg_late_days", "Quá hạn trung bình (ngày làm việc)", "Average lateness (working days)"),
               ("max_late_days", "Quá hạn lâu nhất (ngày làm việc)", "Longest lateness (working days)")],
    "procedures": [("process_id", "Mã quy trình", "Procedure"), ("name", "Quy trình", "Name"),
                   ("cases", "Số hồ sơ hoàn thành", "Cases completed"),
                   ("median_cycle_days", "Thời gian xử lý trung vị (ngày)", "Median cycle time (days)"),
                   ("p90_cycle_days", "Thời gian xử lý 90% (ngày)", "90th percentile cycle time (days)"),
                   ("within_deadline_share", "Tỷ lệ đúng hạn", "Share within deadline")],
    "bottlenecks": [("element_id", "Mã bước", "Step"), ("name", "Bước", "Name"),
                    ("completed", "Đã hoàn thành", "Completed"),
                    ("mean_wait_hours", "Chờ trung bình (giờ)", "Mean wait (hours)"),
                    ("median_wait_hours", "Chờ trung vị (giờ)", "Median wait (hours)"),
                    ("late_share", "Tỷ lệ quá hạn", "Late share"), ("open_now", "Đang chờ", "Open now"),
                    ("open_overdue", "Đang quá hạn", "Open overdue")],
    "trend": [("week_start", "Tuần bắt đầu", "Week of"), ("overdue", "Việc quá hạn cuối tuần", "Overdue at week end")],
    "evaluation": [("username", "Tài khoản", "User"), ("full_name", "Họ và tên", "Name"),
                   ("unit_name", "Đơn vị", "Unit"), ("completed", "Việc đã hoàn thành", "Tasks completed"),
                   ("considered", "Việc có hạn", "Tasks with a deadline"), ("on_time", "Đúng hạn", "On time"),
                   ("late", "Hoàn thành quá hạn", "Completed late"),
                   ("open_overdue", "Đang quá hạn", "Open and overdue"),
                   ("on_time_rate", "Tỷ lệ đúng hạn", "On-time rate"),
                   ("max_late_days", "Quá hạn lâu nhất (ngày làm việc)", "Longest lateness (working days)"),
                   ("proposed_name", "Đề xuất", "Proposed"), ("final_name", "Xếp loại", "Classification"),
                   ("reason", "Lý do điều chỉnh", "Reason for the change"),
                   ("confirmed_by", "Người xác nhận", "Confirmed by")],
}


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (at most 31 characters in Excel), its columns and rows."""

    title: str
    columns: Columns
    rows: Sequence[Mapping[str, Any]]


def columns(table: str, locale: str = "vi") -> list[tuple[str, str]]:
    """The (key, header) pairs of a managers' table in ``vi`` or ``en``."""
    index = 2 if locale == "en" else 1
    return [(entry[0], entry[index]) for entry in _HEADERS[table]]


def as_rows(items: Sequence[Any]) -> list[dict[str, Any]]:
    """Turn dataclass results (or mappings) into dicts, ready for export."""
    return [dataclasses.asdict(item) if dataclasses.is_dataclass(item) and not isinstance(item, type) else dict(item)
            for item in items]


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
    zone = ZoneInfo(timezone)
    book = Workbook(write_only=True)
    for sheet in sheets:
        page = book.create_sheet(title=sheet.title[:31])
        page.append([header for _, header in sheet.columns])
        for row in sheet.rows:
            page.append([_cell(row.get(key), zone) for key, _ in sheet.columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any, zone: ZoneInfo) -> str:
    """A value as CSV text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _cell(value: Any, zone: ZoneInfo) -> Any:
    """A value as an XLSX cell (aware moments become local, naive date-times)."""
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None)
    if isinstance(value, str | int | float | date) or value is None:
        return value
    return str(value)

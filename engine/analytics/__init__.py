"""Managers' figures and actions: deadlines, on-time records, procedures, bottlenecks, trends, yearly evaluation.

Everything is SQL aggregation over ``history`` (and its monthly rollups), ``inbox_tasks`` and ``instances``; no
workflow is deserialized. See docs/managers.md for what each figure means.
"""

from engine.analytics.export import Sheet, as_rows, columns, to_csv, to_xlsx
from engine.analytics.periods import Period
from engine.analytics.scope import Scope, scope_for
from engine.analytics.service import AnalyticsService, Dashboard

__all__ = ["AnalyticsService", "Dashboard", "Period", "Scope", "Sheet", "as_rows", "columns", "scope_for", "to_csv",
           "to_xlsx"]

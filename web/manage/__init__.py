"""Managers' pages: deadlines now, on-time records, bottlenecks on the diagram, charts, the yearly evaluation.

Every figure comes from ``AnalyticsService`` (engine/analytics/), which limits it to what the viewer may see: an
agency leader everything, a head their units and those below, anyone else their own record (``/manage/me``).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("manage", __name__, url_prefix="/manage")

# The routes live in the modules below; importing them attaches them to ``bp``.
from web.manage import actions, data, views  # noqa: E402

__all__ = ["actions", "bp", "data", "views"]

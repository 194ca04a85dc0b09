"""AnalyticsService: what managers see, computed by SQL aggregation over history, rollups and the inbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection

from engine.analytics import actions, deadlines, records, rollups
from engine.analytics import evaluation as yearly
from engine.analytics.bottlenecks import Bottlenecks, bottlenecks
from engine.analytics.export import Sheet, as_rows, columns, to_xlsx
from engine.analytics.periods import Period, local_date, local_midnight
from engine.analytics.scope import LEADER_GROUP, OrgTree, Scope, scope_for
from engine.analytics.trend import TrendPoint, overdue_trend
from engine.analytics.worktime import WorkingTimeline
from engine.calendar.due_soon import DUE_SOON_WINDOW, due_soon_until
from engine.calendar.working_time import WorkingCalendar, WorkingDuration
from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.i18n import N_, render
from engine.persistence.analytics_models import AnalyticsSetting, Evaluation
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.models import User
from engine.runtime.core import Runtime

ONE_WORKING_DAY = DUE_SOON_WINDOW  # engine/calendar/due_soon.py: the one definition of due soon


class CalendarSource(Protocol):
    """Something that hands out the current working calendar (``CalendarService``)."""

    def calendar(self) -> WorkingCalendar:
        """Return the working calendar in effect."""
        ...


@dataclass(frozen=True)
class Dashboard:
    """Everything the managers' dashboard page shows, from one call."""

    scope: Scope
    period: Period
    deadlines: deadlines.Deadlines
    record: records.OnTimeRecord
    procedures: list[records.ProcedureRow]
    trend: list[TrendPoint]


class AnalyticsService:
    """Managers' figures and actions, each limited to what the viewer may see (engine/analytics/scope.py)."""

    def __init__(self, *, db: Database, calendar: CalendarSource | WorkingCalendar, clock: Clock,
                 runtime: Runtime | None = None, leader_group: str = LEADER_GROUP) -> None:
        self.db = db
        self.leader_group = leader_group
        self.calendar = calendar
        self.clock = clock
        self.runtime = runtime  # when given, reminders go out through its dispatcher (e-mail after commit)
        self._timeline: WorkingTimeline | None = None

    # -- figures ------------------------------------------------------------------------------
    def scope_for(self, viewer: str) -> Scope:
        """Return what ``viewer`` may see; raises NotFound for an unknown or inactive user."""
        with self.db.connect() as conn:
            return scope_for(conn, viewer, leader_group=self.leader_group)

    def deadlines_now(self, viewer: str, *, unit: str | None = None, person: str | None = None,
                      soon: WorkingDuration = ONE_WORKING_DAY, limit: int = 50) -> deadlines.Deadlines:
        """Open tasks overdue or due within ``soon`` of working time, by unit and person.

        Args:
            viewer: who is looking.
            unit: only tasks counting for this unit (it must be in the viewer's scope).
            person: only tasks assigned to this user.
            soon: how far ahead "due soon" looks (one working day by default).
            limit: how many tasks and cases to list (the counts cover all).

        Returns:
            Counts by unit and person, the most urgent tasks and cases, lateness in working time.
        """
        with self._reading(viewer) as (conn, scope, tree):
            if unit is not None and not scope.sees_unit(unit):
                raise PermissionDenied(N_("unit {unit} is not in {viewer}'s scope"), unit=unit, viewer=viewer)
            now = self.clock.now()
            query = deadlines.DeadlineQuery(scope, now, self._calendar().add(now, soon), unit, person, limit)
            return deadlines.deadlines_now(conn, query, tree, self._working())

    def on_time_record(self, viewer: str, period: Period) -> records.OnTimeRecord:
        """Tasks completed in ``period`` per unit and per person: on time, late, average lateness in working days."""
        with self._reading(viewer) as (conn, scope, tree):
            return self._record(conn, scope, tree, period)

    def on_time_rate_by_unit(self, viewer: str, period: Period) -> list[records.RecordRow]:
        """Each unit's own on-time figures for ``period`` (the chart of on-time rate by unit)."""
        with self._reading(viewer) as (conn, scope, tree):
            scope.require_manager(N_("figures by unit"))
            return self._record(conn, scope, tree, period).units

    def procedure_figures(self, viewer: str, period: Period) -> list[records.ProcedureRow]:
        """Per procedure, cases completed in ``period``: count, median and p90 cycle time, share within deadline."""
        with self._reading(viewer) as (conn, scope, _tree):
            scope.require_manager(N_("procedure figures"))
            return records.procedure_rows(conn, scope, period, rollups.offset_minutes(conn))

    def bottlenecks(self, viewer: str, process_id: str, period: Period) -> Bottlenecks:
        """Per step of ``process_id``: waiting time and late share of tasks completed in ``period``, open tasks now."""
        with self._reading(viewer) as (conn, scope, _tree):
            scope.require_manager(N_("bottlenecks"))
            offset = rollups.offset_minutes(conn)
            start, end = local_midnight(period.start, offset), local_midnight(period.end, offset)
            return bottlenecks(conn, scope, process_id, start, end, period, self.clock.now())

    def overdue_trend(self, viewer: str, weeks: int = 12) -> list[TrendPoint]:
        """Tasks overdue at the end of each of the last ``weeks`` finished weeks (a specialist: their own)."""
        with self._reading(viewer) as (conn, scope, _tree):
            return overdue_trend(conn, scope, self.clock.now(), weeks, rollups.offset_minutes(conn))

    def dashboard(self, viewer: str, period: Period | None = None, *, weeks: int = 12) -> Dashboard:
        """Everything the dashboard page shows for ``period`` (default: the current year), on one connection."""
        with self._reading(viewer) as (conn, scope, tree):
            scope.require_manager(N_("the managers' dashboard"))
            offset = rollups.offset_minutes(conn)
            now = self.clock.now()
            period = period or Period.year(local_date(now, offset).year)
            query = deadlines.DeadlineQuery(scope, now, due_soon_until(self._calendar(), now))
            return Dashboard(scope, period, deadlines.deadlines_now(conn, query, tree, self._working()),
                             self._record(conn, scope, tree, period),
                             records.procedure_rows(conn, scope, period, offset),
                             overdue_trend(conn, scope, now, weeks, offset))

    def current_year(self) -> Period:
        """The current calendar year in the agency's time."""
        with self.db.connect() as conn:
            return Period.year(local_date(self.clock.now(), rollups.offset_minutes(conn)).year)

    # -- actions ------------------------------------------------------------------------------
    def remind(self, viewer: str, task_id: str) -> list[str]:
        """Remind whoever may work on an open task in the viewer's units; recorded in the case's history.

        Returns:
            The usernames reminded.
        """
        with self._writing(viewer) as (conn, scope, notifications):
            reminded, ids = actions.remind(conn, scope, task_id, self.clock.now(), self._calendar().zone)
            notifications.extend(ids)
            return reminded

    def reassign(self, viewer: str, task_id: str, to_user: str) -> None:
        """Give an open task in the viewer's units to ``to_user`` (in the same units); they are told."""
        with self._writing(viewer) as (conn, scope, notifications):
            notifications.extend(actions.reassign(conn, scope, task_id, to_user, self.clock.now()))

    # -- yearly evaluation ----------------------------------------------------------------------
    def thresholds(self) -> yearly.Thresholds:
        """The evaluation thresholds in effect (procflow's defaults until the agency sets its own)."""
        with self.db.connect() as conn:
            raw = conn.execute(select(AnalyticsSetting.value)
                               .where(AnalyticsSetting.key == yearly.THRESHOLDS_KEY)).scalar()
        return yearly.load_thresholds(raw) if raw is not None else yearly.DEFAULT_THRESHOLDS

    def set_thresholds(self, viewer: str, raw: dict[str, Any]) -> yearly.Thresholds:
        """Replace the evaluation thresholds (agency leaders only); raises InvalidInput with field messages."""
        thresholds = yearly.load_thresholds(raw)
        with self.db.write() as session:
            if not scope_for(session.connection(), viewer, leader_group=self.leader_group).everything:
                raise PermissionDenied(N_("only the agency's leaders set the evaluation thresholds"))
            session.merge(AnalyticsSetting(key=yearly.THRESHOLDS_KEY, value=thresholds.as_dict(),
                                           updated_at=self.clock.now(), updated_by=viewer))
        return thresholds

    def evaluation(self, viewer: str, year: int, *, locale: str = "vi") -> list[yearly.EvaluationRow]:
        """Each person in the viewer's scope: the year's tasks, on-time rate, proposed and confirmed classification."""
        thresholds = self.thresholds()
        with self._reading(viewer) as (conn, scope, tree):
            return yearly.evaluate(conn, yearly.people_in_scope(scope), self._year(conn, year, thresholds, locale),
                                   tree)

    def confirm(self, viewer: str, year: int, username: str, classification: str,
                reason: str | None = None) -> yearly.EvaluationRow:
        """Confirm (or, with a reason, override) the proposed classification of a person in the viewer's units.

        Raises:
            PermissionDenied: the viewer is not a manager of the person's unit, or is the person.
            InvalidInput: an unknown classification, or an override without a reason.
        """
        if classification not in yearly.LEVELS:
            raise InvalidInput(N_("unknown classification"), {"classification": [f"use one of {yearly.LEVELS}"]})
        thresholds = self.thresholds()
        with self.db.write() as session:
            conn = session.connection()
            row = self._person_row(conn, viewer, username, self._year(conn, year, thresholds, "vi"))
            if classification != row.proposed and not (reason or "").strip():
                raise InvalidInput(N_("a classification other than the proposed one needs a reason"),
                                   {"reason": ["give the reason for the change"]})
            session.execute(delete(Evaluation).where(Evaluation.year == year, Evaluation.username == username))
            session.add(Evaluation(year=year, username=username, unit_code=row.unit_code, proposed=row.proposed,
                                   final=classification, reason=(reason or "").strip() or None,
                                   figures=yearly.figures_snapshot(row), confirmed_by=viewer,
                                   confirmed_at=self.clock.now()))
        return next(r for r in self.evaluation(viewer, year) if r.username == username)

    def evaluation_report_xlsx(self, viewer: str, year: int, *, locale: str = "vi") -> bytes:
        """The year's evaluation of the viewer's people as an XLSX workbook (with the thresholds used)."""
        rows = self.evaluation(viewer, year, locale=locale)
        levels = [{"level": yearly.level_name(level.code, locale), "min_on_time_rate": level.min_on_time_rate,
                   "max_late_days": level.max_late_days} for level in self.thresholds().levels]
        title = render(N_("Evaluation {year}"), {"year": year}, locale)
        threshold_columns = [("level", render(N_("Level"), None, locale)),
                             ("min_on_time_rate", render(N_("Minimum rate"), None, locale)),
                             ("max_late_days", render(N_("Max late days"), None, locale))]
        return to_xlsx([Sheet(title, columns("evaluation", locale), as_rows(rows)),
                        Sheet(render(N_("Thresholds"), None, locale), threshold_columns, levels)],
                       timezone=str(self._calendar().zone))

    # -- maintenance --------------------------------------------------------------------------
    def rebuild_figures(self, *, follow_calendar: bool = False) -> dict[str, Any]:
        """Recompute the monthly rollups from the history (after a bulk import, or to follow the calendar's zone).

        Args:
            follow_calendar: also take the calendar time zone's current UTC offset for months and weeks.

        Returns:
            Row counts of the rollups and the UTC offset in use.
        """
        offset = None
        if follow_calendar:
            utc_offset = self.clock.now().astimezone(self._calendar().zone).utcoffset()
            offset = int(utc_offset.total_seconds() // 60) if utc_offset is not None else None
        with self.db.transaction() as conn:
            return rollups.rebuild(conn, offset)

    # -- helpers ------------------------------------------------------------------------------
    @contextmanager
    def _reading(self, viewer: str) -> Iterator[tuple[Connection, Scope, OrgTree]]:
        """A reading connection, the viewer's scope and the organisation tree."""
        with self.db.connect() as conn:
            if conn.dialect.name == "postgresql":
                # These are short aggregations whose cost estimates can cross jit_above_cost; compiling them
                # costs more (tens of ms) than running them. SET LOCAL ends with this read's transaction.
                conn.execute(text("SET LOCAL jit = off"))
            tree = OrgTree.load(conn)
            yield conn, scope_for(conn, viewer, tree, self.leader_group), tree

    @contextmanager
    def _writing(self, viewer: str) -> Iterator[tuple[Connection, Scope, list[int]]]:
        """A writing transaction (the runtime's, when given: notifications are e-mailed after commit)."""
        if self.runtime is not None:
            with self.runtime.transaction() as step:
                yield step.conn, scope_for(step.conn, viewer, leader_group=self.leader_group), step.notifications
            return
        with self.db.transaction() as conn:
            yield conn, scope_for(conn, viewer, leader_group=self.leader_group), []

    def _record(self, conn: Connection, scope: Scope, tree: OrgTree, period: Period) -> records.OnTimeRecord:
        """The on-time record of ``period`` in ``scope``."""
        found = records.tallies(conn, scope, period, rollups.offset_minutes(conn))
        return records.on_time_record(found, period, tree, self._working().day_seconds)

    def _year(self, conn: Connection, year: int, thresholds: yearly.Thresholds,
              locale: str) -> yearly.YearContext:
        """What evaluating ``year`` needs, with the decisions already recorded."""
        offset = rollups.offset_minutes(conn)
        period = Period.year(year)
        e = table_of(Evaluation).c
        decisions = {r.username: r for r in conn.execute(
            select(e.username, e.final, e.reason, e.confirmed_by, e.confirmed_at).where(e.year == year))}
        return yearly.YearContext(year, local_midnight(period.start, offset), local_midnight(period.end, offset),
                                  self.clock.now(), self._working(), thresholds, locale, decisions)

    def _person_row(self, conn: Connection, viewer: str, username: str,
                    context: yearly.YearContext) -> yearly.EvaluationRow:
        """The evaluation row of ``username``, if ``viewer`` may decide it."""
        tree = OrgTree.load(conn)
        scope = scope_for(conn, viewer, tree, self.leader_group)
        scope.require_manager(N_("classifications"))
        if username == viewer:
            raise PermissionDenied(N_("one's own classification is confirmed by the level above"))
        unit = conn.execute(select(User.unit_code).where(User.username == username)).first()
        if unit is None:
            raise NotFound(N_("no user '{user}'"), user=username)
        if not scope.sees_unit(unit.unit_code):
            raise PermissionDenied(N_("{user} is not in {viewer}'s units"), user=username, viewer=viewer)
        person = select(User.username, User.full_name, User.unit_code).where(User.username == username)
        return yearly.evaluate(conn, person, context, tree)[0]

    def _calendar(self) -> WorkingCalendar:
        """The working calendar in effect."""
        source = self.calendar
        return source if isinstance(source, WorkingCalendar) else source.calendar()

    def _working(self) -> WorkingTimeline:
        """The calendar's working time with per-day sums, rebuilt when the calendar changes."""
        calendar = self._calendar()
        if self._timeline is None or self._timeline.calendar is not calendar:
            self._timeline = WorkingTimeline(calendar)
        return self._timeline

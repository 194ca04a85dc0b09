"""Working time between many pairs of moments at the cost of a lookup each, by the business calendar's own rules.

A working day of :class:`~engine.calendar.working_time.WorkingCalendar` always holds ``day_length`` of working
time (every
working day has the same office periods). So the working time from a fixed anchor to a moment is the number of
working days before the moment's local date (``is_working_day``) times ``day_length``, plus the parts of that
date's office periods (``periods``) before the moment. The difference of two such positions is
``working_time_between``; the test suite checks they agree. Day counts are kept per year, computed once per
calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import accumulate

from engine.calendar.working_time import WorkingCalendar


class WorkingTimeline:
    """Answers ``working_time_between`` for a calendar in constant time after a once-per-year set-up."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self.day_seconds = int(calendar.day_length.total_seconds())
        self._anchor_year: int | None = None
        self._prefix: dict[int, list[int]] = {}  # year -> working days before each day of the year
        self._before_year: dict[int, int] = {}  # year -> working days from the anchor year to 1 January
        self._before_day: dict[date, int] = {}
        self._last: tuple[datetime, timedelta] | None = None  # the moment asked last (often "now") and its position

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Return the working time from ``a`` to ``b`` (negative when ``b`` is earlier), as the calendar counts it."""
        return self._position(b) - self._position(a)

    def late_seconds(self, due_at: datetime, now: datetime) -> int:
        """Working seconds from ``due_at`` to ``now``; 0 when ``now`` is not after the deadline."""
        if now <= due_at:
            return 0
        return int(self.between(due_at, now).total_seconds())

    def days(self, seconds: float) -> float:
        """Express working seconds in working days of this calendar."""
        return seconds / self.day_seconds

    def _position(self, moment: datetime) -> timedelta:
        """Working time from the anchor year's 1 January to ``moment``."""
        if self._last is not None and self._last[0] == moment:
            return self._last[1]
        local = moment.astimezone(self.calendar.zone)
        day = local.date()
        today = self._time_into(day, local) if self.calendar.is_working_day(day) else timedelta(0)
        position = self._working_days_before(day) * self.calendar.day_length + today
        self._last = (moment, position)
        return position

    def _time_into(self, day: date, local: datetime) -> timedelta:
        """Working time of working day ``day`` up to ``local``: the parts of its office periods before it."""
        total = timedelta(0)
        for begin, end in self.calendar.periods:
            start = datetime.combine(day, begin, tzinfo=self.calendar.zone)
            if local > start:
                total += min(local, datetime.combine(day, end, tzinfo=self.calendar.zone)) - start
        return total

    def _working_days_before(self, day: date) -> int:
        """Working days from the anchor year's 1 January up to (not including) ``day``."""
        found = self._before_day.get(day)
        if found is None:
            if self._anchor_year is None:
                self._anchor_year = day.year
            found = self._year_offset(day.year) + self._year_prefix(day.year)[day.timetuple().tm_yday - 1]
            self._before_day[day] = found
        return found

    def _year_prefix(self, year: int) -> list[int]:
        """Working days before each day of ``year`` (index 0 is 1 January), plus the year's total at the end."""
        if year not in self._prefix:
            first = date(year, 1, 1)
            count = (date(year + 1, 1, 1) - first).days
            flags = (int(self.calendar.is_working_day(first + timedelta(days=n))) for n in range(count))
            self._prefix[year] = [0, *accumulate(flags)]
        return self._prefix[year]

    def _year_offset(self, year: int) -> int:
        """Working days from the anchor year's 1 January to ``year``'s 1 January (negative before the anchor)."""
        anchor = self._anchor_year if self._anchor_year is not None else year
        if year not in self._before_year:
            step = 1 if year >= anchor else -1
            years = range(anchor, year) if step > 0 else range(year, anchor)
            self._before_year[year] = step * sum(self._year_prefix(y)[-1] for y in years)
        return self._before_year[year]

"""Reporting periods: whole local dates, split into the full months the rollups answer and the edges around them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone


@dataclass(frozen=True)
class Period:
    """The local dates from ``start`` (included) to ``end`` (excluded), at the agency's UTC offset."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a period must end after it starts: {self.start} .. {self.end}")

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``."""
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """One calendar month."""
        return cls(date(year, month, 1), next_month(date(year, month, 1)))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter 1 to 4 of ``year``."""
        if not 1 <= quarter <= 4:
            raise ValueError("a quarter is 1 to 4")
        first = date(year, 3 * quarter - 2, 1)
        return cls(first, next_month(next_month(next_month(first))))

    def full_months(self) -> tuple[date, date] | None:
        """The first day of the first full month inside and the day after the last one (None: no full month)."""
        first = self.start if self.start.day == 1 else next_month(self.start)
        after = self.end.replace(day=1)
        return (first, after) if first < after else None

    def edges(self) -> list[tuple[date, date]]:
        """The parts of the period outside its full months (read from the history itself)."""
        months = self.full_months()
        if months is None:
            return [(self.start, self.end)]
        parts = [(self.start, months[0]), (months[1], self.end)]
        return [(a, b) for a, b in parts if a < b]

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready dict (``end`` excluded)."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def local_midnight(day: date, offset_minutes: int) -> datetime:
    """The UTC moment local ``day`` begins at the given UTC offset."""
    zone = timezone(timedelta(minutes=offset_minutes))
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def local_date(moment: datetime, offset_minutes: int) -> date:
    """The local date of ``moment`` at the given UTC offset."""
    return moment.astimezone(timezone(timedelta(minutes=offset_minutes))).date()

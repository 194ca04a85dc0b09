"""The working-time calendar: working days, office hours and the shipped Vietnamese holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from engine.calendar.working_time import (
    Holiday,
    WorkingCalendar,
    WorkingDuration,
    default_calendar,
    load_extra_workdays,
    load_holidays,
    parse_working_duration,
)

HOURS = timedelta(hours=1)


def at(text: str) -> datetime:
    """Read an ISO 8601 moment with its offset, e.g. ``2026-04-29T09:00+07:00``."""
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return default_calendar()


# --- working days -------------------------------------------------------------------------------------------


def test_two_working_days_skip_30_april_1_may_and_the_weekend(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(at("2026-04-29T09:00+07:00"), 2) == at("2026-05-05T09:00+07:00")


def test_weekend_is_skipped(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 3, 14))
    assert not calendar.is_working_day(date(2026, 3, 15))
    assert calendar.add_working_days(at("2026-03-13T09:00+07:00"), 1) == at("2026-03-16T09:00+07:00")


@pytest.mark.parametrize("day", ["2026-01-01", "2026-04-30", "2026-05-01", "2026-09-01", "2026-09-02"])
def test_public_holidays_are_not_working_days(calendar: WorkingCalendar, day: str) -> None:
    assert not calendar.is_working_day(date.fromisoformat(day))


def test_lunar_new_year_spans_the_whole_week(calendar: WorkingCalendar) -> None:
    tet = [date(2026, 2, 16) + timedelta(days=n) for n in range(5)]
    assert not any(calendar.is_working_day(day) for day in tet)
    assert calendar.add_working_days(at("2026-02-13T09:00+07:00"), 1) == at("2026-02-23T09:00+07:00")
    assert calendar.working_days_between(at("2026-02-13T17:00+07:00"), at("2026-02-23T07:30+07:00")) == 0


def test_compensatory_day_follows_a_holiday_on_sunday(calendar: WorkingCalendar) -> None:
    # Giỗ Tổ Hùng Vương 2026 is Sunday 26 April, so Monday 27 April is off.
    assert not calendar.is_working_day(date(2026, 4, 27))
    assert calendar.add_working_days(at("2026-04-24T09:00+07:00"), 1) == at("2026-04-28T09:00+07:00")
    assert calendar.add_working_time(at("2026-04-24T16:00+07:00"), 2 * HOURS) == at("2026-04-28T08:30+07:00")


def test_compensatory_days_of_2027(calendar: WorkingCalendar) -> None:
    # Tết 2027 runs Friday 5 to Tuesday 9 February with two weekend days, made up on 10 and 11 February.
    assert calendar.add_working_days(at("2027-02-04T09:00+07:00"), 1) == at("2027-02-12T09:00+07:00")
    # 1 May 2027 is a Saturday, so Monday 3 May is off as well as Friday 30 April.
    assert calendar.add_working_days(at("2027-04-29T09:00+07:00"), 1) == at("2027-05-04T09:00+07:00")


def test_swapped_days_and_the_saturdays_worked_for_them(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 1, 2))
    assert not calendar.is_working_day(date(2026, 8, 31))
    assert calendar.is_working_day(date(2026, 1, 10))
    assert calendar.is_working_day(date(2026, 8, 22))
    assert calendar.add_working_days(at("2025-12-31T09:00+07:00"), 1) == at("2026-01-05T09:00+07:00")
    assert calendar.add_working_days(at("2026-01-09T09:00+07:00"), 1) == at("2026-01-10T09:00+07:00")


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2026-03-14T10:00+07:00", "2026-03-17T07:30+07:00"),  # Saturday: Monday 07:30, then one day
        ("2026-03-11T12:00+07:00", "2026-03-12T13:30+07:00"),  # lunch break: 13:30
        ("2026-03-11T06:00+07:00", "2026-03-12T07:30+07:00"),  # before office hours: 07:30 the same day
        ("2026-03-11T18:00+07:00", "2026-03-13T07:30+07:00"),  # after office hours: 07:30 the next day
        ("2026-03-11T17:00+07:00", "2026-03-12T17:00+07:00"),  # the end of a period is still working time
    ],
)
def test_working_days_from_outside_working_time(calendar: WorkingCalendar, start: str, expected: str) -> None:
    assert calendar.add_working_days(at(start), 1) == at(expected)


def test_negative_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.add_working_days(at("2026-05-05T09:00+07:00"), -2) == at("2026-04-29T09:00+07:00")
    # Outside working time a backward count starts from the end of the previous period.
    assert calendar.add_working_days(at("2026-03-16T12:00+07:00"), -1) == at("2026-03-13T11:30+07:00")


def test_zero_returns_the_start_unchanged(calendar: WorkingCalendar) -> None:
    saturday = at("2026-03-14T10:00+07:00")
    assert calendar.add_working_days(saturday, 0) == saturday
    assert calendar.add_working_time(saturday, timedelta(0)) == saturday
    assert calendar.add(saturday, WorkingDuration()) == saturday


# --- working time -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        ("2026-03-11T09:00+07:00", 2 * HOURS, "2026-03-11T11:00+07:00"),
        ("2026-03-11T10:30+07:00", 3 * HOURS, "2026-03-11T15:30+07:00"),  # 1 h before lunch, 2 h after
        ("2026-03-11T08:30+07:00", 3 * HOURS, "2026-03-11T11:30+07:00"),  # ends at the lunch break, not 13:30
        ("2026-03-13T16:00+07:00", 2 * HOURS, "2026-03-16T08:30+07:00"),  # Friday into Monday
        ("2026-03-11T15:00+07:00", 7.5 * HOURS, "2026-03-12T15:00+07:00"),  # one working day of time
        ("2026-03-11T12:00+07:00", HOURS, "2026-03-11T14:30+07:00"),  # starts in the lunch break
        ("2026-03-11T18:00+07:00", HOURS / 2, "2026-03-12T08:00+07:00"),  # starts after office hours
        ("2026-03-14T10:00+07:00", HOURS, "2026-03-16T08:30+07:00"),  # starts on Saturday
    ],
)
def test_add_working_time(calendar: WorkingCalendar, start: str, amount: timedelta, expected: str) -> None:
    assert calendar.add_working_time(at(start), amount) == at(expected)


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        ("2026-03-11T15:30+07:00", -3 * HOURS, "2026-03-11T10:30+07:00"),
        ("2026-03-16T08:00+07:00", -HOURS, "2026-03-13T16:30+07:00"),  # Monday back into Friday
        ("2026-03-11T12:30+07:00", -HOURS / 2, "2026-03-11T11:00+07:00"),  # from the lunch break
    ],
)
def test_subtract_working_time(
    calendar: WorkingCalendar, start: str, amount: timedelta, expected: str
) -> None:
    assert calendar.add_working_time(at(start), amount) == at(expected)


def test_utc_input_gives_local_answer(calendar: WorkingCalendar) -> None:
    result = calendar.add_working_days(datetime(2026, 4, 29, 2, 0, tzinfo=UTC), 2)
    assert result == at("2026-05-05T09:00+07:00")
    assert result.tzinfo == ZoneInfo("Asia/Ho_Chi_Minh")
    assert result.isoformat() == "2026-05-05T09:00:00+07:00"
    # 23:00 UTC on Tuesday is 06:00 on Wednesday in Hanoi: the working day is the local one.
    early = calendar.add_working_time(datetime(2026, 4, 28, 23, 0, tzinfo=UTC), HOURS)
    assert early.isoformat() == "2026-04-29T08:30:00+07:00"


def test_input_in_a_zone_with_daylight_saving_time(calendar: WorkingCalendar) -> None:
    paris = datetime(2026, 4, 29, 4, 0, tzinfo=ZoneInfo("Europe/Paris"))  # 02:00 UTC, 09:00 in Hanoi
    assert calendar.add_working_days(paris, 2).isoformat() == "2026-05-05T09:00:00+07:00"
    assert calendar.working_time_between(paris, at("2026-04-29T11:00+07:00")) == 2 * HOURS


def test_naive_datetimes_are_refused(calendar: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_working_days(datetime(2026, 4, 29, 9, 0), 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.working_time_between(at("2026-04-29T09:00+07:00"), datetime(2026, 4, 29, 10, 0))


def test_is_working_day_wants_a_date(calendar: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        calendar.is_working_day(at("2026-04-29T09:00+07:00"))


# --- working time between two moments -----------------------------------------------------------------------


def test_working_time_between_across_lunch(calendar: WorkingCalendar) -> None:
    a, b = at("2026-03-11T09:00+07:00"), at("2026-03-11T15:30+07:00")
    assert calendar.working_time_between(a, b) == 4.5 * HOURS
    assert calendar.working_time_between(b, a) == -4.5 * HOURS
    assert calendar.working_time_between(a, a) == timedelta(0)


def test_working_time_between_across_holidays(calendar: WorkingCalendar) -> None:
    a, b = at("2026-04-29T09:00+07:00"), at("2026-05-05T09:00+07:00")
    assert calendar.working_time_between(a, b) == 15 * HOURS
    assert calendar.working_days_between(a, b) == 2.0
    assert calendar.working_days_between(b, a) == -2.0


def test_working_days_between_counts_fractions(calendar: WorkingCalendar) -> None:
    assert calendar.working_days_between(at("2026-03-11T07:30+07:00"), at("2026-03-11T11:15+07:00")) == 0.5
    # Due Friday 17:00, done Tuesday 11:30: Monday (7.5 h) and Tuesday morning (4 h) late.
    late = calendar.working_days_between(at("2026-03-13T17:00+07:00"), at("2026-03-17T11:30+07:00"))
    assert late == pytest.approx(11.5 / 7.5)
    weekend = calendar.working_time_between(at("2026-03-14T08:00+07:00"), at("2026-03-15T16:00+07:00"))
    assert weekend == timedelta(0)


def _working_moments(calendar: WorkingCalendar, first: date, days: int) -> list[datetime]:
    """Moments strictly inside office periods, on the working days of a stretch of the calendar."""
    clocks = [time(7, 45), time(8, 40), time(10, 15), time(11, 20), time(13, 40), time(15, 5), time(16, 55)]
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    stretch = [first + timedelta(days=n) for n in range(days)]
    working = [day for day in stretch if calendar.is_working_day(day)]
    return [datetime.combine(day, clock, tzinfo=zone) for day in working for clock in clocks]


def test_adding_the_time_between_two_working_moments_lands_on_the_second(calendar: WorkingCalendar) -> None:
    moments = _working_moments(calendar, date(2026, 4, 22), 16)
    assert len(moments) == 9 * 7  # 22-24 and 28-29 April, 4-7 May
    for start in moments[:21]:
        for end in moments:
            between = calendar.working_time_between(start, end)
            assert calendar.add_working_time(start, between) == end, (start, end)
            assert calendar.add_working_time(end, -between) == start, (start, end)


# --- working durations --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("working:P2D", WorkingDuration(days=2)),
        ("working:PT4H", WorkingDuration(time=4 * HOURS)),
        ("working:P1DT2H30M", WorkingDuration(days=1, time=timedelta(hours=2, minutes=30))),
        ("working:PT45M", WorkingDuration(time=timedelta(minutes=45))),
        ("  working:P3D\n", WorkingDuration(days=3)),
    ],
)
def test_parse_working_duration(expression: str, expected: WorkingDuration) -> None:
    assert parse_working_duration(expression) == expected
    assert WorkingCalendar.parse_working_duration(expression) == expected


@pytest.mark.parametrize("expression", ["P2D", "PT4H", "2026-05-01T09:00:00+07:00", "R3/PT1H", ""])
def test_plain_expressions_are_not_working_durations(expression: str) -> None:
    assert parse_working_duration(expression) is None


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("working:P1M", "years, months and weeks"),
        ("working:P1Y2D", "years, months and weeks"),
        ("working:P2W", "years, months and weeks"),
        ("working:PT30S", "seconds are not allowed"),
        ("working:", "expected an ISO 8601 duration"),
        ("working:P", "expected an ISO 8601 duration"),
        ("working:PT", "expected an ISO 8601 duration"),
        ("working:P1DT", "expected an ISO 8601 duration"),
        ("working:2 days", "expected an ISO 8601 duration"),
        ("working:P1.5D", "expected an ISO 8601 duration"),
        ("working:-P1D", "expected an ISO 8601 duration"),
    ],
)
def test_bad_working_durations_are_explained(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        parse_working_duration(expression)
    assert str(raised.value).startswith(f"invalid working duration {expression!r}")


def test_add_applies_days_then_time(calendar: WorkingCalendar) -> None:
    duration = parse_working_duration("working:P1DT2H30M")
    assert duration is not None
    # One working day: Monday 4 May 10:30; then 1 h to 11:30 and 1.5 h from 13:30.
    assert calendar.add(at("2026-04-29T10:30+07:00"), duration) == at("2026-05-04T15:00+07:00")
    full_day = WorkingDuration(time=7.5 * HOURS)
    assert calendar.add(at("2026-03-11T09:00+07:00"), full_day) == at("2026-03-12T09:00+07:00")


# --- configuration ------------------------------------------------------------------------------------------


def test_from_config_with_other_hours_and_a_six_day_week() -> None:
    config = yaml.safe_load(
        """
        timezone: Asia/Bangkok
        periods: ["08:00-12:00", ["13:00", "17:00"]]
        workdays: [0, 1, 2, 3, 4, 5]
        holidays:
          - {date: 2026-03-14, name_vi: Ngày nghỉ, name_en: Day off}
        """
    )
    calendar = WorkingCalendar.from_config(config)
    assert calendar.day_length == 8 * HOURS
    assert not calendar.is_working_day(date(2026, 3, 14))
    assert calendar.is_working_day(date(2026, 3, 21))
    assert calendar.add_working_time(at("2026-03-13T16:00+07:00"), 2 * HOURS) == at("2026-03-16T09:00+07:00")


def test_default_calendar_settings() -> None:
    calendar = WorkingCalendar()
    assert calendar.day_length == 7.5 * HOURS
    assert calendar.is_working_day(date(2026, 4, 30))  # no holidays unless given
    assert calendar.add_working_days(at("2026-04-29T09:00+07:00"), 2) == at("2026-05-01T09:00+07:00")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"periods": []}, "at least one office period"),
        ({"periods": [(time(8), time(12)), (time(11), time(17))]}, "not overlapping"),
        ({"periods": [(time(12), time(8))]}, "non-empty"),
        ({"workdays": [0, 7]}, "weekday numbers"),
        ({"holidays": [date(2026, 1, 10)], "extra_workdays": [date(2026, 1, 10)]}, "both holidays and extra"),
        ({"holidays": [Holiday(date(2026, 1, 1), "Tết Dương lịch", "New Year")]}, "holidays must be dates"),
        ({"extra_workdays": ["2026-01-10"]}, "extra_workdays must be dates"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(**settings)  # type: ignore[arg-type]


def test_unquoted_yaml_times_are_refused() -> None:
    # YAML 1.1 reads 13:30 as the base-60 number 810.
    with pytest.raises(ValueError, match="quote it in YAML"):
        WorkingCalendar.from_config(yaml.safe_load("periods:\n  - [13:30, 17:00]\n"))


# --- the shipped holiday data -------------------------------------------------------------------------------


def test_shipped_holidays_cover_the_statutory_days() -> None:
    holidays = load_holidays()
    assert holidays == sorted(holidays, key=lambda holiday: holiday.date)
    for year in (2026, 2027):
        public = [h for h in holidays if h.date.year == year and h.kind == "public"]
        assert len(public) == 11, year  # Bộ luật Lao động 2019, Điều 112
    assert Holiday(date(2026, 9, 2), "Quốc khánh", "National Day") in holidays
    lunar = {date(2026, 2, 16), date(2026, 2, 20), date(2026, 4, 26), date(2027, 2, 6), date(2027, 4, 16)}
    assert lunar <= {h.date for h in holidays}


def test_shipped_compensatory_days_match_holidays_on_weekends() -> None:
    holidays = load_holidays()
    for year in (2026, 2027):
        of_year = [h for h in holidays if h.date.year == year]
        on_weekend = [h for h in of_year if h.kind == "public" and h.date.weekday() >= 5]
        compensatory = [h for h in of_year if h.kind == "compensatory"]
        assert len(compensatory) == len(on_weekend), year
        assert all(h.date.weekday() < 5 for h in compensatory)


def test_shipped_extra_workdays_are_saturdays_matching_swapped_days() -> None:
    swapped = [h.date for h in load_holidays() if h.kind == "swapped"]
    extra = load_extra_workdays()
    assert extra == [date(2026, 1, 10), date(2026, 8, 22)]
    assert len(swapped) == len(extra)
    assert all(day.weekday() == 5 for day in extra)


def test_load_holidays_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(
        "holidays:\n"
        "  - {date: 2030-01-01, name_vi: Tết Dương lịch, name_en: New Year's Day}\n"
        "  - {date: 2029-12-31, name_vi: Nghỉ bù, name_en: Compensatory day, kind: compensatory}\n",
        encoding="utf-8",
    )
    assert [h.date for h in load_holidays(path)] == [date(2029, 12, 31), date(2030, 1, 1)]
    assert load_extra_workdays(path) == []
    assert not default_calendar(path).is_working_day(date(2029, 12, 31))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- 2030-01-01\n", "expected a mapping"),
        ("holidays:\n  - {date: 2030-01-01, name_vi: A, name_en: B, kind: bridge}\n", "unknown kind"),
        ("holidays:\n  - {date: 2030-01-01, name_en: New Year's Day}\n", "name_vi and name_en are required"),
        ("holidays:\n  - {date: 1 January, name_vi: A, name_en: B}\n", "expected a date"),
    ],
)
def test_bad_holiday_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_holidays(path)

"""The business calendar in the database: the seeded holidays, administrators' changes, settings and the cache."""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, delete, text

from engine.calendar.working_time import WorkingDuration, load_extra_workdays, load_holidays
from engine.clock import VirtualClock
from engine.deployment.service import collect_sources
from engine.errors import InvalidInput, NotFound
from engine.persistence.models import CalendarDay, DayKind, DaySource
from engine.services import Services, build_services, upgrade_database
from engine.settings import Settings, normalize_database_url
from tests.conftest import FIXTURES, ROOT

MIGRATION = ROOT / "alembic" / "versions" / "0002_business_calendar.py"
TWO_DAYS = WorkingDuration(days=2)


def at(moment: str) -> datetime:
    """Read an ISO 8601 moment with its offset, e.g. ``2026-04-29T09:00+07:00``."""
    return datetime.fromisoformat(moment)


def migration_rows() -> list[tuple[str, str, str, str]]:
    """Return the holiday rows frozen into the business-calendar migration."""
    spec = importlib.util.spec_from_file_location("migration_0002_business_calendar", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.SHIPPED_DAYS)


def seed_shipped_days(services: Services) -> None:
    """Put exactly the calendar days of a fresh install in the database, whatever an earlier step left there."""
    with services.db.write() as session:
        session.execute(delete(CalendarDay))
        session.add_all(CalendarDay(date=date.fromisoformat(day), kind=DayKind(kind), name_vi=name_vi, name_en=name_en,
                                    source=DaySource.SHIPPED, updated_at=datetime.now(UTC))
                        for day, kind, name_vi, name_en in migration_rows())


@pytest.fixture
def shipped(services: Services) -> Services:
    """The services, with exactly the shipped calendar days in the database."""
    seed_shipped_days(services)
    return services


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own, migrated from nothing (an SQLite file, or a new PostgreSQL schema)."""
    if not database_url.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        upgrade_database(url)
        yield url
        return
    server = normalize_database_url(os.environ["DATABASE_URL"])
    schema = f"pytest_fresh_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{schema}"
        upgrade_database(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def write_holiday_file(path: Path, holidays: list[dict[str, Any]], extra_workdays: list[Any] | None = None) -> Path:
    """Write a holiday file in the shipped format."""
    path.write_text(yaml.safe_dump({"holidays": holidays, "extra_workdays": extra_workdays or []},
                                   allow_unicode=True), encoding="utf-8")
    return path


# -- the seeded holidays ----------------------------------------------------------------------------------------


def test_a_fresh_database_holds_exactly_the_shipped_holiday_file(fresh_database_url: str, tmp_path: Path) -> None:
    services = build_services(Settings(database_url=fresh_database_url, home=tmp_path))
    try:
        days = services.calendar.list_days()
        calendar = services.calendar.calendar()
    finally:
        services.close()
    assert {day.source for day in days} == {"shipped"}
    stored = {(d.date, d.kind, d.name_vi, d.name_en) for d in days if d.kind != "extra_workday"}
    expected = {(h.date, "holiday" if h.kind == "public" else h.kind, h.name_vi, h.name_en) for h in load_holidays()}
    # When this fails, engine/data/holidays_vn.yaml changed without a data migration (docs/calendar.md says how).
    assert stored == expected
    assert [d.date for d in days if d.kind == "extra_workday"] == load_extra_workdays()
    assert calendar.add(at("2026-04-29T09:00+07:00"), TWO_DAYS) == at("2026-05-05T09:00+07:00")


def test_the_migration_rows_are_in_date_order_and_of_known_kinds() -> None:
    rows = migration_rows()
    assert [row[0] for row in rows] == sorted({row[0] for row in rows})
    assert {row[1] for row in rows} <= {kind.value for kind in DayKind}


# -- days ---------------------------------------------------------------------------------------------------------


def test_the_shipped_calendar_gives_the_readme_example(shipped: Services) -> None:
    assert shipped.calendar.add(at("2026-04-29T09:00+07:00"), TWO_DAYS) == at("2026-05-05T09:00+07:00")


def test_add_list_and_remove_a_day(shipped: Services) -> None:
    service = shipped.calendar
    entry = service.add_day("2026-12-31", "holiday", "Nghỉ cuối năm", "Year end")
    assert (entry.date, entry.kind, entry.source, entry.is_day_off) == (date(2026, 12, 31), "holiday", "admin", True)
    days = service.list_days(2026)
    assert days[-1] == entry
    assert [d.date for d in days] == sorted(d.date for d in days)
    assert all(d.date.year == 2026 for d in days)
    assert date(2026, 12, 31) not in {d.date for d in service.list_days(2027)}
    assert not service.calendar().is_working_day(date(2026, 12, 31))

    assert service.remove_day(date(2026, 12, 31)) == entry
    assert service.calendar().is_working_day(date(2026, 12, 31))
    with pytest.raises(NotFound, match="no calendar day on 2026-12-31"):
        service.remove_day("2026-12-31")


def test_adding_on_a_shipped_date_replaces_it_and_makes_it_the_administrators(shipped: Services) -> None:
    service = shipped.calendar
    service.add_day(date(2026, 4, 30), "swapped", "Nghỉ hoán đổi")
    [day] = [d for d in service.list_days(2026) if d.date == date(2026, 4, 30)]
    assert (day.kind, day.name_vi, day.name_en, day.source) == ("swapped", "Nghỉ hoán đổi", None, "admin")


def test_removing_a_shipped_holiday_makes_it_a_working_day(shipped: Services) -> None:
    shipped.calendar.remove_day("2026-05-01")
    assert shipped.calendar.add(at("2026-04-29T09:00+07:00"), TWO_DAYS) == at("2026-05-04T09:00+07:00")


def test_an_extra_workday_makes_a_saturday_count(shipped: Services) -> None:
    entry = shipped.calendar.add_day("2026-05-02", "extra_workday", "Làm bù", "Make-up day")
    assert not entry.is_day_off
    assert shipped.calendar.add(at("2026-04-29T09:00+07:00"), TWO_DAYS) == at("2026-05-04T09:00+07:00")


@pytest.mark.parametrize(("args", "field"), [
    (("2026-02-30", "holiday", "Tết"), "date"),
    (("30/04/2026", "holiday", "Tết"), "date"),
    (("2026-04-30", "weekend", "Tết"), "kind"),
    (("2026-04-30", "holiday", "   "), "name_vi"),
    (("2026-04-30", "holiday", "x" * 501), "name_vi"),
])
def test_invalid_days_are_refused_field_by_field(services: Services, args: tuple[str, str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.calendar.add_day(*args)
    assert list(caught.value.fields) == [field]
    assert "admin" not in {d.source for d in services.calendar.list_days()}


def test_removing_needs_a_date(services: Services) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.calendar.remove_day("tomorrow")
    assert caught.value.fields == {"date": ["expected a date as YYYY-MM-DD"]}


# -- settings -----------------------------------------------------------------------------------------------------


def test_settings_default_to_the_vietnamese_office_hours(services: Services) -> None:
    current = services.calendar.settings()
    assert current.as_dict() == {"timezone": "Asia/Ho_Chi_Minh", "periods": ["07:30-11:30", "13:30-17:00"],
                                 "workdays": [0, 1, 2, 3, 4], "customized": []}


def test_changed_settings_drive_the_calendar(shipped: Services) -> None:
    service = shipped.calendar
    changed = service.set_settings(periods=[" 08:00 - 12:00", "13:00-17:00"], workdays=["5", 4, 3, 2, 1, 0, 0])
    assert changed.periods == ("08:00-12:00", "13:00-17:00")
    assert changed.workdays == (0, 1, 2, 3, 4, 5)
    assert changed.customized == {"periods", "workdays"}
    assert service.settings() == changed
    # 30 April and 1 May are holidays, Saturday 2 May now a working day: 4 hours from 16:00 on 29 April.
    assert service.add(at("2026-04-29T16:00+07:00"), WorkingDuration(time=timedelta(hours=4))) == at(
        "2026-05-02T11:00+07:00")

    service.set_settings(timezone="Asia/Tokyo")
    assert service.settings().periods == ("08:00-12:00", "13:00-17:00")
    assert service.add(at("2026-04-29T09:00+07:00"), TWO_DAYS).isoformat() == "2026-05-04T11:00:00+09:00"


@pytest.mark.parametrize(("changes", "fields"), [
    ({"timezone": "Mars/Olympus"}, {"timezone"}),
    ({"timezone": " "}, {"timezone"}),
    ({"periods": ["13:30-17:00", "07:30-11:30"]}, {"periods"}),
    ({"periods": ["11:30-07:30"]}, {"periods"}),
    ({"periods": ["7:30-11:30"]}, {"periods.0"}),
    ({"periods": []}, {"periods"}),
    ({"periods": "07:30-11:30"}, {"periods"}),
    ({"workdays": [0, 7]}, {"workdays.1"}),
    ({"workdays": ["Mon"]}, {"workdays.0"}),
    ({"workdays": []}, {"workdays"}),
    ({"timezone": "UTC", "workdays": [9]}, {"workdays.0"}),
])
def test_invalid_settings_are_refused_and_change_nothing(services: Services, changes: dict[str, Any],
                                                         fields: set[str]) -> None:
    before = services.calendar.settings()
    with pytest.raises(InvalidInput, match="invalid calendar settings") as caught:
        services.calendar.set_settings(**changes)
    assert set(caught.value.fields) == fields
    assert services.calendar.settings() == before


# -- the cache ----------------------------------------------------------------------------------------------------


def test_the_calendar_is_built_once_while_nothing_changes(shipped: Services) -> None:
    first = shipped.calendar.calendar()
    assert shipped.calendar.calendar() is first
    shipped.calendar.add_day("2026-12-31", "holiday", "Nghỉ cuối năm")
    assert shipped.calendar.calendar() is not first


def test_changes_made_by_another_process_are_seen(shipped: Services, settings: Settings,
                                                  clock: VirtualClock) -> None:
    mine = shipped.calendar
    mine.refresh_after = 0  # notice the other process's edits at once (the default waits a few seconds)
    assert mine.calendar().is_working_day(date(2026, 5, 4))
    # Another process with a clock that stands still: only the version stamps can tell its writes apart.
    other = build_services(settings, clock=VirtualClock(clock.now() - timedelta(days=400)))
    try:
        other.calendar.add_day("2026-05-04", "holiday", "Nghỉ thêm")
        assert not mine.calendar().is_working_day(date(2026, 5, 4))
        # One removed, one added: the same number of rows as before.
        other.calendar.remove_day("2026-05-04")
        other.calendar.add_day("2026-05-05", "holiday", "Nghỉ thêm")
        calendar = mine.calendar()
        assert calendar.is_working_day(date(2026, 5, 4)) and not calendar.is_working_day(date(2026, 5, 5))
        other.calendar.remove_day("2026-05-05")
        assert mine.calendar().is_working_day(date(2026, 5, 5))
        other.calendar.set_settings(workdays=[0, 1, 2, 3, 4, 5])
        assert mine.calendar().is_working_day(date(2026, 5, 2))
        other.calendar.set_settings(workdays=[0, 1, 2, 3, 4])
        assert not mine.calendar().is_working_day(date(2026, 5, 2))
    finally:
        other.close()


def test_runtime_deadlines_follow_the_database_calendar(shipped: Services, tmp_path: Path) -> None:
    shipped.org.import_file(FIXTURES / "org.yaml")
    model = tmp_path / "approve.bpmn"
    model.write_text((FIXTURES / "approve.bpmn").read_text(encoding="utf-8").replace(
        'camunda:dueDate="&quot;P2D&quot;"', 'camunda:dueDate="&quot;working:P2D&quot;"'), encoding="utf-8")
    shipped.deployment.deploy(collect_sources([model]))

    def due_of_a_new_case() -> datetime | None:
        [task] = shipped.queries.tasks(instance_id=shipped.runtime.start("approve", user="chuyenvien"))
        return task.due_at

    assert shipped.clock.now() == at("2026-04-29T09:00+07:00")
    assert due_of_a_new_case() == at("2026-05-05T09:00+07:00")
    shipped.calendar.add_day("2026-05-04", "holiday", "Nghỉ thêm")
    assert due_of_a_new_case() == at("2026-05-06T09:00+07:00")


# -- importing a holiday file -------------------------------------------------------------------------------------

NEW_YEAR_2028 = {"date": "2028-01-01", "name_vi": "Tết Dương lịch", "name_en": "New Year's Day"}
TET_2028 = [{"date": f"2028-01-{day}", "name_vi": "Tết Nguyên đán", "name_en": "Lunar New Year"}
            for day in range(25, 30)]


def test_importing_next_years_file_adds_its_days(shipped: Services, tmp_path: Path) -> None:
    path = write_holiday_file(tmp_path / "2028.yaml", [NEW_YEAR_2028, *TET_2028], ["2028-02-05"])
    result = shipped.calendar.import_file(path)
    assert (result.years, result.added, result.updated, result.unchanged, result.removed, result.kept) == (
        (2028,), 7, 0, 0, 0, ())
    days = shipped.calendar.list_days(2028)
    assert [(d.date.isoformat(), d.kind, d.source) for d in days][:2] == [
        ("2028-01-01", "holiday", "admin"), ("2028-01-25", "holiday", "admin")]
    assert (days[-1].kind, days[-1].name_vi) == ("extra_workday", "Ngày làm bù")
    assert not shipped.calendar.calendar().is_working_day(date(2028, 1, 27))
    assert shipped.calendar.calendar().is_working_day(date(2028, 2, 5))
    again = shipped.calendar.import_file(path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 7)


def test_a_corrected_file_updates_and_replace_removes_what_it_no_longer_lists(shipped: Services,
                                                                              tmp_path: Path) -> None:
    shipped.calendar.import_file(write_holiday_file(tmp_path / "a.yaml", [NEW_YEAR_2028, *TET_2028]))
    corrected = [{**NEW_YEAR_2028, "name_en": "New Year"}, *TET_2028[:3]]
    path = write_holiday_file(tmp_path / "b.yaml", corrected)
    merged = shipped.calendar.import_file(path)
    assert (merged.updated, merged.unchanged, merged.removed) == (1, 3, 0)
    assert merged.kept == (date(2028, 1, 28), date(2028, 1, 29))
    replaced = shipped.calendar.import_file(path, replace=True)
    assert (replaced.removed, replaced.kept) == (2, ())
    assert len(shipped.calendar.list_days(2028)) == 4
    assert len(shipped.calendar.list_days(2027)) == 14  # other years are left alone


def test_importing_the_shipped_file_leaves_the_shipped_rows_alone(shipped: Services) -> None:
    result = shipped.calendar.import_file(ROOT / "engine" / "data" / "holidays_vn.yaml")
    assert (result.years, result.added, result.updated, result.unchanged) == ((2026, 2027), 0, 0, 30)
    assert {d.source for d in shipped.calendar.list_days()} == {"shipped"}


def test_an_invalid_file_is_refused_whole(services: Services, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("holidays:\n"
                    "  - {date: 2028-01-01, name_vi: Tết Dương lịch, name_en: New Year's Day}\n"
                    "  - {date: 2028-13-01, name_vi: x, name_en: y}\n"
                    "  - {date: 2028-01-02, name_vi: x, name_en: y, kind: weekend}\n"
                    "  - {date: 2028-01-03, name_en: y}\n"
                    "extra_workdays: [2028-01-01]\n"
                    "timezone: Asia/Tokyo\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="invalid holiday file") as caught:
        services.calendar.import_file(path)
    assert set(caught.value.fields) == {"holidays.1.date", "holidays.2.kind", "holidays.3.name_vi", "timezone"}
    assert services.calendar.list_days(2028) == []


def test_a_date_listed_twice_is_refused(services: Services, tmp_path: Path) -> None:
    path = write_holiday_file(tmp_path / "twice.yaml", [NEW_YEAR_2028], ["2028-01-01"])
    with pytest.raises(InvalidInput) as caught:
        services.calendar.import_file(path)
    assert caught.value.fields == {"extra_workdays.0.date": ["2028-01-01 is listed more than once"]}


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    ("holidays: [\n", "bad.yaml:2: not valid YAML"),
    ("- 2028-01-01\n", "expected a mapping with 'holidays' and 'extra_workdays'"),
])
def test_unreadable_files_are_refused(services: Services, tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        services.calendar.import_file(path)

"""``procflow calendar`` end to end on the real database: due moments, holidays, settings, and mistakes as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.services import Services
from engine.settings import Settings
from tests.cli.test_commands import Cli
from tests.conftest import ROOT
from tests.engine.calendar.test_calendar_store import seed_shipped_days


@pytest.fixture
def cli(services: Services, settings: Settings, tmp_path: Path) -> Cli:
    """The CLI on the test database, holding exactly the shipped calendar days."""
    seed_shipped_days(services)
    return Cli({"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(tmp_path)})


# -- due -------------------------------------------------------------------------------------------------------


def test_due_gives_the_readme_example(cli: Cli) -> None:
    assert cli.ok("calendar", "due", "2026-04-29T09:00+07:00", "--working-days", "2") == "2026-05-05T09:00:00+07:00\n"


@pytest.mark.parametrize(("start", "option", "amount", "expected"), [
    ("2026-04-29T09:00+07:00", "--working-hours", "4", "2026-04-29T15:00:00+07:00"),
    ("2026-04-29T16:00+07:00", "--working-hours", "2.5", "2026-05-04T09:00:00+07:00"),
    ("2026-04-29T02:00Z", "--working-days", "1", "2026-05-04T09:00:00+07:00"),
    ("2026-05-05T09:00+07:00", "--working-days", "-2", "2026-04-29T09:00:00+07:00"),
    ("2026-04-29T09:00+07:00", "--working-days", "0", "2026-04-29T09:00:00+07:00"),
])
def test_due_counts_working_time_and_answers_in_the_agency_zone(cli: Cli, start: str, option: str, amount: str,
                                                                 expected: str) -> None:
    assert cli.ok("calendar", "due", start, option, amount) == expected + "\n"


@pytest.mark.parametrize(("args", "message"), [
    (("2026-04-29T09:00", "--working-days", "2"), "error: FROM '2026-04-29T09:00' has no UTC offset; write it with "
                                                  "one, e.g. 2026-04-29T09:00+07:00"),
    (("2026-04-29", "--working-days", "2"), "error: FROM '2026-04-29' has no UTC offset"),
    (("29/04/2026 09:00", "--working-days", "2"), "error: FROM '29/04/2026 09:00' is not an ISO 8601 moment"),
    (("2026-04-29T09:00+07:00",), "error: give exactly one of --working-days N and --working-hours H"),
    (("2026-04-29T09:00+07:00", "--working-days", "2", "--working-hours", "4"),
     "error: give exactly one of --working-days N and --working-hours H"),
    (("2026-04-29T09:00+07:00", "--working-hours", "inf"), "error: --working-hours must be a number between"),
    (("2026-04-29T09:00+07:00", "--working-days", "99999999"), "error: --working-days must be between"),
])
def test_due_mistakes_are_one_error_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert cli.error("calendar", "due", *args).startswith(message)


# -- holidays ---------------------------------------------------------------------------------------------------


def test_holidays_list_shows_the_shipped_days_of_a_year(cli: Cli) -> None:
    lines = cli.ok("calendar", "holidays", "list", "--year", "2026").splitlines()
    assert len(lines) == 16
    assert lines[0] == "2026-01-01 Thu  holiday       shipped  Tết Dương lịch / New Year's Day"
    assert "2026-01-10 Sat  extra_workday shipped  Làm bù cho thứ Sáu 02/01/2026" in lines[2]
    assert all(line.startswith("2026-") for line in lines)
    assert cli.ok("calendar", "holidays", "list", "--year", "2031") == "no calendar days in 2031\n"
    assert len(cli.ok("calendar", "holidays", "list").splitlines()) == 30


def test_holidays_list_as_json(cli: Cli) -> None:
    found = json.loads(cli.ok("calendar", "holidays", "list", "--year", "2027", "--format", "json"))
    assert found[0]["date"] == "2027-01-01"
    assert {day["source"] for day in found} == {"shipped"}
    assert set(found[0]) == {"date", "kind", "name_vi", "name_en", "source", "updated_at"}


def test_holidays_add_changes_the_due_moment_and_remove_restores_it(cli: Cli) -> None:
    due = ("calendar", "due", "2026-04-29T09:00+07:00", "--working-days", "2")
    assert cli.ok("calendar", "holidays", "add", "2026-05-04", "Nghỉ thêm", "--name-en", "Extra day off") == (
        "saved 2026-05-04 Mon  holiday       admin    Nghỉ thêm / Extra day off\n")
    assert cli.ok(*due) == "2026-05-06T09:00:00+07:00\n"
    assert cli.ok("calendar", "holidays", "remove", "2026-05-04") == (
        "removed 2026-05-04 Mon  holiday       admin    Nghỉ thêm / Extra day off\n")
    assert cli.ok(*due) == "2026-05-05T09:00:00+07:00\n"


def test_holidays_add_an_extra_workday(cli: Cli) -> None:
    assert cli.ok("calendar", "holidays", "add", "2026-05-02", "Làm bù", "--kind", "extra_workday").startswith(
        "saved 2026-05-02 Sat  extra_workday admin")
    assert cli.ok("calendar", "due", "2026-04-29T09:00+07:00", "--working-days", "2") == "2026-05-04T09:00:00+07:00\n"


@pytest.mark.parametrize(("args", "message"), [
    (("add", "2026-02-30", "Tết"), "error: invalid calendar day (date: expected a date as YYYY-MM-DD)"),
    (("add", "2026-05-04", " "), "error: invalid calendar day (name_vi: must not be blank)"),
    (("remove", "2026-05-04"), "error: no calendar day on 2026-05-04"),
    (("remove", "soon"), "error: invalid date (date: expected a date as YYYY-MM-DD)"),
    (("import", "missing.yaml"), "error: missing.yaml: no such file"),
])
def test_holidays_mistakes_are_one_error_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    assert cli.error("calendar", "holidays", *args) == message


def test_holidays_import_next_year_then_replace(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "2028.yaml"
    path.write_text("holidays:\n"
                    "  - {date: 2028-01-01, name_vi: Tết Dương lịch, name_en: New Year's Day}\n"
                    "  - {date: 2028-01-03, name_vi: Nghỉ bù Tết Dương lịch, name_en: New Year compensatory day,"
                    " kind: compensatory}\n"
                    "extra_workdays:\n  - 2028-01-08\n", encoding="utf-8")
    assert cli.ok("calendar", "holidays", "import", str(path)) == (
        f"imported {path} (2028): 3 added, 0 updated, 0 unchanged, 0 removed\n")
    assert cli.ok("calendar", "due", "2027-12-31T09:00+07:00", "--working-days", "1") == (
        "2028-01-04T09:00:00+07:00\n")

    path.write_text("holidays:\n  - {date: 2028-01-01, name_vi: Tết Dương lịch, name_en: New Year's Day}\n",
                    encoding="utf-8")
    result = cli.invoke("calendar", "holidays", "import", str(path))
    assert result.exit_code == 0
    assert result.stdout == f"imported {path} (2028): 0 added, 0 updated, 1 unchanged, 0 removed\n"
    assert result.stderr == ("warning: kept 2 stored day(s) the file does not list: 2028-01-03, 2028-01-08 "
                             "(use --replace to remove them)\n")
    assert cli.ok("calendar", "holidays", "import", str(path), "--replace") == (
        f"imported {path} (2028): 0 added, 0 updated, 1 unchanged, 2 removed\n")
    assert len(cli.ok("calendar", "holidays", "list", "--year", "2028").splitlines()) == 1


def test_holidays_import_of_the_shipped_file_changes_nothing(cli: Cli) -> None:
    path = ROOT / "engine" / "data" / "holidays_vn.yaml"
    assert cli.ok("calendar", "holidays", "import", str(path)) == (
        f"imported {path} (2026, 2027): 0 added, 0 updated, 30 unchanged, 0 removed\n")


def test_holidays_import_of_an_invalid_file_names_each_problem(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("holidays:\n  - {date: 2028-02-30, name_vi: x, name_en: y, kind: weekend}\n", encoding="utf-8")
    assert cli.error("calendar", "holidays", "import", str(path)) == (
        f"error: {path}: invalid holiday file (holidays.0.date: expected a date as YYYY-MM-DD; "
        "holidays.0.kind: use one of: public, holiday, compensatory, swapped)")


# -- settings ---------------------------------------------------------------------------------------------------


def test_settings_show_the_defaults(cli: Cli) -> None:
    assert cli.ok("calendar", "settings") == (
        "timezone: Asia/Ho_Chi_Minh  (default)\n"
        "periods: 07:30-11:30,13:30-17:00  (default)\n"
        "workdays: 0,1,2,3,4 (Mon, Tue, Wed, Thu, Fri)  (default)\n")


def test_settings_change_the_working_time(cli: Cli) -> None:
    assert cli.ok("calendar", "settings", "--periods", "08:00-12:00, 13:00-17:00", "--workdays", "0,1,2,3,4,5") == (
        "timezone: Asia/Ho_Chi_Minh  (default)\n"
        "periods: 08:00-12:00,13:00-17:00\n"
        "workdays: 0,1,2,3,4,5 (Mon, Tue, Wed, Thu, Fri, Sat)\n")
    assert cli.ok("calendar", "due", "2026-04-29T09:00+07:00", "--working-days", "2") == "2026-05-04T09:00:00+07:00\n"
    assert cli.ok("calendar", "due", "2026-04-29T09:00+07:00", "--working-hours", "4") == "2026-04-29T14:00:00+07:00\n"
    cli.ok("calendar", "settings", "--timezone", "Asia/Tokyo")
    assert json.loads(cli.ok("calendar", "settings", "--format", "json")) == {
        "timezone": "Asia/Tokyo", "periods": ["08:00-12:00", "13:00-17:00"], "workdays": [0, 1, 2, 3, 4, 5],
        "customized": ["periods", "timezone", "workdays"]}
    assert cli.ok("calendar", "due", "2026-04-29T09:00+07:00", "--working-days", "2") == "2026-05-04T11:00:00+09:00\n"


@pytest.mark.parametrize(("args", "message"), [
    (("--timezone", "Hanoi"), "error: invalid calendar settings (timezone: unknown time zone 'Hanoi')"),
    (("--periods", "13:30-17:00,07:30-11:30"), "error: invalid calendar settings (periods: office periods must be "
                                               "non-empty, in order and not overlapping: 07:30:00-11:30:00)"),
    (("--periods", "7h30-11h30"), "error: invalid calendar settings (periods.0: expected HH:MM-HH:MM such as "
                                  "07:30-11:30, got '7h30-11h30')"),
    (("--workdays", "1,2,7"), "error: invalid calendar settings (workdays.2: a weekday is 0 (Monday) to 6 (Sunday))"),
    (("--workdays", ""), "error: invalid calendar settings (workdays: give at least one working weekday)"),
])
def test_settings_mistakes_are_one_error_line_and_change_nothing(cli: Cli, args: tuple[str, ...],
                                                                 message: str) -> None:
    before = cli.ok("calendar", "settings")
    assert cli.error("calendar", "settings", *args) == message
    assert cli.ok("calendar", "settings") == before

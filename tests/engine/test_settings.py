"""Settings: every variable read in one place, a bad value stopped at start-up with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InvalidInput
from engine.settings import Settings


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_env({})
    assert (settings.smtp_port, settings.smtp_starttls, settings.attachment_max_bytes) == (25, False, 20 * 1024 * 1024)
    assert (settings.secret_key, settings.secure_cookies, settings.proxy_fix, settings.node_modules) == (
        "", False, 0, None)
    assert settings.timezone == "Asia/Ho_Chi_Minh"


def test_the_web_apps_variables_are_settings_too() -> None:
    settings = Settings.from_env({"PROCFLOW_SECRET_KEY": "k" * 40, "PROCFLOW_SECURE_COOKIES": "Yes",
                                  "PROCFLOW_PROXY_FIX": "2", "PROCFLOW_NODE_MODULES": "/opt/npm/node_modules",
                                  "SMTP_PORT": " 587 ", "SMTP_STARTTLS": "1", "PROCFLOW_ATTACHMENT_MAX_MB": "0.5"})
    assert (settings.secret_key, settings.secure_cookies, settings.proxy_fix) == ("k" * 40, True, 2)
    assert settings.node_modules == Path("/opt/npm/node_modules")
    assert (settings.smtp_port, settings.smtp_starttls, settings.attachment_max_bytes) == (587, True, 512 * 1024)


def test_file_storage_and_retention() -> None:
    assert Settings.from_env({}).file_storage == "local"
    assert (Settings.from_env({}).history_ttl_days, Settings.from_env({}).archive_dir) == (0, None)
    settings = Settings.from_env({"PROCFLOW_FILE_STORAGE": " Database ", "PROCFLOW_HISTORY_TTL_DAYS": "1825",
                                  "PROCFLOW_ARCHIVE_DIR": "/srv/archives", "PROCFLOW_ARCHIVE_KEY": "k",
                                  "PROCFLOW_ARCHIVE_EVERY_SECONDS": "600"})
    assert (settings.file_storage, settings.history_ttl_days, settings.archive_dir, settings.archive_key,
            settings.archive_every_seconds) == ("database", 1825, Path("/srv/archives"), "k", 600)
    assert "archive_key='k'" not in repr(settings)


def test_session_and_sign_in_limits() -> None:
    assert (Settings.from_env({}).session_idle_minutes, Settings.from_env({}).session_max_hours) == (60, 12)
    found = Settings.from_env({"PROCFLOW_SESSION_IDLE_MINUTES": "30", "PROCFLOW_SESSION_MAX_HOURS": "8",
                               "PROCFLOW_LOGIN_MAX_FAILURES": "3", "PROCFLOW_LOGIN_ADDRESS_MAX_FAILURES": "20",
                               "PROCFLOW_LOGIN_WINDOW_MINUTES": "30"})
    assert (found.session_idle_minutes, found.session_max_hours, found.login_max_failures,
            found.login_address_max_failures, found.login_window_minutes) == (30, 8, 3, 20, 30)


def test_secrets_stay_out_of_the_settings_repr() -> None:
    text = repr(Settings.from_env({"PROCFLOW_SECRET_KEY": "very-secret", "SMTP_PASSWORD": "also-secret"}))
    assert "very-secret" not in text and "also-secret" not in text


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SMTP_PORT", "abc", "SMTP_PORT must be a whole number between 1 and 65535, got 'abc'"),
    ("SMTP_PORT", "0", "SMTP_PORT must be a whole number between 1 and 65535, got '0'"),
    ("SMTP_PORT", "70000", "SMTP_PORT must be a whole number between 1 and 65535, got '70000'"),
    ("SMTP_PORT", "25.5", "SMTP_PORT must be a whole number between 1 and 65535, got '25.5'"),
    ("PROCFLOW_PROXY_FIX", "-1", "PROCFLOW_PROXY_FIX must be a whole number between 0 and 10, got '-1'"),
    ("PROCFLOW_SESSION_IDLE_MINUTES", "0",
     "PROCFLOW_SESSION_IDLE_MINUTES must be a whole number between 1 and 10080, got '0'"),
    ("PROCFLOW_LOGIN_MAX_FAILURES", "x",
     "PROCFLOW_LOGIN_MAX_FAILURES must be a whole number between 1 and 1000, got 'x'"),
    ("PROCFLOW_PROXY_FIX", "yes", "PROCFLOW_PROXY_FIX must be a whole number between 0 and 10, got 'yes'"),
    ("PROCFLOW_ATTACHMENT_MAX_MB", "twenty",
     "PROCFLOW_ATTACHMENT_MAX_MB must be a number of megabytes above 0 (at most 100000), got 'twenty'"),
    ("PROCFLOW_ATTACHMENT_MAX_MB", "nan",
     "PROCFLOW_ATTACHMENT_MAX_MB must be a number of megabytes above 0 (at most 100000), got 'nan'"),
    ("PROCFLOW_ATTACHMENT_MAX_MB", "0",
     "PROCFLOW_ATTACHMENT_MAX_MB must be a number of megabytes above 0 (at most 100000), got '0'"),
    ("SMTP_STARTTLS", "ture", "SMTP_STARTTLS must be 1, true, yes or on (or 0, false, no, off), got 'ture'"),
    ("PROCFLOW_SECURE_COOKIES", "sometimes",
     "PROCFLOW_SECURE_COOKIES must be 1, true, yes or on (or 0, false, no, off), got 'sometimes'"),
    ("PROCFLOW_FILE_STORAGE", "s3",
     "PROCFLOW_FILE_STORAGE must be one of local, database, got 's3'"),
    ("PROCFLOW_TIMEZONE", "Mars/Olympus",
     "PROCFLOW_TIMEZONE must be an IANA time zone such as Asia/Ho_Chi_Minh, got 'Mars/Olympus'"),
])
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        Settings.from_env({name: value})
    assert str(raised.value) == message
    assert raised.value.fields == {name: [value]}


def test_the_apis_rate_limit() -> None:
    assert (Settings.from_env({}).api_rate_limit, Settings.from_env({}).api_rate_window) == (600, 60)
    tuned = Settings.from_env({"PROCFLOW_API_RATE_LIMIT": "0", "PROCFLOW_API_RATE_WINDOW": "3600"})
    assert (tuned.api_rate_limit, tuned.api_rate_window) == (0, 3600)
    for name, value in (("PROCFLOW_API_RATE_LIMIT", "-1"), ("PROCFLOW_API_RATE_LIMIT", "lots"),
                        ("PROCFLOW_API_RATE_WINDOW", "0")):
        with pytest.raises(InvalidInput, match=name):
            Settings.from_env({name: value})
def test_the_agency_code_and_the_exchange_settings() -> None:
    from engine.settings import ExchangeSettings

    found = Settings.from_env({"PROCFLOW_AGENCY_CODE": "000.00.31.H37", "PROCFLOW_AGENCY_NAME": "Văn phòng Tỉnh ủy",
                               "PROCFLOW_EXCHANGE_RETRY_SECONDS": "5", "PROCFLOW_EXCHANGE_MAX_MB": "10"}).exchange
    assert found == ExchangeSettings(agency_code="000.00.31.H37", agency_name="Văn phòng Tỉnh ủy", retry_seconds=5,
                                     max_bytes=10 * 1024 * 1024)
    assert Settings.from_env({}).exchange.agency_code == ""
    with pytest.raises(InvalidInput, match="PROCFLOW_AGENCY_CODE must be an identifier code"):
        Settings.from_env({"PROCFLOW_AGENCY_CODE": "Tỉnh ủy"})
    with pytest.raises(InvalidInput, match="PROCFLOW_EXCHANGE_RETRY_SECONDS"):
        Settings.from_env({"PROCFLOW_EXCHANGE_RETRY_SECONDS": "soon"})

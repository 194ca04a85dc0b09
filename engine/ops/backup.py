"""``procflow backup DIR`` and ``procflow restore DIR``: the database, the attachments and the signing
configuration, with a manifest of SHA-256 sums checked before anything is restored.

The database is copied consistently while procflow runs: SQLite through its online backup API (one snapshot,
writers wait a moment), PostgreSQL with ``pg_dump -Fc`` (one snapshot transaction). Attachments are written once
and never changed (named by their SHA-256), so copying them after the database snapshot gives every attachment the
snapshot names. Private keys are never copied: PKCS#12 files and PINs stay where the operator keeps them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from engine.errors import InvalidInput, InvalidState
from engine.i18n import N_
from engine.persistence.models import Base
from engine.settings import Settings

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE, PG_FILE = "database.sqlite3", "database.dump"
ATTACHMENTS, SIGNING = "attachments", "signing"


@dataclass
class Manifest:
    """What a backup holds: when, from which database kind and schema revision, row counts, and each file's sum."""

    created_at: str
    database: str  # sqlite | postgresql
    revision: str | None
    rows: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256
    signing: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "created_at": self.created_at, "database": self.database,
                "revision": self.revision, "rows": self.rows, "signing": self.signing, "files": self.files}


def backup(settings: Settings, target: Path, *, now: datetime) -> Manifest:
    """Write a backup of ``settings``' procflow into the new or empty folder ``target``.

    Raises:
        InvalidInput: ``target`` is a file or a folder that is not empty.
        InvalidState: pg_dump is missing or fails.
    """
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(N_("{path} must be a new or empty folder"), path=target)
    target.mkdir(parents=True, exist_ok=True)
    kind = "sqlite" if settings.is_sqlite else "postgresql"
    if settings.is_sqlite:
        _sqlite_copy(_sqlite_path(settings.database_url), target / SQLITE_FILE)
        rows, revision = table_rows(f"sqlite:///{target / SQLITE_FILE}")
    else:
        rows, revision = table_rows(settings.database_url)  # before the dump: a row written in between is kept
        _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(target / PG_FILE),
              libpq_url(settings.database_url)], settings.database_url)
    attachments = settings.home / ATTACHMENTS
    if attachments.is_dir():
        shutil.copytree(attachments, target / ATTACHMENTS)
    manifest = Manifest(now.isoformat(timespec="seconds"), kind, revision, rows,
                        signing=_copy_signing(settings, target / SIGNING))
    manifest.files = {path: _sha256(target / path) for path in _files(target)}
    (target / MANIFEST).write_text(json.dumps(manifest.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    return manifest


def restore(settings: Settings, source: Path) -> Manifest:
    """Restore the backup in ``source`` into ``settings``' database, which must be empty (no tables).

    Every file's sum is checked first; the row counts are compared with the manifest after.

    Raises:
        InvalidInput: no manifest, a file missing or changed, another database kind, or a non-empty target.
        InvalidState: pg_restore is missing or fails, or the restored counts differ.
    """
    manifest = read_manifest(source)
    kind = "sqlite" if settings.is_sqlite else "postgresql"
    if manifest.database != kind:
        raise InvalidInput(N_("this backup is of a {kind} database; restore it into one of the same kind"),
                           kind=manifest.database)
    _require_empty(settings)
    if settings.is_sqlite:
        _sqlite_copy(source / SQLITE_FILE, _sqlite_path(settings.database_url))
    else:
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d",
              libpq_url(settings.database_url), str(source / PG_FILE)], settings.database_url)
    if (source / ATTACHMENTS).is_dir():
        shutil.copytree(source / ATTACHMENTS, settings.home / ATTACHMENTS, dirs_exist_ok=True)
    if (source / SIGNING).is_dir():
        shutil.copytree(source / SIGNING, settings.home / "restored-signing", dirs_exist_ok=True)
    rows, _ = table_rows(settings.database_url)
    differ = {t: (n, rows.get(t)) for t, n in manifest.rows.items() if rows.get(t) != n}
    if differ:
        raise InvalidState(N_("the restored database differs from the backup: {tables}"),
                           tables=", ".join(f"{t} {a} != {b}" for t, (a, b) in differ.items()))
    return manifest


def read_manifest(source: Path) -> Manifest:
    """Read and check a backup's manifest: every file listed is there with its sum, no unlisted file.

    Raises:
        InvalidInput: the manifest is missing or unreadable, or a file is missing, changed or added.
    """
    try:
        raw = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(raw["created_at"], raw["database"], raw.get("revision"), dict(raw["rows"]),
                            dict(raw["files"]), dict(raw.get("signing") or {}), int(raw["format"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(N_("{path} has no readable backup manifest ({reason})"), path=source, reason=exc) from exc
    present = set(_files(source))
    problems = [f"missing {p}" for p in manifest.files if p not in present]
    problems += [f"changed {p}" for p in manifest.files if p in present and _sha256(source / p) != manifest.files[p]]
    problems += [f"not in the manifest: {p}" for p in sorted(present - set(manifest.files))]
    if problems:
        raise InvalidInput(N_("the backup in {path} is damaged: {problems}"), path=source,
                           problems="; ".join(problems[:10]))
    return manifest


def table_rows(url: str) -> tuple[dict[str, int], str | None]:
    """Rows in each procflow table, and the schema revision (Alembic's)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            rows = {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                    for t in Base.metadata.sorted_tables if t.name in names}
            revision = (conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                        if "alembic_version" in names else None)
    finally:
        engine.dispose()
    return rows, revision


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore read it: no ``+psycopg`` driver name, and no password (it
    goes in PGPASSWORD, not on a command line every user of the machine can read)."""
    return make_url(url).set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _require_empty(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise InvalidInput(N_("the target database is not empty ({count} tables); restore only into an empty one"),
                           count=len(tables))
    attachments = settings.home / ATTACHMENTS
    if attachments.is_dir() and any(attachments.iterdir()):
        raise InvalidInput(N_("{path} is not empty; restore only into an empty home folder"), path=attachments)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise InvalidInput(N_("an in-memory SQLite database cannot be backed up or restored"))
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API (a consistent snapshot, WAL included)."""
    if not source.is_file():
        raise InvalidInput(N_("{path}: no such file"), path=source)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy_signing(settings: Settings, folder: Path) -> dict[str, Any]:
    """Copy the public signing files (seal, trust roots, CRLs, font, a token's certificate) and say what is
    left out; the result lists which setting each copied file came from."""
    signing = settings.signing
    named: dict[str, list[Path]] = {
        "PROCFLOW_AGENCY_SEAL": [signing.agency_seal] if signing.agency_seal else [],
        "PROCFLOW_TRUST_ROOTS": list(signing.trust_roots),
        "PROCFLOW_INTERMEDIATE_CERTS": list(signing.intermediates),
        "PROCFLOW_CRLS": list(signing.crls),
        "PROCFLOW_SIGNING_FONT": [signing.font] if signing.font else [],
    }
    key = signing.agency_key
    if key is not None:
        named["PROCFLOW_AGENCY_CHAIN"] = list(key.chain)
        if key.cert_file:
            named["PROCFLOW_AGENCY_PKCS11_CERT_FILE"] = [key.cert_file]
    copied: dict[str, list[str]] = {}
    for setting, paths in named.items():
        for i, path in enumerate(paths):
            if path.exists():
                dest = folder / setting / f"{i}-{path.name}"
                dest.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    shutil.copytree(path, dest)
                else:
                    shutil.copy2(path, dest)
                copied.setdefault(setting, []).append(str(dest.relative_to(folder.parent)))
    return {"agency_name": signing.agency_name, "tsa_url": signing.tsa_url, "copied": copied,
            "agency_key": None if key is None else {"kind": key.kind, "path": str(key.path),
                                                    "not_copied": "private key: keep it with the clerical office"}}


def _files(root: Path) -> Iterator[str]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            yield path.relative_to(root).as_posix()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _run(command: list[str], url: str) -> None:
    if shutil.which(command[0]) is None:
        raise InvalidState(N_("{program} is not installed; install the PostgreSQL client tools"), program=command[0])
    password = make_url(url).password
    env = {**os.environ, "PGPASSWORD": str(password)} if password else None
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise InvalidState(N_("{program} failed: {error}"), program=command[0], error=done.stderr.strip()[-2000:])

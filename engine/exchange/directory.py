"""The agency directory: the agencies procflow exchanges documents with — code (mã định danh), name, the base URL
of their exchange endpoint, the bearer token to present there, and the fingerprints of the certificates their
packages' envelopes are signed with — imported from a YAML or CSV file or edited by administrators."""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.errors import InvalidInput, NotFound
from engine.i18n import N_
from engine.persistence.base import table_of
from engine.persistence.db import Database
from engine.persistence.exchange_models import Agency

agencies = table_of(Agency)
CODE = re.compile(r"[0-9A-Za-z]{1,5}(\.[0-9A-Za-z]{1,5}){1,6}")
FIELDS = ("code", "name", "endpoint", "token", "token_env", "token_file", "certificate", "certificate_file", "active")
FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class AgencyView:
    """An agency of the directory; the token itself stays inside (``has_token`` says whether there is one).
    ``certificates``: the SHA-256 fingerprints (hex) pinned for its envelope signatures."""

    code: str
    name: str
    endpoint: str
    has_token: bool
    active: bool
    updated_at: datetime
    certificates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """Where and how to deliver to an agency."""

    code: str
    name: str
    url: str
    token: str


class AgencyDirectory:
    """The directory in SQL (table ``exchange_agencies``)."""

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def entries(self) -> list[AgencyView]:
        """Every agency, by code."""
        with self.db.connect() as conn:
            return [_view(r) for r in conn.execute(select(agencies).order_by(agencies.c.code))]

    def get(self, code: str) -> AgencyView:
        """One agency.

        Raises:
            NotFound: no agency with this code.
        """
        with self.db.connect() as conn:
            row = conn.execute(select(agencies).where(agencies.c.code == code)).first()
        if row is None:
            raise NotFound(N_("no agency {code} in the directory"), code=code)
        return _view(row)

    def endpoint(self, conn: Connection, code: str) -> Endpoint | None:
        """Where to deliver to the active agency ``code`` (None: not in the directory, or inactive)."""
        row = conn.execute(select(agencies).where(agencies.c.code == code, agencies.c.active.is_(True))).first()
        return Endpoint(row.code, row.name, row.endpoint.rstrip("/"), row.token) if row is not None else None

    def known(self, conn: Connection, code: str) -> AgencyView | None:
        """The active agency ``code``, if the directory has it."""
        row = conn.execute(select(agencies).where(agencies.c.code == code, agencies.c.active.is_(True))).first()
        return _view(row) if row is not None else None

    def matching(self, conn: Connection, text: str) -> list[AgencyView]:
        """The active agencies a recipients' text names (by code or by name; ``;``, ``,`` or new lines apart)."""
        parts = {_norm(p) for p in re.split(r"[;\n,]+", text or "") if p.strip()}
        rows = conn.execute(select(agencies).where(agencies.c.active.is_(True)).order_by(agencies.c.code))
        return [_view(r) for r in rows if _norm(r.code) in parts or _norm(r.name) in parts]

    def save(self, code: str, *, name: str, endpoint: str, token: str | None = None, active: bool = True,
             certificates: list[str] | None = None) -> bool:
        """Add or change an agency (``token`` or ``certificates`` None keeps what it has); return True when it was
        added.

        Args:
            certificates: SHA-256 fingerprints (hex, colons allowed) of the certificates its envelopes may be
                signed with.

        Raises:
            InvalidInput: a code that is not an identifier code, no name, an endpoint that is not an http(s) URL,
                a fingerprint that is not one.
        """
        values = _checked({"code": code, "name": name, "endpoint": endpoint, "active": active}, where="")
        if certificates is not None:
            values["certificates"] = ",".join(fingerprints(certificates, where=""))
        now = self.clock.now()
        with self.db.transaction() as conn:
            return self._put(conn, values, token, now)

    def import_file(self, path: Path) -> tuple[int, int]:
        """Add or update the agencies of a YAML or CSV file; return (added, changed). All or nothing.

        YAML: a list of agencies (or ``agencies:`` holding one); CSV: a header row. Fields: ``code``, ``name``,
        ``endpoint``, and the token as ``token``, ``token_env`` (an environment variable holding it) or
        ``token_file`` (a file holding it, relative to the imported file); the agency certificate its envelopes are
        signed with as ``certificate`` (SHA-256 fingerprints, a list or separated by commas or spaces) or
        ``certificate_file`` (a PEM or DER file of it, relative to the imported file); ``active`` (default true).

        Raises:
            InvalidInput: an unreadable file or a bad entry (named by its line or position and field).
        """
        rows = _read(path)
        now = self.clock.now()
        added = changed = 0
        with self.db.transaction() as conn:
            for where, row in rows:
                unknown = sorted(set(row) - set(FIELDS))
                if unknown:
                    raise InvalidInput(N_("{where}: unknown field {field}"), {unknown[0]: [where]}, where=where,
                                       field=unknown[0])
                values = _checked(row, where=where)
                pinned = _certificates(row, path.parent, where)
                if pinned is not None:
                    values["certificates"] = ",".join(pinned)
                token = _token(row, path.parent, where)
                if self._put(conn, values, token, now):
                    added += 1
                else:
                    changed += 1
        return added, changed

    def _put(self, conn: Connection, values: dict[str, Any], token: str | None, now: datetime) -> bool:
        exists = conn.execute(select(agencies.c.id).where(agencies.c.code == values["code"])).first()
        if exists is None:
            conn.execute(insert(agencies).values(**values, token=token or "", created_at=now, updated_at=now))
            return True
        changes = {**values, "updated_at": now}
        if token is not None:
            changes["token"] = token
        conn.execute(update(agencies).where(agencies.c.code == values["code"]).values(**changes))
        return False


def _view(row: Any) -> AgencyView:
    return AgencyView(row.code, row.name, row.endpoint, bool(row.token), bool(row.active), row.updated_at,
                      tuple(c for c in (row.certificates or "").split(",") if c))


def fingerprints(texts: list[str], *, where: str) -> list[str]:
    """SHA-256 fingerprints as stored: lowercase hex without colons; refuses anything else.

    Raises:
        InvalidInput: a text that is not a SHA-256 fingerprint.
    """
    found: list[str] = []
    for text in texts:
        for part in re.split(r"[\s,;]+", str(text).strip()):
            if not part:
                continue
            value = part.replace(":", "").lower()
            if not FINGERPRINT.fullmatch(value):
                raise InvalidInput(N_("{where}'{text}' is not a SHA-256 certificate fingerprint (64 hex digits)"),
                                   {"certificate": [part]}, where=f"{where}: " if where else "", text=part)
            if value not in found:
                found.append(value)
    return found


def _certificates(row: dict[str, Any], folder: Path, where: str) -> list[str] | None:
    given = row.get("certificate")
    if given:
        return fingerprints(given if isinstance(given, list) else [str(given)], where=where)
    if row.get("certificate_file"):
        file = folder / str(row["certificate_file"])
        if not file.is_file():
            raise InvalidInput(N_("{where}: no file {name}"), {"certificate_file": [str(file)]}, where=where,
                               name=file)
        from engine.signing.keys import load_certificates

        try:
            return [c.sha256.hex() for c in load_certificates([file])]
        except ValueError as exc:
            raise InvalidInput(N_("{where}: {name} is not a PEM or DER certificate"),
                               {"certificate_file": [str(file)]}, where=where, name=file) from exc
    return None


def _norm(text: str) -> str:
    return " ".join(str(text).lower().replace(".", " . ").split()).strip(" .")


def _checked(row: dict[str, Any], *, where: str) -> dict[str, Any]:
    prefix = f"{where}: " if where else ""
    code = str(row.get("code") or "").strip()
    if not CODE.fullmatch(code):
        raise InvalidInput(N_("{where}the code '{code}' is not an identifier code such as 000.00.31.H37"),
                           {"code": [code]}, where=prefix, code=code)
    name = " ".join(str(row.get("name") or "").split())
    if not name or len(name) > 300:
        raise InvalidInput(N_("{where}the agency {code} needs a name (at most 300 characters)"), {"name": [name]},
                           where=prefix, code=code)
    endpoint = str(row.get("endpoint") or "").strip()
    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(endpoint) > 500:
        raise InvalidInput(N_("{where}the endpoint of {code} must be an http(s) URL, not '{endpoint}'"),
                           {"endpoint": [endpoint]}, where=prefix, code=code, endpoint=endpoint)
    active = row.get("active", True)
    if isinstance(active, str):
        active = active.strip().lower() not in ("0", "false", "no", "off", "")
    return {"code": code, "name": name, "endpoint": endpoint.rstrip("/"), "active": bool(active)}


def _token(row: dict[str, Any], folder: Path, where: str) -> str | None:
    if row.get("token"):
        return str(row["token"]).strip()
    if row.get("token_env"):
        value = os.environ.get(str(row["token_env"]), "")
        if not value:
            raise InvalidInput(N_("{where}: the environment variable {name} is not set"),
                               {"token_env": [str(row["token_env"])]}, where=where, name=row["token_env"])
        return value.strip()
    if row.get("token_file"):
        file = folder / str(row["token_file"])
        if not file.is_file():
            raise InvalidInput(N_("{where}: no file {name}"), {"token_file": [str(file)]}, where=where, name=file)
        return file.read_text(encoding="utf-8").strip()
    return None


def _read(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(N_("cannot read {path}: {error}"), path=path, error=str(exc)) from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        return [(f"{path.name} line {reader.line_num}", {k.strip(): (v or "").strip() for k, v in row.items() if k})
                for row in reader]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InvalidInput(N_("{path} line {line}: not valid YAML"), path=path.name,
                           line=(mark.line + 1) if mark else 0) from exc
    if isinstance(data, dict):
        data = data.get("agencies")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InvalidInput(N_("{path}: expected a list of agencies (code, name, endpoint, token)"), path=path.name)
    return [(f"{path.name} agency {n}", r) for n, r in enumerate(data, start=1)]

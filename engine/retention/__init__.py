"""Retention: finished cases older than their procedure's ``historyTimeToLive`` leave the working database for a
signed archive file (docs/operations.md, "Retention").

The time to live, in days, is the process's ``camunda:historyTimeToLive`` attribute (a number of days or
``P<n>D``, as Camunda writes it) on the version the case followed, else ``PROCFLOW_HISTORY_TTL_DAYS`` (0: keep
for ever). A case is due when it is completed or cancelled and ended more than that many days ago.

One run writes one archive, ``<archive_dir>/archive-<UTC moment>.zip``: ``cases/<id>.json`` (the case row with
its data, and every row of it in the case tables — history and access log with their hashes, tasks, timers,
comments, attachment records, notifications, its links to documents — plus the anchored heads of its chains),
``files/<sha256>`` (its attachments' contents), ``manifest.json`` (SHA-256 of every member) and
``manifest.sig`` (HMAC-SHA256 of the manifest with the archive key). Each case is then removed from the working
tables in its own transaction, which also records it in ``archived_cases`` with the heads of its history and
access chains, so ``procflow audit verify`` still accounts for every anchor. Documents, their files and the
registers are never removed: only the case's working data is (a document keeps its number, files and
signatures; file contents still named by a document file or another case stay in the file storage).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, union
from sqlalchemy.engine import Connection

from engine.clock import Clock
from engine.inputs.safe_xml import parse_xml
from engine.persistence.base import table_of
from engine.persistence.chain import ACCESS_FIELDS, GENESIS, HISTORY_FIELDS, canonical
from engine.persistence.db import Database
from engine.persistence.models import Base, DeployedFile, Instance, InstanceStatus, ProcessVersion
from engine.persistence.retention_models import ArchivedCase
from engine.storage import FileStorage

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FINISHED = (InstanceStatus.COMPLETED, InstanceStatus.TERMINATED)
# The case tables whose rows go into the archive and leave the database (children before parents). Kept:
# audit_anchor_heads and audit_anchored (evidence), document_files (documents are never purged).
CASE_TABLES = ("access_log", "attachments", "comments", "document_cases", "event_subscriptions", "notifications",
               "timers", "inbox_tasks", "history")
_instances = table_of(Instance)
_versions = table_of(ProcessVersion)
_files = table_of(DeployedFile)
_archived = table_of(ArchivedCase)
_DAYS = re.compile(r"\s*(?:P(\d+)D|(\d+))\s*", re.IGNORECASE)


def ttl_days(text: str | None) -> int | None:
    """Days from a ``historyTimeToLive`` value (``180`` or ``P180D``); None when absent or not understood."""
    found = _DAYS.fullmatch(text or "")
    if not found:
        return None
    return int(found.group(1) or found.group(2))


def process_ttl(bpmn_xml: str, process_id: str) -> int | None:
    """The ``camunda:historyTimeToLive`` of process ``process_id`` in a BPMN file, in days."""
    root = parse_xml(bpmn_xml.encode(), name=process_id)
    for process in root.iter(f"{{{BPMN}}}process"):
        if process.get("id") == process_id:
            return ttl_days(process.get(f"{{{CAMUNDA}}}historyTimeToLive"))
    return None


@dataclass
class RunReport:
    """What one run archived (or, dry, would have)."""

    archive: Path | None
    cases: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)
    dry_run: bool = False


class RetentionService:
    """Finds the cases due for archiving, writes the archive and removes their working data."""

    def __init__(self, *, db: Database, clock: Clock, storage: FileStorage, archive_dir: Path, key: bytes,
                 default_days: int = 0) -> None:
        self.db, self.clock, self.storage = db, clock, storage
        self.archive_dir, self.key, self.default_days = archive_dir, key, default_days

    # -- what is due --------------------------------------------------------------------------
    def due(self, *, limit: int = 1000) -> list[int]:
        """The ids of finished cases older than their time to live, oldest first."""
        now = self.clock.now()
        with self.db.connect() as conn:
            ttl = self._ttls(conn)
            rows = conn.execute(select(_instances.c.id, _instances.c.process_version_id, _instances.c.ended_at)
                                .where(_instances.c.status.in_(FINISHED), _instances.c.ended_at.is_not(None))
                                .order_by(_instances.c.ended_at, _instances.c.id)).all()
        out = []
        for row in rows:
            days = ttl.get(row.process_version_id, self.default_days)
            if days and _aware(row.ended_at) < now - timedelta(days=days):
                out.append(row.id)
                if len(out) >= limit:
                    break
        return out

    def _ttls(self, conn: Connection) -> dict[int, int]:
        found: dict[int, int] = {}
        for row in conn.execute(select(_versions.c.id, _versions.c.process_id, _files.c.content)
                                .join(_files, _files.c.id == _versions.c.file_id)):
            try:
                days = process_ttl(row.content, row.process_id)
            except Exception:  # noqa: BLE001 - a file that does not parse has no time to live of its own
                days = None
            if days is not None:
                found[row.id] = days
        return found

    # -- a run --------------------------------------------------------------------------------
    def run(self, *, dry_run: bool = False, limit: int = 1000) -> RunReport:
        """Archive every case due now into one new archive file (none when nothing is due)."""
        ids = self.due(limit=limit)
        if dry_run or not ids:
            return RunReport(None, ids, dry_run=dry_run)
        now = self.clock.now()
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        path = self.archive_dir / f"archive-{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}.zip"
        report = RunReport(path)
        members: dict[str, str] = {}
        with zipfile.ZipFile(path, "x", compression=zipfile.ZIP_DEFLATED) as archive:
            for instance_id in ids:
                try:
                    self._archive_case(archive, members, instance_id, path.name, now)
                    report.cases.append(instance_id)
                except _Gone:
                    report.skipped[instance_id] = "archived or changed by another run"
            manifest = canonical({"format": "procflow-archive/1", "created_at": now, "cases": report.cases,
                                  "members": members})
            archive.writestr("manifest.json", manifest)
            archive.writestr("manifest.sig", sign(self.key, manifest))
        return report

    def _archive_case(self, archive: zipfile.ZipFile, members: dict[str, str], instance_id: int, name: str,
                      now: datetime) -> None:
        with self.db.transaction() as conn:
            locked = select(_instances).where(_instances.c.id == instance_id,
                                              _instances.c.status.in_(FINISHED))
            if not self.db.is_sqlite:
                locked = locked.with_for_update()
            case = conn.execute(locked).mappings().first()
            if case is None:
                raise _Gone
            record: dict[str, Any] = {"instance": dict(case), "tables": {}}
            for table_name in CASE_TABLES:
                table = Base.metadata.tables[table_name]
                record["tables"][table_name] = [dict(r) for r in conn.execute(
                    select(table).where(table.c.instance_id == instance_id)
                    .order_by(*table.primary_key.columns)).mappings()]
            heads = Base.metadata.tables["audit_anchor_heads"]
            record["anchored"] = [dict(r) for r in conn.execute(
                select(heads.c.anchor_id, heads.c.chain, heads.c.count, heads.c.head)
                .where(heads.c.instance_id == instance_id).order_by(heads.c.anchor_id, heads.c.chain)).mappings()]
            record["history_chain"] = _chain(record["tables"]["history"], HISTORY_FIELDS, "seq")
            record["access_chain"] = _chain(record["tables"]["access_log"], ACCESS_FIELDS, "seq")
            for attachment in record["tables"]["attachments"]:
                member = f"files/{attachment['sha256']}"
                if member not in members:
                    content = self.storage.read(attachment["stored_path"], conn)
                    if content is not None:
                        archive.writestr(member, content)
                        members[member] = hashlib.sha256(content).hexdigest()
            body = canonical(record)
            archive.writestr(f"cases/{instance_id}.json", body)
            members[f"cases/{instance_id}.json"] = hashlib.sha256(body).hexdigest()
            keys = {a["stored_path"] for a in record["tables"]["attachments"]}
            for table_name in CASE_TABLES:
                table = Base.metadata.tables[table_name]
                conn.execute(delete(table).where(table.c.instance_id == instance_id))
            conn.execute(delete(_instances).where(_instances.c.id == instance_id))
            history, access = record["history_chain"], record["access_chain"]
            conn.execute(insert(_archived).values(
                instance_id=instance_id, process_id=case["process_id"], business_key=case["business_key"],
                ended_at=case["ended_at"], archived_at=now, archive=name, history_count=history["count"],
                history_head=history["head"], access_count=access["count"], access_head=access["head"]))
            unused = keys - _still_named(conn, keys)
        for key in unused:  # after the commit: a content nobody names any more
            self.storage.delete(key)


class _Gone(Exception):
    """The case was archived or reopened by someone else meanwhile."""


def _still_named(conn: Connection, keys: set[str]) -> set[str]:
    if not keys:
        return set()
    attachments, files = Base.metadata.tables["attachments"], Base.metadata.tables["document_files"]
    return {r[0] for r in conn.execute(union(select(attachments.c.stored_path).where(
        attachments.c.stored_path.in_(keys)), select(files.c.stored_path).where(files.c.stored_path.in_(keys))))}


def _chain(rows: list[dict[str, Any]], names: tuple[str, ...], seq: str) -> dict[str, Any]:
    ordered = sorted(rows, key=lambda r: r[seq])
    return {"count": len(ordered), "head": ordered[-1]["hash"] if ordered else GENESIS}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- signing and verifying -------------------------------------------------------------------------
def sign(key: bytes, manifest: bytes) -> str:
    """The archive's signature line: ``hmac-sha256:<key id>:<hex>`` (the key id: first 16 hex of its SHA-256)."""
    return f"hmac-sha256:{key_id(key)}:{hmac.new(key, manifest, hashlib.sha256).hexdigest()}"


def key_id(key: bytes) -> str:
    """Which key signed: the first 16 hex digits of its SHA-256 (says nothing about the key itself)."""
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass
class ArchiveCheck:
    """What ``procflow archive verify`` found."""

    cases: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def verify_archive(path: Path, key: bytes) -> ArchiveCheck:
    """Check an archive file on its own: the signature, every member's SHA-256, and each case's history and
    access chains recomputed from their rows up to their recorded heads and every anchored head."""
    check = ArchiveCheck()
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        check.problems.append(f"{path}: not a readable archive ({exc})")
        return check
    with archive:
        names = set(archive.namelist())
        if not {"manifest.json", "manifest.sig"} <= names:
            check.problems.append("manifest.json or manifest.sig is missing")
            return check
        manifest_bytes = archive.read("manifest.json")
        if not hmac.compare_digest(archive.read("manifest.sig").decode(errors="replace").strip(),
                                   sign(key, manifest_bytes)):
            check.problems.append("manifest.sig does not match manifest.json with this key (changed, or another key)")
        manifest = json.loads(manifest_bytes)
        members: dict[str, str] = manifest.get("members", {})
        for extra in sorted(names - set(members) - {"manifest.json", "manifest.sig"}):
            check.problems.append(f"{extra}: not in the manifest (added)")
        for member, digest in sorted(members.items()):
            if member not in names:
                check.problems.append(f"{member}: missing")
                continue
            data = archive.read(member)
            if hashlib.sha256(data).hexdigest() != digest:
                check.problems.append(f"{member}: changed (SHA-256 does not match the manifest)")
                continue
            if member.startswith("files/"):
                check.files += 1
                if hashlib.sha256(data).hexdigest() != member.split("/", 1)[1]:
                    check.problems.append(f"{member}: content does not match its name")
            elif member.startswith("cases/"):
                check.cases += 1
                check.problems.extend(f"{member}: {p}" for p in _case_problems(json.loads(data)))
    return check


def _case_problems(record: dict[str, Any]) -> list[str]:
    problems = []
    anchored: dict[tuple[str, int], str] = {(a["chain"], a["count"]): a["head"] for a in record.get("anchored", [])}
    for chain, table, names, summary in (("history", "history", HISTORY_FIELDS, "history_chain"),
                                         ("access", "access_log", ACCESS_FIELDS, "access_chain")):
        prev, count = GENESIS, 0
        for row in sorted(record["tables"][table], key=lambda r: r["seq"]):
            count += 1
            fields = {n: row[n] for n in names if row.get(n) is not None}
            fields["prev"] = prev
            if row["seq"] != count or hashlib.sha256(canonical(fields)).hexdigest() != row["hash"]:
                problems.append(f"{chain} row at position {count} does not chain (edited, inserted or deleted)")
                break
            prev = row["hash"]
            if (chain, count) in anchored and anchored[(chain, count)] != prev:
                problems.append(f"{chain} up to position {count} does not match its anchored head")
        else:
            if (count, prev) != (record[summary]["count"], record[summary]["head"]):
                problems.append(f"{chain} ends at {count} rows, the archive records {record[summary]['count']}")
            if chain == "history" and (record["instance"].get("history_count"), record["instance"].get(
                    "history_head")) not in ((count, prev), (None, None)):
                problems.append("the case's recorded history head does not match its rows")
    return problems


def load_key(secrets_dir: Path, given: str) -> bytes:
    """The archive key: ``PROCFLOW_ARCHIVE_KEY`` when set, else one made once in the secrets folder (0600)."""
    if given:
        return given.encode()
    path = secrets_dir / "archive_key"
    if not path.exists():
        import os
        import secrets

        secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()

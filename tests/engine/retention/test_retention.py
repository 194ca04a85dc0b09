"""Retention on the real database: a finished case past its procedure's historyTimeToLive goes to a signed archive
file and leaves the working tables; the audit still verifies; the archive verifies on its own and a change to it
is found; running cases, young cases and procedures without a time to live stay; documents' files stay."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import select

from engine.clock import VirtualClock
from engine.deployment.service import SourceFile
from engine.persistence.base import table_of
from engine.persistence.models import Instance
from engine.persistence.retention_models import ArchivedCase
from engine.retention import process_ttl, ttl_days, verify_archive
from engine.services import Services
from engine.storage import key_for
from tests.conftest import FIXTURES

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _model(days: str | None) -> SourceFile:
    xml = (FIXTURES / "approve.bpmn").read_text()
    if days is not None:
        xml = xml.replace('<bpmn:process id="approve"',
                          f'<bpmn:process id="approve" camunda:historyTimeToLive="{days}"')
    return SourceFile("approve.bpmn", xml.encode())


def _finished_case(services: Services, title: str) -> int:
    case = services.runtime.start("approve", data={"title": title}, user="chuyenvien")
    services.attachments.add(case, "chuyenvien", "to-trinh.pdf", io.BytesIO(PDF + title.encode()))
    services.cases.case(case, "chuyenvien")  # a view: a row in the access log's chain
    (task,) = services.queries.tasks(instance_id=case)
    services.work.claim(task.id, "chanhvp")
    services.runtime.complete_task(task.id, user="chanhvp", data={"approved": True})
    assert services.queries.instance(case).status == "completed"
    return case


@pytest.fixture
def org(services: Services) -> Services:
    services.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    services.org.import_file(FIXTURES / "org.yaml")
    return services


def test_ttl_values_as_camunda_writes_them() -> None:
    assert ttl_days("180") == 180 and ttl_days("P30D") == 30 and ttl_days(" p7d ") == 7
    assert ttl_days("") is None and ttl_days("P1M") is None and ttl_days(None) is None
    assert process_ttl(_model("P30D").content.decode(), "approve") == 30
    assert process_ttl(_model(None).content.decode(), "approve") is None


def test_a_finished_case_past_its_time_to_live_is_archived_and_still_verifies(org: Services,
                                                                              clock: VirtualClock) -> None:
    org.deployment.deploy([_model("30")])
    old = _finished_case(org, "Công văn cũ")
    running = org.runtime.start("approve", data={"title": "Đang xử lý"}, user="chuyenvien")
    assert org.anchors.anchor() is not None  # the chains of both cases anchored before archiving
    clock.advance(timedelta(days=20))
    young = _finished_case(org, "Công văn mới")
    assert org.retention.due() == []
    clock.advance(timedelta(days=11))  # old: 31 days after it ended; young: 11
    assert org.retention.due() == [old]
    dry = org.retention.run(dry_run=True)
    assert dry.cases == [old] and dry.archive is None and org.queries.instance(old) is not None
    old_sha = org.attachments.list_for(old, "chuyenvien")[0].sha256

    report = org.retention.run()
    assert report.cases == [old] and report.archive is not None and report.archive.is_file()
    with org.db.connect() as conn:
        ids = set(conn.execute(select(table_of(Instance).c.id)).scalars())
        archived = conn.execute(select(table_of(ArchivedCase))).one()
    assert ids == {running, young}
    assert (archived.instance_id, archived.archive, archived.history_count > 3, archived.access_count) == (
        old, report.archive.name, True, 1)
    assert not org.retention.storage.exists(key_for(old_sha))  # named by nothing left
    assert org.verifier.verify().intact, org.verifier.verify().problems
    check = verify_archive(report.archive, org.retention.key)
    assert check.intact and (check.cases, check.files) == (1, 1), check.problems
    with zipfile.ZipFile(report.archive) as archive:
        assert archive.read(f"files/{old_sha}") == PDF + "Công văn cũ".encode()
    assert org.retention.run().archive is None  # nothing more is due


def test_a_changed_archive_or_another_key_is_found(org: Services, clock: VirtualClock, tmp_path: Path) -> None:
    org.deployment.deploy([_model("P1D")])
    case = _finished_case(org, "Công văn")
    clock.advance(timedelta(days=2))
    path = org.retention.run().archive
    assert path is not None
    assert not verify_archive(path, b"another key").intact
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(changed, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == f"cases/{case}.json":
                data = data.replace("Công văn".encode(), "Công văn khác".encode())
            out.writestr(item, data)
    problems = verify_archive(changed, org.retention.key).problems
    assert problems and any(f"cases/{case}.json: changed" in p for p in problems)
    shutil.copy(path, tmp_path / "copy.zip")
    assert verify_archive(tmp_path / "copy.zip", org.retention.key).intact


def test_without_a_time_to_live_nothing_is_archived_unless_the_setting_says(org: Services,
                                                                            clock: VirtualClock) -> None:
    org.deployment.deploy([_model(None)])
    case = _finished_case(org, "Công văn")
    clock.advance(timedelta(days=3650))
    assert org.retention.due() == []
    org.retention.default_days = 365
    assert org.retention.due() == [case]


def test_the_command_runs_dry_and_verifies(org: Services, clock: VirtualClock, settings,  # type: ignore[no-untyped-def]
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import main

    org.deployment.deploy([_model("1")])
    case = _finished_case(org, "Công văn")
    clock.advance(timedelta(days=2))
    path = org.retention.run().archive
    assert path is not None
    monkeypatch.setenv("PROCFLOW_SECRETS_DIR", str(settings.secrets_dir))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PROCFLOW_HOME", str(settings.home))
    good = CliRunner().invoke(main, ["archive", "verify", str(path)])
    assert good.exit_code == 0 and "intact: 1 case(s), 1 file(s)" in good.output, good.output
    monkeypatch.setenv("PROCFLOW_ARCHIVE_KEY", "wrong")
    bad = CliRunner().invoke(main, ["archive", "verify", str(path)])
    assert bad.exit_code == 1 and "manifest.sig does not match" in bad.output
    monkeypatch.delenv("PROCFLOW_ARCHIVE_KEY")
    dry = CliRunner().invoke(main, ["archive", "run", "--dry-run"])
    assert dry.exit_code == 0 and "0 case(s) due" in dry.output, (dry.output, case)

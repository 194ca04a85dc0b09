"""``procflow start --file FIELD=PATH``: a start form's file given on the command line, refused like on the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.services import Services
from engine.settings import Settings
from engine.signing.sample import sample_document
from tests.cli.test_commands import Cli
from tests.conftest import ROOT

DOCUMENT = {"so_ky_hieu": "125/UBND-VP", "ngay_ban_hanh": "2026-04-27", "ngay_den": "2026-04-29",
            "co_quan_ban_hanh": "Ủy ban nhân dân tỉnh", "loai_van_ban": "cong_van",
            "trich_yeu": "Về việc báo cáo kết quả chuyển đổi số quý I năm 2026", "hinh_thuc_nhan": "dien_tu",
            "do_khan": "thuong", "do_mat": "thuong", "da_kiem_tra_xac_thuc": True}


@pytest.fixture
def incoming_cli(services: Services, settings: Settings, tmp_path: Path) -> Cli:
    cli = Cli({"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(tmp_path),
               "PROCFLOW_FORMS": str(ROOT / "forms"), "PROCFLOW_LANG": None, "LANG": "C.UTF-8"})
    cli.ok("org", "import", str(ROOT / "engine" / "data" / "demo_org.yaml"))
    cli.ok("deploy", str(ROOT / "processes" / "incoming_document.bpmn"))
    return cli


def test_start_attaches_the_file_and_the_document_gets_it(incoming_cli: Cli, tmp_path: Path) -> None:
    pdf = tmp_path / "cv-125.pdf"
    pdf.write_bytes(sample_document().pdf)
    case = incoming_cli.ok("start", "incoming_document", "--user", "vanthu", "--data", json.dumps(DOCUMENT),
                           "--file", f"tep_van_ban={pdf}").strip()
    [document] = json.loads(incoming_cli.ok("documents", "list", "--register", "incoming", "--format", "json"))
    shown = incoming_cli.ok("documents", "show", str(document["id"]))
    assert case.isdigit() and "cv-125.pdf" in shown


def test_start_without_the_file_or_with_a_wrong_one_is_one_error_line(incoming_cli: Cli, tmp_path: Path) -> None:
    assert "form has errors; check the marked fields. tep_van_ban: This field is required." in incoming_cli.error(
        "start", "incoming_document", "--user", "vanthu", "--data", json.dumps(DOCUMENT))
    text = tmp_path / "cv.txt"
    text.write_text("not a document")
    assert "tep_van_ban: cv.txt: " in incoming_cli.error(
        "start", "incoming_document", "--user", "vanthu", "--data", json.dumps(DOCUMENT),
        "--file", f"tep_van_ban={text}")
    assert "--file must read FIELD=PATH" in incoming_cli.error(
        "start", "incoming_document", "--user", "vanthu", "--file", "tep_van_ban")
    assert "cannot read" in incoming_cli.error(
        "start", "incoming_document", "--user", "vanthu", "--file", f"tep_van_ban={tmp_path / 'missing.pdf'}")

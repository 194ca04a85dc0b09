"""``procflow agencies`` and ``procflow exchange``: the directory from YAML and CSV files, packages received and sent
by an operator, mistakes as one error line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.documents.demo import DemoKeys
from engine.exchange.package import build_package
from engine.services import Services
from engine.settings import Settings
from tests.cli.test_commands import Cli
from tests.conftest import ROOT
from tests.engine.exchange.conftest import (  # noqa: F401 - fixtures
    A,
    B,
    agency,
    doc_settings,
    exchange_settings,
    keys,
    package_from_a,
    signed_pdf,
)
from tests.engine.exchange.test_delivery import Receiver, receiver  # noqa: F401 - fixture


@pytest.fixture
def ops(agency: Services, exchange_settings: Settings, keys: DemoKeys, tmp_path: Path) -> Cli:  # noqa: F811
    """The command line of agency B (the fixture's database, demo organisation and procedures)."""
    return Cli({**keys.env(), "DATABASE_URL": exchange_settings.database_url, "PROCFLOW_HOME": str(tmp_path / "home"),
                "PROCFLOW_FORMS": str(ROOT / "forms"), "PROCFLOW_AGENCY_CODE": B.code, "PROCFLOW_AGENCY_NAME": B.name,
                "PROCFLOW_LANG": None, "LANG": "C.UTF-8"})


def test_agencies_import_yaml_and_csv_then_list(ops: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_OF_STC", "secret-stc")
    (tmp_path / "ubnd.token").write_text("secret-ubnd\n")
    yaml_file = tmp_path / "agencies.yaml"
    yaml_file.write_text(
        "agencies:\n"
        "  - {code: 000.00.40.H37, name: Sở Tài chính, endpoint: 'https://stc.example.vn/api/v1/exchange',"
        " token_env: TOKEN_OF_STC}\n"
        "  - {code: 000.00.00.H37, name: UBND tỉnh, endpoint: 'https://ubnd.example.vn/api/v1/exchange',"
        " token_file: ubnd.token}\n", encoding="utf-8")
    assert ops.ok("agencies", "import", str(yaml_file)) == "2 agencies added, 0 updated\n"
    csv_file = tmp_path / "agencies.csv"
    csv_file.write_text("code,name,endpoint,token,active\n"
                        "000.00.40.H37,Sở Tài chính tỉnh,https://stc.example.vn/api/v1/exchange,,yes\n"
                        "000.00.41.H37,Sở Y tế,http://127.0.0.1:8001/api/v1/exchange,t,no\n", encoding="utf-8")
    assert ops.ok("agencies", "import", str(csv_file)) == "1 agencies added, 1 updated\n"
    listed = ops.ok("agencies", "list").splitlines()
    assert "000.00.40.H37\tSở Tài chính tỉnh\thttps://stc.example.vn/api/v1/exchange\ttoken\tactive" in listed
    assert "000.00.41.H37\tSở Y tế\thttp://127.0.0.1:8001/api/v1/exchange\ttoken\tinactive" in listed
    assert "secret" not in "\n".join(listed)


def test_a_bad_directory_entry_is_named_and_nothing_is_imported(ops: Cli, tmp_path: Path) -> None:
    csv_file = tmp_path / "agencies.csv"
    csv_file.write_text("code,name,endpoint\n000.00.42.H37,Sở Xây dựng,https://sxd.example.vn\n"
                        "000.00.43.H37,Sở Công thương,ftp://sct.example.vn\n", encoding="utf-8")
    assert ops.error("agencies", "import", str(csv_file)) == (
        "error: agencies.csv line 3: the endpoint of 000.00.43.H37 must be an http(s) URL, not 'ftp://sct.example.vn'")
    assert "000.00.42.H37" not in ops.ok("agencies", "list")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("- code: 000.00.44.H37\n  name: [unclosed\n", encoding="utf-8")
    assert ops.error("agencies", "import", str(bad_yaml)).startswith("error: bad.yaml line ")


def test_exchange_receive_registers_a_package_file_once(ops: Cli, tmp_path: Path, signed_pdf: bytes) -> None:  # noqa: F811
    package = tmp_path / "goi-tin.xml"
    package.write_bytes(build_package(package_from_a(signed_pdf)))
    assert ops.ok("exchange", "receive", str(package), "--user", "vanthu").startswith("document ")
    assert "already received" in ops.error("exchange", "receive", str(package), "--user", "vanthu")
    broken = tmp_path / "hong.xml"
    broken.write_bytes(package.read_bytes().replace(b"<edXML:Subject>", b"<edXML:Subjekt>", 1)
                       .replace(b"</edXML:Subject>", b"</edXML:Subjekt>", 1))
    error = ops.error("exchange", "receive", str(broken), "--user", "vanthu")
    assert "edXML:Subjekt, line 27: " in error and "expected" in error


def test_exchange_send_delivers_a_package_file(ops: Cli, tmp_path: Path, receiver: Receiver,  # noqa: F811
                                               signed_pdf: bytes) -> None:  # noqa: F811
    ops.ok("agencies", "import", str(_directory(tmp_path, receiver.url)))
    package = tmp_path / "goi-tin.xml"
    package.write_bytes(build_package(package_from_a(signed_pdf)))
    assert ops.ok("exchange", "send", str(package), "--to", "000.00.40.H37") == "delivery 1: delivered\n"
    assert receiver.received[0][2] == package.read_bytes()
    assert "already sent" in ops.error("exchange", "send", str(package), "--to", "000.00.40.H37")
    assert "no agency 000.00.99.H37" in ops.error("exchange", "send", str(package), "--to", "000.00.99.H37")


def _directory(folder: Path, url: str) -> Path:
    file = folder / "c.yaml"
    file.write_text(f"- {{code: 000.00.40.H37, name: Sở Tài chính, endpoint: '{url}', token: t}}\n", encoding="utf-8")
    return file

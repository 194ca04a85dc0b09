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
    agency_fingerprint,
    doc_settings,
    exchange_settings,
    keys,
    package_from_a,
    sealed,
    signed_pdf,
)
from tests.engine.exchange.test_delivery import Receiver, receiver  # noqa: F401 - fixture


@pytest.fixture
def ops(agency: Services, exchange_settings: Settings, keys: DemoKeys, tmp_path: Path) -> Cli:  # noqa: F811
    """The command line of agency B (the fixture's database, demo organisation and procedures)."""
    return Cli({**keys.env(), "DATABASE_URL": exchange_settings.database_url, "PROCFLOW_HOME": str(tmp_path / "home"),
                "PROCFLOW_FORMS": str(ROOT / "forms"), "PROCFLOW_AGENCY_CODE": B.code, "PROCFLOW_AGENCY_NAME": B.name,
                "PROCFLOW_LANG": None, "LANG": "C.UTF-8"})


def test_agencies_import_yaml_and_csv_then_list(ops: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                keys: DemoKeys) -> None:  # noqa: F811
    monkeypatch.setenv("TOKEN_OF_STC", "secret-stc")
    (tmp_path / "ubnd.token").write_text("secret-ubnd\n")
    assert keys.signing.agency_key is not None
    (tmp_path / "ubnd.pem").write_bytes(keys.signing.agency_key.path.with_name("agency.cert.pem").read_bytes())
    pinned = agency_fingerprint(keys)
    spelled = ":".join(pinned[i:i + 2] for i in range(0, 64, 2)).upper()  # as a certificate viewer shows it
    yaml_file = tmp_path / "agencies.yaml"
    yaml_file.write_text(
        "agencies:\n"
        "  - {code: 000.00.40.H37, name: Sở Tài chính, endpoint: 'https://stc.example.vn/api/v1/exchange',"
        f" token_env: TOKEN_OF_STC, certificate: '{spelled}'}}\n"
        "  - {code: 000.00.00.H37, name: UBND tỉnh, endpoint: 'https://ubnd.example.vn/api/v1/exchange',"
        " token_file: ubnd.token, certificate_file: ubnd.pem}\n", encoding="utf-8")
    assert ops.ok("agencies", "import", str(yaml_file)) == "2 agencies added, 0 updated\n"
    csv_file = tmp_path / "agencies.csv"
    csv_file.write_text("code,name,endpoint,token,active\n"
                        "000.00.40.H37,Sở Tài chính tỉnh,https://stc.example.vn/api/v1/exchange,,yes\n"
                        "000.00.41.H37,Sở Y tế,http://127.0.0.1:8001/api/v1/exchange,t,no\n", encoding="utf-8")
    assert ops.ok("agencies", "import", str(csv_file)) == "1 agencies added, 1 updated\n"
    listed = ops.ok("agencies", "list").splitlines()
    assert (f"000.00.40.H37\tSở Tài chính tỉnh\thttps://stc.example.vn/api/v1/exchange\ttoken\t{pinned}\tactive"
            in listed)  # a CSV without the column keeps the pinned certificate
    assert f"000.00.00.H37\tUBND tỉnh\thttps://ubnd.example.vn/api/v1/exchange\ttoken\t{pinned}\tactive" in listed
    assert ("000.00.41.H37\tSở Y tế\thttp://127.0.0.1:8001/api/v1/exchange\ttoken\tno certificate\tinactive"
            in listed)
    assert "secret" not in "\n".join(listed)
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,endpoint,certificate\n000.00.45.H37,Sở X,https://x.example.vn,abc\n", encoding="utf-8")
    assert "'abc' is not a SHA-256 certificate fingerprint" in ops.error("agencies", "import", str(bad))


def test_exchange_certificate_prints_the_fingerprint_to_give_other_agencies(ops: Cli, keys: DemoKeys) -> None:  # noqa: F811
    assert ops.ok("exchange", "certificate") == agency_fingerprint(keys) + "\n"
    assert "-----BEGIN CERTIFICATE-----" in ops.ok("exchange", "certificate", "--pem")


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


def test_exchange_receive_registers_a_package_file_once(ops: Cli, tmp_path: Path, signed_pdf: bytes,  # noqa: F811
                                                        keys: DemoKeys) -> None:  # noqa: F811
    package = tmp_path / "goi-tin.xml"
    package.write_bytes(sealed(package_from_a(signed_pdf), keys))
    assert ops.ok("exchange", "receive", str(package), "--user", "vanthu").startswith("document ")
    assert "already received" in ops.error("exchange", "receive", str(package), "--user", "vanthu")
    broken = tmp_path / "hong.xml"
    broken.write_bytes(package.read_bytes().replace(b"<edXML:Subject>", b"<edXML:Subjekt>", 1)
                       .replace(b"</edXML:Subject>", b"</edXML:Subjekt>", 1))
    error = ops.error("exchange", "receive", str(broken), "--user", "vanthu")
    assert "edXML:Subjekt, line 27: " in error and "expected" in error
    unsigned = tmp_path / "chua-ky.xml"
    unsigned.write_bytes(build_package(package_from_a(signed_pdf, document_id="000.00.31.H37.18", number="18")))
    assert "envelope is not signed" in ops.error("exchange", "receive", str(unsigned), "--user", "vanthu")


def test_exchange_send_delivers_a_package_file(ops: Cli, tmp_path: Path, receiver: Receiver,  # noqa: F811
                                               signed_pdf: bytes, keys: DemoKeys) -> None:  # noqa: F811
    ops.ok("agencies", "import", str(_directory(tmp_path, receiver.url)))
    package = tmp_path / "goi-tin.xml"
    package.write_bytes(sealed(package_from_a(signed_pdf), keys))
    assert ops.ok("exchange", "send", str(package), "--to", "000.00.40.H37") == "delivery 1: delivered\n"
    assert receiver.received[0][2] == package.read_bytes()
    assert "already sent" in ops.error("exchange", "send", str(package), "--to", "000.00.40.H37")
    assert "no agency 000.00.99.H37" in ops.error("exchange", "send", str(package), "--to", "000.00.99.H37")


def _directory(folder: Path, url: str) -> Path:
    file = folder / "c.yaml"
    file.write_text(f"- {{code: 000.00.40.H37, name: Sở Tài chính, endpoint: '{url}', token: t}}\n", encoding="utf-8")
    return file

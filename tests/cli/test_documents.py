"""``procflow documents verify`` and ``register-certificate``: each signature printed, a non-zero exit for an
unsigned file or an invalid signature."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.services import Services
from engine.settings import KeySpec, Settings
from engine.signing.demo_pki import PASSPHRASE, DemoPKI
from engine.signing.keys import open_signer
from engine.signing.prepare import DocumentLayout, prepare_document
from engine.signing.sample import sample_document, sample_image
from engine.signing.sign import sign_as_person
from tests.cli.test_commands import Cli


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("documents")
    pki = DemoPKI(folder / "pki")
    an = pki.issue("an", "Nguyễn Văn An")
    doc = sample_document()
    prepared = prepare_document(doc.pdf, DocumentLayout(doc.number, doc.date, doc.signing_place))
    with open_signer(KeySpec("pkcs12", an.p12, PASSPHRASE)) as signer:
        signed = sign_as_person(prepared, signer, image=sample_image(folder / "s.png", color=(0, 0, 200), text="An"))
    tampered = bytearray(signed)
    tampered[tampered.index(b"stream", 2000) + 40] ^= 0x01
    paths = {"root": pki.root_pem, "intermediate": pki.intermediate_pem, "cert": an.cert_pem}
    for name, data in (("signed", signed), ("tampered", bytes(tampered)), ("unsigned", prepared)):
        paths[name] = folder / f"{name}.pdf"
        paths[name].write_bytes(data)
    return paths


@pytest.fixture
def cli(services: Services, settings: Settings, tmp_path: Path, files: dict[str, Path]) -> Cli:
    return Cli({"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(tmp_path),
                "PROCFLOW_TRUST_ROOTS": str(files["root"]), "PROCFLOW_INTERMEDIATE_CERTS": str(files["intermediate"])})


def test_verify_prints_a_valid_signature_and_exits_zero(cli: Cli, files: dict[str, Path]) -> None:
    out = cli.ok("documents", "verify", str(files["signed"]))
    assert out.startswith("#1 VALID  Nguyễn Văn An  ")
    assert "field chu_ky_nguoi_co_tham_quyen as competent_person" in out
    [result] = json.loads(cli.ok("documents", "verify", str(files["signed"]), "--format", "json"))
    assert result["valid"] and result["signed_at"].endswith("+07:00")


def test_verify_exits_one_for_a_tampered_file_and_says_why(cli: Cli, files: dict[str, Path]) -> None:
    result = cli.invoke("documents", "verify", str(files["tampered"]))
    assert result.exit_code == 1
    assert "#1 INVALID" in result.stdout and "changed after this signature" in result.stdout


def test_verify_exits_one_for_an_unsigned_file(cli: Cli, files: dict[str, Path]) -> None:
    message = cli.error("documents", "verify", str(files["unsigned"]))
    assert message == "error: unsigned.pdf carries no digital signature"


def test_verify_refuses_a_file_that_is_not_a_pdf(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "x.pdf").write_text("hello")
    assert cli.error("documents", "verify", str(tmp_path / "x.pdf")) == "error: the file is not a PDF"


def test_register_certificate(cli: Cli, services: Services, files: dict[str, Path]) -> None:
    services.org.import_structure({"units": [{"code": "u", "name": "U"}], "groups": [],
                                   "users": [{"username": "an", "full_name": "An", "unit": "u"}]})
    assert cli.ok("documents", "register-certificate", "an", str(files["cert"])).startswith("an  ")
    assert cli.error("documents", "register-certificate", "nobody", str(files["cert"])).startswith("error: no user")


# -- registers and documents ------------------------------------------------------------------------------------


@pytest.fixture
def issued(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> tuple[Cli, int]:
    """A database holding the demo's issued outgoing document; the CLI configured with the demo keys."""
    from dataclasses import replace

    from engine.clock import VirtualClock
    from engine.deployment.service import collect_sources
    from engine.documents.demo import demo_keys, seed_outgoing_document
    from engine.services import build_services
    from engine.signing.registry import CertificateRegistry
    from tests.conftest import ROOT, T0, _empty_tables

    keys = demo_keys(tmp_path_factory.mktemp("keys"), {"bithu": "Nguyễn Văn An"})
    ours = replace(settings, forms_dir=ROOT / "forms", signing=keys.signing)
    built = build_services(ours, clock=VirtualClock(T0))
    built.org.import_file(ROOT / "engine" / "data" / "demo_org.yaml")
    built.deployment.deploy(collect_sources([ROOT / "processes" / "outgoing_document.bpmn"]))
    CertificateRegistry(db=built.db, clock=built.clock).register("bithu", keys.certificates["bithu"].read_bytes())
    case = seed_outgoing_document(built.runtime, built.attachments, built.queries)
    [row] = built.documents.documents_of_case(case, "vanthu")
    cli = Cli({"DATABASE_URL": settings.database_url, "PROCFLOW_HOME": str(settings.home), **keys.env(),
               "PROCFLOW_FORMS": str(ROOT / "forms")})
    yield cli, row.id
    _empty_tables(built)
    built.close()


def test_list_show_and_export_a_document(issued: tuple[Cli, int], tmp_path: Path) -> None:
    cli, document_id = issued
    out = cli.ok("documents", "list", "--register", "outgoing", "--year", "2026")
    assert "2026/1" in out and "01-BC/TU" in out and "issued" in out and "1 document(s)" in out
    [row] = json.loads(cli.ok("documents", "list", "--register", "outgoing", "--format", "json"))
    assert (row["id"], row["number"], row["signer"]) == (document_id, 1, "Nguyễn Văn An")
    assert json.loads(cli.ok("documents", "list", "--register", "incoming", "--format", "json")) == []
    shown = cli.ok("documents", "show", str(document_id))
    assert "VALID Nguyễn Văn An as competent_person" in shown and "as agency" in shown
    folder = tmp_path / "export"
    cli.ok("documents", "export", str(document_id), "--out", str(folder))
    names = sorted(p.name for p in folder.iterdir())
    assert "document.json" in names and "tom-tat.pdf" in names
    issued_pdf = next(folder / n for n in names if n.startswith("main-v2-"))
    assert "#2 VALID" in cli.ok("documents", "verify", str(issued_pdf))
    assert "no document 999" in cli.error("documents", "show", "999")


def test_the_register_exports_as_pdf_and_xlsx(issued: tuple[Cli, int], tmp_path: Path) -> None:
    import shutil
    import subprocess

    cli, _ = issued
    pdf, xlsx = tmp_path / "so-di.pdf", tmp_path / "so-di.xlsx"
    assert "1 document(s)" in cli.ok("documents", "register", "outgoing", "--year", "2026", "--out", str(pdf))
    cli.ok("documents", "register", "outgoing", "--year", "2026", "--out", str(xlsx))
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI NĂM 2026" in text and "01-BC/TU" in text and "Nguyễn Văn An" in text
    assert xlsx.read_bytes().startswith(b"PK")
    assert "must end in .pdf or .xlsx" in cli.error("documents", "register", "outgoing", "--year", "2026", "--out",
                                                    str(tmp_path / "so.doc"))

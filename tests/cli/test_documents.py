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

"""The signing settings: the agency key from PROCFLOW_AGENCY_*, trust roots, and clear errors when they are wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.settings import Settings, SettingsError


def test_nothing_configured_means_no_agency_key_and_no_trust_roots() -> None:
    signing = Settings.from_env({}).signing
    assert signing.agency_key is None and signing.trust_roots == () and signing.tsa_url == ""


def test_a_pkcs12_agency_key_with_its_passphrase_in_a_file(tmp_path: Path) -> None:
    (tmp_path / "agency.p12").write_bytes(b"x")
    (tmp_path / "pass").write_text("bí mật\n")
    signing = Settings.from_env({"PROCFLOW_AGENCY_P12": str(tmp_path / "agency.p12"),
                                 "PROCFLOW_AGENCY_PIN_FILE": str(tmp_path / "pass"),
                                 "PROCFLOW_TRUST_ROOTS": f"{tmp_path}/agency.p12:{tmp_path}"}).signing
    assert signing.agency_key is not None and signing.agency_key.kind == "pkcs12"
    assert signing.agency_key.secret == "bí mật"
    assert "bí mật" not in repr(signing)  # the secret stays out of logs
    assert signing.trust_roots == (tmp_path / "agency.p12", tmp_path)


def test_a_pkcs11_agency_key(tmp_path: Path) -> None:
    module = tmp_path / "libtoken.so"
    module.write_bytes(b"")
    key = Settings.from_env({"PROCFLOW_AGENCY_PKCS11_MODULE": str(module), "PROCFLOW_AGENCY_PKCS11_TOKEN": "VGCA",
                             "PROCFLOW_AGENCY_PKCS11_KEY": "co-quan", "PROCFLOW_AGENCY_PIN": "1234"}).signing.agency_key
    assert key is not None and (key.kind, key.token_label, key.key_label, key.secret) == ("pkcs11", "VGCA",
                                                                                          "co-quan", "1234")


@pytest.mark.parametrize(("env", "message"), [
    ({"PROCFLOW_AGENCY_P12": "/nowhere/a.p12"}, "PROCFLOW_AGENCY_P12: /nowhere/a.p12 is not a file"),
    ({"PROCFLOW_AGENCY_P12": "{f}", "PROCFLOW_AGENCY_PKCS11_MODULE": "{f}"}, "either PROCFLOW_AGENCY_P12 or"),
    ({"PROCFLOW_AGENCY_PKCS11_MODULE": "{f}"}, "needs a token label and a key label"),
    ({"PROCFLOW_AGENCY_P12": "{f}", "PROCFLOW_AGENCY_PIN": "1", "PROCFLOW_AGENCY_PIN_FILE": "{f}"},
     "either PROCFLOW_AGENCY_PIN or PROCFLOW_AGENCY_PIN_FILE"),
    ({"PROCFLOW_AGENCY_P12": "{f}", "PROCFLOW_AGENCY_PIN_FILE": "/nowhere/pin"}, "PROCFLOW_AGENCY_PIN_FILE: cannot"),
    ({"PROCFLOW_TRUST_ROOTS": "/nowhere/roots"}, "PROCFLOW_TRUST_ROOTS: /nowhere/roots does not exist"),
    ({"PROCFLOW_TSA_URL": "tsa.example.vn"}, "PROCFLOW_TSA_URL must be an http"),
])
def test_wrong_signing_settings_name_the_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    existing = tmp_path / "file"
    existing.write_bytes(b"")
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({name: value.format(f=existing) for name, value in env.items()})

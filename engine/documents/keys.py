"""The people's server-side signing keys: which key and signature image each person signs with in procflow.

Administrators list them in a TOML file named by ``PROCFLOW_SIGNING_KEYS`` (paths relative to the file), one
table per username; secrets come from a file or an environment variable, never from the file itself:

    [bithu]
    p12 = "keys/bithu.p12"                 # a PKCS#12 file, or a PKCS#11 token:
    passphrase_file = "keys/bithu.pass"    # or passphrase_env = "BITHU_PASSPHRASE"
    image = "keys/bithu-signature.png"     # the handwritten signature, a transparent PNG
    # pkcs11_module = "/usr/lib/softhsm/libsofthsm2.so"; token = "bithu"; key = "sign"; pin_file = "..."

A person without an entry signs outside procflow (a USB token on their own machine) and uploads the signed PDF.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.settings import KeySpec, SettingsError


@dataclass(frozen=True)
class PersonKey:
    """A person's key and the image their visible signature shows."""

    spec: KeySpec
    image: Path


def load_person_keys(path: Path | None) -> dict[str, PersonKey]:
    """Read the keys file (None: nobody signs server-side).

    Raises:
        SettingsError: the file is not TOML, or an entry lacks a key, a secret or an image (named).
    """
    if path is None:
        return {}
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"PROCFLOW_SIGNING_KEYS: cannot read {path}: {exc}") from exc
    return {user: _entry(path.parent, user, entry) for user, entry in tables.items() if isinstance(entry, dict)}


def _entry(base: Path, user: str, entry: dict[str, Any]) -> PersonKey:
    def file(name: str) -> Path:
        value = entry.get(name)
        if not value:
            raise SettingsError(f"PROCFLOW_SIGNING_KEYS: [{user}] needs {name}")
        found = (base / str(value)).resolve()
        if not found.is_file():
            raise SettingsError(f"PROCFLOW_SIGNING_KEYS: [{user}] {name}: {found} is not a file")
        return found

    secret = _secret(base, user, entry)
    if entry.get("pkcs11_module"):
        spec = KeySpec(kind="pkcs11", path=file("pkcs11_module"), secret=secret,
                       token_label=str(entry.get("token", "")), key_label=str(entry.get("key", "")),
                       cert_label=str(entry.get("cert_label", "")))
    else:
        spec = KeySpec(kind="pkcs12", path=file("p12"), secret=secret)
    return PersonKey(spec, file("image"))


def _secret(base: Path, user: str, entry: dict[str, Any]) -> str:
    if entry.get("passphrase_env") or entry.get("pin_env"):
        return os.environ.get(str(entry.get("passphrase_env") or entry.get("pin_env")), "")
    name = entry.get("passphrase_file") or entry.get("pin_file")
    if not name:
        raise SettingsError(f"PROCFLOW_SIGNING_KEYS: [{user}] needs passphrase_file or passphrase_env")
    try:
        return (base / str(name)).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise SettingsError(f"PROCFLOW_SIGNING_KEYS: [{user}] cannot read {name}: {exc.strerror}") from exc

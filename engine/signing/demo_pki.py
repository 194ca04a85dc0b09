"""A throwaway certification authority for tests, benchmarks and demos: a root, an intermediate, and
end-entity certificates for people and agencies, written as PEM and PKCS#12 files.

Never use these keys for real documents: they are made on the spot and the passphrases are given in clear.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_BITS = 2048
PASSPHRASE = "demo-passphrase"


@dataclass(frozen=True)
class Issued:
    """A key pair and its certificate, with the files they were written to."""

    name: str
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    cert_pem: Path
    key_pem: Path
    p12: Path

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate (lowercase hex), as the registry stores it."""
        return self.cert.fingerprint(hashes.SHA256()).hex()


class DemoPKI:
    """A root CA and an intermediate CA under ``folder``, issuing certificates on request.

    Args:
        folder: where the PEM and PKCS#12 files go.
        label: distinguishes two independent CAs (e.g. a trusted one and a stranger's).
    """

    def __init__(self, folder: Path, *, label: str = "Demo") -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        root_key = _new_key()
        root_name = _name(f"{label} Root CA", organisation=label)
        self.root_cert = _build(root_name, root_name, root_key.public_key(), root_key, now - timedelta(days=1),
                                now + timedelta(days=3650), ca=True)
        self.root_pem = self._write_cert("root", self.root_cert)
        self._issuer_key = _new_key()
        inter_name = _name(f"{label} Issuing CA", organisation=label)
        self.intermediate_cert = _build(inter_name, root_name, self._issuer_key.public_key(), root_key,
                                        now - timedelta(days=1), now + timedelta(days=1825), ca=True)
        self.intermediate_pem = self._write_cert("intermediate", self.intermediate_cert)

    def issue(self, name: str, common_name: str, *, organisation: str = "", days: int = 365,
              expired: bool = False, timestamping: bool = False) -> Issued:
        """Issue an end-entity signing certificate; ``expired`` makes one whose validity ended yesterday,
        ``timestamping`` one for a time-stamping authority."""
        now = datetime.now(UTC)
        start, end = (now - timedelta(days=30), now - timedelta(days=1)) if expired else (
            now - timedelta(hours=1), now + timedelta(days=days))
        key = _new_key()
        cert = _build(_name(common_name, organisation=organisation), self.intermediate_cert.subject,
                      key.public_key(), self._issuer_key, start, end, ca=False, timestamping=timestamping)
        key_pem = self.folder / f"{name}.key.pem"
        key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        p12 = self.folder / f"{name}.p12"
        p12.write_bytes(pkcs12.serialize_key_and_certificates(
            name.encode(), key, cert, [self.intermediate_cert],
            serialization.BestAvailableEncryption(PASSPHRASE.encode())))
        return Issued(name, key, cert, self._write_cert(name, cert), key_pem, p12)

    def crl(self, revoked: list[x509.Certificate]) -> Path:
        """Write a CRL of the issuing CA revoking ``revoked`` (DER) and return its path."""
        now = datetime.now(UTC)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.intermediate_cert.subject)
                   .last_update(now - timedelta(minutes=5)).next_update(now + timedelta(days=7)))
        for cert in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
                .revocation_date(now - timedelta(minutes=1)).build())
        builder = builder.add_extension(x509.CRLNumber(1), critical=False).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(self._issuer_key.public_key()), critical=False)
        path = self.folder / "issuing-ca.crl"
        path.write_bytes(builder.sign(self._issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
        return path

    def _write_cert(self, name: str, cert: x509.Certificate) -> Path:
        path = self.folder / f"{name}.cert.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return path


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _name(common_name: str, *, organisation: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        parts.insert(1, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(parts)


def _build(subject: x509.Name, issuer: x509.Name, public_key: rsa.RSAPublicKey, signing_key: rsa.RSAPrivateKey,
           start: datetime, end: datetime, *, ca: bool, timestamping: bool = False) -> x509.Certificate:
    issuer_public = signing_key.public_key()
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
    if timestamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(signing_key, hashes.SHA256())


SOFTHSM_MODULES = (Path("/usr/lib/softhsm/libsofthsm2.so"), Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"))


def softhsm_module() -> Path | None:
    """The SoftHSM2 PKCS#11 module if installed (Debian: softhsm2), else None."""
    return next((path for path in SOFTHSM_MODULES if path.is_file()), None)


def softhsm_token(folder: Path, issued: Issued, *, label: str = "procflow", pin: str = "5678",
                  so_pin: str = "12345678") -> dict[str, str]:
    """Make a SoftHSM2 token under ``folder`` holding ``issued``'s key and certificate (label = its name).

    Returns:
        The environment the token needs (``SOFTHSM2_CONF``); set it before the module is first loaded.
    """
    import os
    import subprocess

    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    run = functools.partial(subprocess.run, check=True, capture_output=True, env=env)
    run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin", pin])
    run(["softhsm2-util", "--import", str(issued.key_pem), "--token", label, "--label", issued.name,
         "--id", "01", "--pin", pin])
    os.environ["SOFTHSM2_CONF"] = str(conf)
    module = softhsm_module()
    assert module is not None, "softhsm2 is not installed"
    token = pkcs11.lib(str(module)).get_token(token_label=label)
    with token.open(rw=True, user_pin=pin) as session:
        session.create_object({
            Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True, Attribute.LABEL: issued.name, Attribute.ID: b"\x01",
            Attribute.VALUE: issued.cert.public_bytes(serialization.Encoding.DER),
            Attribute.SUBJECT: issued.cert.subject.public_bytes()})
    return {"SOFTHSM2_CONF": str(conf)}

"""Opening a signing key where the agency keeps it: a PKCS#12 file or a PKCS#11 token / HSM.

Either way the result is a pyHanko ``Signer``; a PKCS#11 session stays open only inside ``open_signer``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from asn1crypto import pem, x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.sign import signers
from pyhanko.sign.general import get_pyca_cryptography_hash

from engine.errors import InvalidState
from engine.i18n import N_
from engine.settings import KeySpec


class KeyUnavailable(InvalidState):
    """The signing key cannot be used now: file or token missing, wrong passphrase or PIN, key not found."""


@contextmanager
def open_signer(spec: KeySpec) -> Iterator[signers.Signer]:
    """Open the key ``spec`` describes and yield a pyHanko signer for it.

    Args:
        spec: where the key lives and its secret.

    Yields:
        A signer whose certificate and chain pyHanko embeds in each signature.

    Raises:
        KeyUnavailable: with a message saying what is wrong (never the secret).
    """
    if spec.kind == "pkcs12":
        yield _pkcs12(spec)
        return
    with _pkcs11(spec) as signer:
        yield signer


def _pkcs12(spec: KeySpec) -> signers.Signer:
    if not spec.path.is_file():
        raise KeyUnavailable(N_("the PKCS#12 file {path} does not exist"), path=spec.path)
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(spec.path), passphrase=spec.secret.encode() or None,
                                                  other_certs=load_certificates(spec.chain))
    except (ValueError, OSError) as exc:
        raise KeyUnavailable(N_("cannot open the PKCS#12 file {path}: wrong passphrase or not a PKCS#12 file ({exc})"),
                             path=spec.path, exc=exc) from exc
    if signer is None:
        raise KeyUnavailable(N_("cannot open the PKCS#12 file {path}: wrong passphrase or not a PKCS#12 file"),
                             path=spec.path)
    return KeptKeySigner(signing_key=signer.signing_key, signing_cert=signer.signing_cert,
                         cert_registry=signer.cert_registry, signature_mechanism=signer.signature_mechanism)


class KeptKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer, parsing its RSA key once instead of for every signature.

    SimpleSigner re-reads the private key from DER on each signature; cryptography >= 46 validates an RSA key
    when it loads it, about 170 ms for RSA 2048, which made PKCS#12 signing slower than a PKCS#11 token.
    """

    _rsa_key: RSAPrivateKey | None = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` (RSA PKCS#1 v1.5 with the key parsed once; anything else as pyHanko does)."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism["algorithm"].native not in ("sha256_rsa", "sha384_rsa", "sha512_rsa", "rsassa_pkcs1v15"):
            return super().sign_raw(data, digest_algorithm)
        if self._rsa_key is None:
            key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            if not isinstance(key, RSAPrivateKey):
                return super().sign_raw(data, digest_algorithm)
            self._rsa_key = key
        return self._rsa_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


@contextmanager
def _pkcs11(spec: KeySpec) -> Iterator[signers.Signer]:
    import pkcs11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    if not spec.path.is_file():
        raise KeyUnavailable(N_("the PKCS#11 module {path} does not exist"), path=spec.path)
    try:
        session = open_pkcs11_session(str(spec.path), token_criteria=TokenCriteria(label=spec.token_label),
                                      user_pin=spec.secret or None)
    except pkcs11.PinIncorrect as exc:
        raise KeyUnavailable(N_("wrong PIN for the token '{token_label}'"), token_label=spec.token_label) from exc
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as exc:
        raise KeyUnavailable(N_("cannot open the token '{token_label}' with {path}: {error}"),
                             token_label=spec.token_label, path=spec.path,
                             error=f"{type(exc).__name__} {exc}".rstrip()) from exc
    try:
        cert = load_certificates([spec.cert_file])[0] if spec.cert_file else None
        signer = PKCS11Signer(session, key_label=spec.key_label, cert_label=spec.cert_label or spec.key_label,
                              signing_cert=cert, ca_chain=load_certificates(spec.chain))
        try:
            signer.signing_cert  # noqa: B018 - loads key and certificate now, so a wrong label fails here
        except Exception as exc:  # python-pkcs11 and pyHanko raise assorted errors for a missing object
            raise KeyUnavailable(N_("no key '{key_label}' with a certificate on the token '{token_label}': {error}"),
                                 key_label=spec.key_label, token_label=spec.token_label,
                                 error=f"{type(exc).__name__} {exc}".rstrip()) from exc
        yield signer
    finally:
        session.close()


def load_certificates(paths: list[Path | None] | tuple[Path, ...]) -> list[x509.Certificate]:
    """Every certificate in the PEM or DER files (or folders of them) named by ``paths``."""
    certs: list[x509.Certificate] = []
    for path in files_in(p for p in paths if p is not None):
        certs.extend(x509.Certificate.load(der) for der in der_blobs(path.read_bytes(), "CERTIFICATE"))
    return certs


def files_in(paths: Iterable[Path]) -> Iterator[Path]:
    """The files named by ``paths``, a folder standing for the files in it."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.iterdir() if p.is_file())
        else:
            yield path


def der_blobs(data: bytes, kind: str) -> list[bytes]:
    """The DER blobs in ``data``: every PEM block whose type contains ``kind``, or ``data`` itself if DER."""
    if pem.detect(data):
        return [der for found, _, der in pem.unarmor(data, multiple=True) if kind in found]
    return [data]

"""The users' certificate registry: which signing certificates are a user's.

A table rather than a configuration file, because certificates change with the people (a new token every two
or three years, a lost one withdrawn) and the history must stay: a document signed in 2025 with a withdrawn
certificate was still signed by its holder. A certificate is known by its SHA-256 fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import x509
from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, no_user
from engine.i18n import N_
from engine.persistence.db import Database
from engine.persistence.models import User
from engine.persistence.signing_models import UserCertificate
from engine.signing.keys import der_blobs


@dataclass(frozen=True)
class SignerIdentity:
    """Who may sign as a user: their username and the fingerprints of their registered certificates."""

    username: str
    fingerprints: frozenset[str]


@dataclass(frozen=True)
class RegisteredCertificate:
    """One row of the registry, as screens and the command line show it."""

    username: str
    fingerprint: str
    subject: str
    serial: str
    issuer: str
    not_after: str
    withdrawn: bool


class CertificateRegistry:
    """Registers users' signing certificates and says whose a certificate is.

    Args:
        db: the database.
        clock: the source of "now" for the registration and withdrawal times.
    """

    def __init__(self, *, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def register(self, username: str, certificate: bytes) -> RegisteredCertificate:
        """Register ``certificate`` (PEM or DER) as ``username``'s.

        Raises:
            InvalidInput: the bytes are not an X.509 certificate.
            NotFound: no such user.
            Conflict: the certificate is already registered for someone else.
        """
        cert = parse_certificate(certificate)
        with self.db.write() as session:
            if session.get(User, username) is None:
                raise no_user(username)
            row = session.get(UserCertificate, cert.sha256.hex())
            if row is not None and row.username != username:
                raise Conflict(N_("the certificate {fingerprint}… is already registered for '{username}'"),
                               fingerprint=row.fingerprint[:16], username=row.username)
            if row is None:
                row = UserCertificate(
                    fingerprint=cert.sha256.hex(), username=username, subject=cert.subject.human_friendly,
                    serial=format(cert.serial_number, "x"), issuer=cert.issuer.human_friendly,
                    not_before=cert.not_valid_before, not_after=cert.not_valid_after,
                    pem=_pem(cert), added_at=self.clock.now())
                session.add(row)
            row.revoked_at = None
            return _view(row)

    def withdraw(self, fingerprint: str) -> None:
        """Stop accepting a certificate for new signatures (lost or replaced token); its history stays."""
        with self.db.write() as session:
            row = session.get(UserCertificate, fingerprint.lower())
            if row is None:
                raise NotFound(N_("no registered certificate {fingerprint}"), fingerprint=fingerprint)
            row.revoked_at = self.clock.now()

    def identity_of(self, username: str) -> SignerIdentity:
        """The certificates ``username`` signs with now (withdrawn ones excluded)."""
        with self.db.read() as session:
            found = session.scalars(select(UserCertificate.fingerprint).where(
                UserCertificate.username == username, UserCertificate.revoked_at.is_(None))).all()
        return SignerIdentity(username, frozenset(found))

    def owner_of(self, fingerprint: str) -> str | None:
        """The user a certificate is registered for (even if withdrawn since), or None."""
        with self.db.read() as session:
            row = session.get(UserCertificate, fingerprint.lower())
            return row.username if row else None

    def certificates_of(self, username: str) -> list[RegisteredCertificate]:
        """Every certificate ever registered for ``username``, newest first."""
        with self.db.read() as session:
            rows = session.scalars(select(UserCertificate).where(UserCertificate.username == username)
                                   .order_by(UserCertificate.added_at.desc())).all()
            return [_view(row) for row in rows]


def parse_certificate(data: bytes) -> x509.Certificate:
    """An X.509 certificate from PEM or DER bytes; InvalidInput for anything else."""
    try:
        blobs = der_blobs(data, "CERTIFICATE")
        cert = x509.Certificate.load(blobs[0])
        cert.native  # noqa: B018 - asn1crypto parses lazily; force it so garbage fails here
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidInput(N_("the file is not an X.509 certificate (PEM or DER)")) from exc
    return cert


def _pem(cert: x509.Certificate) -> str:
    from asn1crypto import pem

    return pem.armor("CERTIFICATE", cert.dump()).decode("ascii")


def _view(row: UserCertificate) -> RegisteredCertificate:
    return RegisteredCertificate(row.username, row.fingerprint, row.subject, row.serial, row.issuer,
                                 row.not_after.date().isoformat(), row.revoked_at is not None)

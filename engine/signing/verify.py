"""Verifying the signatures of a PDF, offline: integrity, the chain to the configured trust roots at the time of
signing, revocation against configured CRL files, and whether later revisions were changes the signature permits.

Each signature gives a plain ``SignatureResult`` a page or an API can show and store (``to_dict``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from asn1crypto import crl, x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule

from engine.errors import InvalidInput
from engine.i18n import N_
from engine.settings import SigningSettings
from engine.signing.keys import der_blobs, files_in, load_certificates
from engine.signing.prepare import AGENCY_FIELD, PERSON_FIELD

log = logging.getLogger(__name__)

# Why a signature is not valid: a code for screens to translate, and the sentence the CLI and the logs show.
PROBLEMS = {
    "not_intact": "the document was changed after this signature (the signed bytes no longer match)",
    "bad_signature": "the signature value does not verify with the signer's certificate",
    "illegal_changes": "the document was changed after this signature in a way the signature does not permit",
    "expired": "the signer's certificate had expired at the time of signing",
    "not_yet_valid": "the signer's certificate was not yet valid at the time of signing",
    "revoked": "the signer's certificate is revoked",
    "untrusted": "the signer's certificate does not chain to a trusted root",
    "no_revocation_info": "the configured CRLs say nothing about the signer's certificate",
    "untrusted_timestamp": "the signature's timestamp is not valid or not trusted",
    "chain_problem": "the signer's certificate chain could not be validated",
}
ROLES = {PERSON_FIELD: "competent_person", AGENCY_FIELD: "agency"}


@dataclass(frozen=True)
class SignatureResult:
    """What one signature says and whether it holds.

    Attributes:
        field: the signature field's name.
        role: ``competent_person``, ``agency``, ``appendix`` or None, from the prepared field it sits in.
        signer_name: the certificate's common name.
        subject: the certificate's full subject.
        serial: the certificate's serial number (hex).
        fingerprint: SHA-256 of the certificate (hex), as the certificate registry stores it.
        issuer: the issuing CA's subject.
        signed_at: the timestamp's time when there is one, else the time the signer claims.
        timestamped: True when an RFC 3161 timestamp vouches for ``signed_at``.
        intact: the signed bytes are unchanged and the signature value verifies.
        trusted: the certificate chains to a trusted root, was valid at ``signed_at`` and is not revoked.
        valid: intact, trusted, and every later change is one the signature permits.
        modifications: what was done after this signature: ``none``, ``signatures``, ``form_filling``,
            ``annotations`` or ``other``.
        problems: codes of what is wrong (keys of PROBLEMS); empty when valid.
    """

    field: str
    role: str | None
    signer_name: str
    subject: str
    serial: str
    fingerprint: str
    issuer: str
    signed_at: datetime | None
    timestamped: bool
    intact: bool
    trusted: bool
    valid: bool
    modifications: str
    problems: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        """The problems as sentences."""
        return [PROBLEMS.get(code, code) for code in self.problems]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times in ISO 8601)."""
        return {"field": self.field, "role": self.role, "signer_name": self.signer_name, "subject": self.subject,
                "serial": self.serial, "fingerprint": self.fingerprint, "issuer": self.issuer,
                "signed_at": self.signed_at.isoformat() if self.signed_at else None,
                "timestamped": self.timestamped, "intact": self.intact, "trusted": self.trusted,
                "valid": self.valid, "modifications": self.modifications, "problems": list(self.problems),
                "reasons": self.reasons}


@dataclass(frozen=True)
class Verifier:
    """Verifies PDF signatures against fixed trust roots and CRLs, never fetching anything from the network.

    Attributes:
        trust_roots: the root certificates a chain must end in.
        intermediates: CA certificates to build chains with when a signature does not embed them.
        crls: certificate revocation lists; when any is given, revocation is checked (hard fail).
        timezone: the zone ``signed_at`` is given in.
    """

    trust_roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()
    timezone: str = "Asia/Ho_Chi_Minh"

    @classmethod
    def from_paths(cls, trust_roots: tuple[Path, ...], *, intermediates: tuple[Path, ...] = (),
                   crls: tuple[Path, ...] = (), timezone: str = "Asia/Ho_Chi_Minh") -> Verifier:
        """A verifier from certificate and CRL files (PEM or DER) or folders of them."""
        lists = tuple(crl.CertificateList.load(der) for path in files_in(crls)
                      for der in der_blobs(path.read_bytes(), "X509 CRL"))
        return cls(tuple(load_certificates(trust_roots)), tuple(load_certificates(intermediates)), lists, timezone)

    @classmethod
    def from_settings(cls, settings: SigningSettings, timezone: str = "Asia/Ho_Chi_Minh") -> Verifier:
        """A verifier from PROCFLOW_TRUST_ROOTS, PROCFLOW_INTERMEDIATE_CERTS and PROCFLOW_CRLS."""
        return cls.from_paths(settings.trust_roots, intermediates=settings.intermediates, crls=settings.crls,
                              timezone=timezone)

    def verify_pdf(self, pdf: bytes) -> list[SignatureResult]:
        """Every signature of ``pdf``, in signing order; an empty list when it has none.

        Raises:
            InvalidInput: the bytes are not a readable PDF.
        """
        if not pdf.lstrip()[:5] == b"%PDF-":
            raise InvalidInput(N_("the file is not a PDF"))
        try:
            reader = PdfFileReader(BytesIO(pdf), strict=False)
            signatures = list(reader.embedded_signatures)
        except (PdfError, ValueError, KeyError) as exc:
            raise InvalidInput(N_("the PDF cannot be read: {exc}"), exc=exc) from exc
        return [self._verify(signature) for signature in signatures]

    def certificate_problems(self, cert: x509.Certificate, others: tuple[x509.Certificate, ...] = (), *,
                             moment: datetime | None = None) -> tuple[str, ...]:
        """What is wrong with ``cert`` as a signer's certificate at ``moment`` (now by default), checked as a PDF
        signer's is: a chain to the trust roots (through the intermediates and ``others``), validity, revocation
        against the configured CRLs, the key usage digital signature. Codes of PROBLEMS; empty when it holds."""
        import asyncio

        from pyhanko_certvalidator import CertificateValidator
        from pyhanko_certvalidator.errors import (
            ExpiredError,
            NotYetValidError,
            PathBuildingError,
            RevokedError,
            ValidationError,
        )

        context = ValidationContext(
            trust_roots=list(self.trust_roots), other_certs=[*self.intermediates, *others], crls=list(self.crls),
            allow_fetching=False, moment=moment or datetime.now(UTC), revinfo_policy=self._revocation_policy())
        validator = CertificateValidator(cert, validation_context=context)
        try:
            asyncio.run(validator.async_validate_usage({"digital_signature"}))
        except RevokedError:
            return ("revoked",)
        except ExpiredError:
            return ("expired",)
        except NotYetValidError:
            return ("not_yet_valid",)
        except PathBuildingError:
            return ("untrusted",)
        except ValidationError as exc:  # another path problem, or a key usage that does not allow signing
            log.info("certificate chain problem: %s", exc)
            return ("chain_problem",)
        return ()

    def _verify(self, signature: EmbeddedPdfSignature) -> SignatureResult:
        claimed = signature.self_reported_timestamp
        status = self._status(signature, claimed or datetime.now(UTC))
        stamped = status.timestamp_validity
        if stamped is not None and stamped.valid and stamped.intact and stamped.trusted:
            # A trusted timestamp fixes the time of signing: validate the certificate at that moment instead.
            status = self._status(signature, stamped.timestamp)
        return self._result(signature, status)

    def _status(self, signature: EmbeddedPdfSignature, moment: datetime) -> PdfSignatureStatus:
        context = ValidationContext(
            trust_roots=list(self.trust_roots), other_certs=list(self.intermediates), crls=list(self.crls),
            allow_fetching=False, moment=moment, revinfo_policy=self._revocation_policy())
        return validate_pdf_signature(signature, context)

    def _revocation_policy(self) -> CertRevTrustPolicy:
        # With CRLs configured, the signer's certificate must be on the record (a CRL of its issuer that does not
        # list it); a CA certificate is checked when it names a CRL. Without CRLs nothing can be checked offline.
        # A CRL issued after the signing time still counts (retroactive): it is the best knowledge we have.
        if self.crls:
            rules = RevocationCheckingPolicy(RevocationCheckingRule.CRL_REQUIRED,
                                             RevocationCheckingRule.CHECK_IF_DECLARED)
        else:
            rules = RevocationCheckingPolicy(RevocationCheckingRule.CHECK_IF_DECLARED_SOFT,
                                             RevocationCheckingRule.CHECK_IF_DECLARED_SOFT)
        return CertRevTrustPolicy(rules, retroactive_revinfo=True)

    def _result(self, signature: EmbeddedPdfSignature, status: PdfSignatureStatus) -> SignatureResult:
        cert = status.signing_cert
        stamped = status.timestamp_validity
        timestamped = bool(stamped is not None and stamped.valid and stamped.trusted)
        signed_at = stamped.timestamp if timestamped and stamped is not None else signature.self_reported_timestamp
        intact = bool(status.intact and status.valid)
        problems = _problems(status)
        name = signature.field_name or ""
        return SignatureResult(
            field=name, role=ROLES.get(name, "appendix" if name.startswith("chu_ky_phu_luc") else None),
            signer_name=_common_name(cert), subject=cert.subject.human_friendly, serial=format(cert.serial_number, "x"),
            fingerprint=cert.sha256.hex(), issuer=cert.issuer.human_friendly,
            signed_at=signed_at.astimezone(ZoneInfo(self.timezone)) if signed_at else None, timestamped=timestamped,
            intact=intact, trusted=bool(status.trusted), valid=not problems, modifications=_modifications(status),
            problems=problems)


def verify_pdf(pdf: bytes, verifier: Verifier) -> list[SignatureResult]:
    """Every signature of ``pdf`` checked by ``verifier``; an empty list for an unsigned PDF."""
    return verifier.verify_pdf(pdf)


def _problems(status: PdfSignatureStatus) -> tuple[str, ...]:
    found = []
    if not status.intact:
        return ("not_intact",)  # nothing else about a broken signature is worth saying
    if not status.valid:
        found.append("bad_signature")
    elif status.docmdp_ok is False or status.modification_level == ModificationLevel.OTHER:
        found.append("illegal_changes")
    if not status.trusted:
        found.append(_trust_problem(status))
    stamped = status.timestamp_validity
    if stamped is not None and not (stamped.valid and stamped.intact and stamped.trusted):
        found.append("untrusted_timestamp")
    return tuple(found)


def _trust_problem(status: PdfSignatureStatus) -> str:
    indication = status.trust_problem_indic
    name = str(getattr(indication, "name", ""))
    if status.revoked or name.startswith("REVOKED"):
        return "revoked"
    if name in ("EXPIRED", "OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED"):
        return "expired" if _expired(status) else "not_yet_valid"
    if name == "NOT_YET_VALID":
        return "not_yet_valid"
    if name == "NO_CERTIFICATE_CHAIN_FOUND":
        return "untrusted"
    if name in ("TRY_LATER", "REVOCATION_OUT_OF_BOUNDS_NO_POE"):
        return "no_revocation_info"
    log.info("signature chain problem %s", name)
    return "chain_problem"


def _expired(status: PdfSignatureStatus) -> bool:
    when = status.signer_reported_dt or datetime.now(UTC)
    return bool(when >= status.signing_cert.not_valid_before)


def _modifications(status: PdfSignatureStatus) -> str:
    level = status.modification_level
    if level is None:
        return "unknown"
    return {ModificationLevel.NONE: "none", ModificationLevel.LTA_UPDATES: "signatures",
            ModificationLevel.FORM_FILLING: "form_filling", ModificationLevel.ANNOTATIONS: "annotations"}.get(
        level, "other")


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.native
    return str(names.get("common_name") or cert.subject.human_friendly)

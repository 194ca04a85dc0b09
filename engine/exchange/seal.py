"""The envelope's signature: the sending agency signs each document package with its agency key (the key its PDFs
are sealed with, a PKCS#12 file or a PKCS#11 token) as an enveloped XML-DSig signature in ``edXMLHeader``; the
receiver checks that the package is unchanged since, that the certificate chains to its trust roots, and (the
service) that it is the certificate the directory pins for the sender.

pyHanko is imported on first use: it is slow to import and most processes never sign a package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from lxml import etree

from engine.errors import InvalidState
from engine.i18n import N_
from engine.inputs.safe_xml import parse_xml
from engine.settings import SigningSettings
from engine.signing.xmldsig import DSIG, sign_enveloped, verify_enveloped

if TYPE_CHECKING:
    from pyhanko.sign.signers import Signer

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
_HEADER = f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader"
_SIGNATURE = f"{_HEADER}/{{{DSIG}}}Signature"


@dataclass(frozen=True)
class EnvelopeCheck:
    """What the envelope's signature of a package says.

    Attributes:
        fingerprint: SHA-256 of the signing certificate (lowercase hex), "" when none could be read.
        subject: the certificate's subject, for people.
        problems: codes of what is wrong — ``malformed``, ``not_intact``, ``bad_signature`` (the bytes), or a
            certificate problem of engine/signing/verify.py's PROBLEMS (``untrusted``, ``expired`` ...); empty: it
            holds.
        detail: what failed, in English (a refusal names it).
    """

    fingerprint: str
    subject: str
    problems: tuple[str, ...] = ()
    detail: str = ""


def seal_package(content: bytes, signer: Signer) -> bytes:
    """The package ``content`` signed by ``signer`` (an earlier envelope signature is replaced)."""
    root = parse_xml(content, name="edXML")
    header = root.find(_HEADER)
    for old in header.findall(f"{{{DSIG}}}Signature"):
        header.remove(old)
    sign_enveloped(root, header, signer)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def check_package(content: bytes, verifier: Any, *, at: datetime | None = None) -> EnvelopeCheck | None:
    """The envelope's signature of ``content`` checked (bytes, then the certificate with ``verifier``, an
    engine.signing.verify.Verifier, at ``at``: now by default); None when the envelope carries none.

    An XML signature carries no trusted time, so the certificate must hold when the package arrives (the real
    time: validity and revocation are facts of the world, not of the engine's clock)."""
    root = parse_xml(content, name="edXML")
    signature = root.find(_SIGNATURE)
    if signature is None:
        return None
    found = verify_enveloped(root, signature)
    cert = found.certificate
    subject = cert.subject.human_friendly if cert is not None else ""
    if found.problem is not None or cert is None:
        return EnvelopeCheck(found.fingerprint, subject, (found.problem or "malformed",), found.detail)
    problems = verifier.certificate_problems(cert, found.others, moment=at)
    return EnvelopeCheck(found.fingerprint, subject, problems)


class AgencySeal:
    """Signs this agency's packages with its agency key and checks the envelopes of received ones against the
    configured trust roots (the PDF signatures' settings: PROCFLOW_AGENCY_P12 / PKCS11_*, PROCFLOW_TRUST_ROOTS,
    PROCFLOW_INTERMEDIATE_CERTS, PROCFLOW_CRLS)."""

    def __init__(self, signing: SigningSettings, timezone: str = "Asia/Ho_Chi_Minh") -> None:
        self.signing = signing
        self.timezone = timezone
        self._verifier: Any = None

    def sign(self, content: bytes) -> bytes:
        """``content`` signed with the agency key.

        Raises:
            InvalidState: no agency key is configured, or it cannot be opened (KeyUnavailable).
        """
        from engine.signing.keys import open_signer

        if self.signing.agency_key is None:
            raise InvalidState(N_("the agency key is not configured (PROCFLOW_AGENCY_P12 or "
                                  "PROCFLOW_AGENCY_PKCS11_MODULE): packages sent to other agencies are signed "
                                  "with it"))
        with open_signer(self.signing.agency_key) as signer:
            return seal_package(content, signer)

    def certificate(self) -> Any:
        """The agency key's certificate (asn1crypto), to give its fingerprint to other agencies.

        Raises:
            InvalidState: no agency key is configured, or it cannot be opened (KeyUnavailable).
        """
        from engine.signing.keys import open_signer

        if self.signing.agency_key is None:
            raise InvalidState(N_("the agency key is not configured (PROCFLOW_AGENCY_P12 or "
                                  "PROCFLOW_AGENCY_PKCS11_MODULE)"))
        with open_signer(self.signing.agency_key) as signer:
            return signer.signing_cert

    def check(self, content: bytes) -> EnvelopeCheck | None:
        """The envelope's signature of a received package checked now; None when unsigned."""
        if self._verifier is None:
            from engine.signing.verify import Verifier

            self._verifier = Verifier.from_settings(self.signing, self.timezone)
        return check_package(content, self._verifier)

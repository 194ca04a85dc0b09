"""Signing an outgoing document in its procedure: the competent person (with their server-side key, or by
uploading a PDF they signed elsewhere, which must carry their valid signature), then the clerical office (the
number and date filled in, the agency's signature, only over a valid signature of the competent person).

Pure bytes in, bytes out: the caller stores the results (engine/documents/extension.py).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.documents.keys import PersonKey
from engine.documents.store import PDF
from engine.errors import InvalidInput, InvalidState
from engine.i18n import N_
from engine.persistence.signing_models import UserCertificate
from engine.settings import SigningSettings
from engine.signing.places import Place

# pyHanko logs every failed path building with a traceback; the results already say why.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="DSA is deprecated")
    from engine.signing import keys as signing_keys
    from engine.signing import prepare, rules, sign
    from engine.signing.registry import SignerIdentity
    from engine.signing.verify import SignatureResult, Verifier

__all__ = ["PDF", "DocumentSigner", "identity_of"]
A4_HEIGHT = 841.89


@dataclass
class DocumentSigner:
    """The agency's signing configuration, with the people's server-side keys.

    Args:
        settings: the agency key, seal, trust roots (``Settings.signing``).
        person_keys: username -> key and signature image (engine/documents/keys.py).
        timezone: where signing times and dates are written.
    """

    settings: SigningSettings
    person_keys: dict[str, PersonKey] = field(default_factory=dict)
    timezone: str = "Asia/Ho_Chi_Minh"

    def __post_init__(self) -> None:
        self.verifier = Verifier.from_settings(self.settings, self.timezone)
        self.options = sign.SigningOptions(font=self.settings.font, timezone=self.timezone,
                                           tsa_url=self.settings.tsa_url, location=self.settings.place)

    def verify(self, pdf: bytes) -> list[dict[str, Any]]:
        """Each signature of ``pdf`` as stored with the file (``SignatureResult.to_dict()``)."""
        return [r.to_dict() for r in self.verifier.verify_pdf(pdf)]

    def has_key(self, username: str) -> bool:
        """Whether ``username`` has a server-side key."""
        return username in self.person_keys

    def sign_as_person(self, pdf: bytes, username: str, *, reason: str = "") -> bytes:
        """Prepare ``pdf`` (when not prepared yet) and sign it with ``username``'s configured key.

        Raises:
            InvalidInput: not a PDF, already signed, or no key configured for the person.
        """
        key = self.person_keys.get(username)
        if key is None:
            raise InvalidInput(N_("no signing key is configured for '{username}' in procflow: sign the PDF with "
                                  "your token and upload it"), username=username)
        require_pdf(pdf)
        prepared = pdf if is_prepared(pdf) else prepare.prepare_document(pdf, default_layout(pdf))
        with signing_keys.open_signer(key.spec) as signer:
            return sign.sign_as_person(prepared, signer, image=key.image.read_bytes(), reason=reason,
                                       options=self.options)

    def require_person(self, pdf: bytes, identity: SignerIdentity) -> SignatureResult:
        """The rule of the signing step: ``pdf`` carries a valid signature by ``identity`` (rules.py)."""
        require_pdf(pdf)
        return rules.require_signed_by(pdf, identity, verifier=self.verifier)

    def issue(self, pdf: bytes, *, number: str, date_line: str, when: datetime) -> bytes:
        """Fill the number and date and apply the agency's signature, over a valid competent person's signature.

        Raises:
            InvalidInput: the competent person's signature is missing or does not verify, or the document was
                not prepared (no number and date fields).
            InvalidState: no agency key or seal is configured.
        """
        if self.settings.agency_key is None or self.settings.agency_seal is None:
            raise InvalidState(N_("the agency's signing key and seal are not configured (PROCFLOW_AGENCY_P12 or "
                                  "PROCFLOW_AGENCY_PKCS11_*, PROCFLOW_AGENCY_SEAL)"))
        results = self.verifier.verify_pdf(pdf)
        person = [r for r in results if r.field == prepare.PERSON_FIELD]
        if not person:
            raise InvalidInput(N_("the document carries no signature of the competent person; the agency signs "
                                  "only documents the competent person has signed"))
        if not person[-1].valid:
            raise InvalidInput(N_("the competent person's signature does not verify ({reasons}); the agency does "
                                  "not sign"), reasons="; ".join(person[-1].reasons))
        filled = sign.fill_fields(pdf, {prepare.NUMBER_FIELD: number, prepare.DATE_FIELD: date_line},
                                  options=self.options)
        with signing_keys.open_signer(self.settings.agency_key) as signer:
            return sign.sign_as_agency(filled, signer, seal=self.settings.agency_seal,
                                       agency_name=self.settings.agency_name, options=self.options, when=when)

    def date_line(self, when: datetime) -> str:
        """"Hà Giang, ngày 05 tháng 3 năm 2026": the place and the date as Decree 30 writes them."""
        local = when.astimezone(ZoneInfo(self.timezone))
        day = f"ngày {local.day:02d} tháng {local.month if local.month > 2 else f'{local.month:02d}'} năm {local.year}"
        return f"{self.settings.place}, {day}" if self.settings.place else day.capitalize()


def identity_of(conn: Connection, username: str) -> SignerIdentity:
    """The certificates ``username`` signs with now, read in the caller's transaction."""
    found = conn.execute(select(UserCertificate.fingerprint).where(
        UserCertificate.username == username, UserCertificate.revoked_at.is_(None))).scalars().all()
    return SignerIdentity(username, frozenset(found))


def require_pdf(content: bytes) -> None:
    """Refuse anything but a PDF for signing (drafts may be DOCX or ODT; the version to sign may not)."""
    if not content.startswith(b"%PDF-"):
        raise InvalidInput(N_("the version to sign must be a PDF (drafts may be DOCX or ODT; export the final "
                              "version to PDF)"))


def is_prepared(pdf: bytes) -> bool:
    """Whether ``pdf`` already has the prepared fields (the competent person's signature field)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        return any(name == prepare.PERSON_FIELD for name, _, _ in enumerate_sig_fields(reader))
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many kinds on broken files
        raise InvalidInput(N_("the file is not a readable PDF")) from exc


def default_layout(pdf: bytes) -> prepare.DocumentLayout:
    """Where the fields go on a document without a layout of its own: Decree 30's A4 places (number under the
    agency's name, date under the motto on the first page; the signature above the signer's name, right, on the
    last page)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        pages = int(PdfFileReader(BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
    except Exception as exc:  # noqa: BLE001
        raise InvalidInput(N_("the file is not a readable PDF")) from exc
    return prepare.DocumentLayout(number=_place(0, 76, 110, 180, 18), date=_place(0, 290, 110, 262, 18),
                                  signing_place=_place(max(pages - 1, 0), 350, A4_HEIGHT - 210, 160, 80))


def _place(page: int, left: float, top: float, width: float, height: float) -> Place:
    return Place(page, (left, A4_HEIGHT - top - height, left + width, A4_HEIGHT - top))

"""The signing sequence of an outgoing document, each step an incremental update the earlier ones permit.

1. ``sign_as_person``: the competent person's visible signature (their signature image) certifies the
   document at DocMDP level 2: later revisions may fill form fields and sign, nothing else.
2. ``fill_fields``: the clerk's number and date go into the prepared text fields (form filling).
3. ``sign_as_agency``: the agency's signature with its seal over the left third of the person's signature.
4. ``sign_appendix``: one agency signature without image at the top right of each appendix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.stamp import BaseStampStyle, TextStamp

from engine.errors import InvalidInput, InvalidState
from engine.i18n import N_
from engine.signing import appearance
from engine.signing.prepare import AGENCY_FIELD, APPENDIX_FIELD, PERSON_FIELD, open_writer


@dataclass(frozen=True)
class SigningOptions:
    """What every signature of an agency shares.

    Attributes:
        font: the TrueType font of texts in appearances; None: Liberation Serif or DejaVu Serif (fonts.py).
        timezone: the zone the signing time is shown in (Vietnam time: +07:00).
        tsa_url: an RFC 3161 time-stamping authority; empty for none.
        location: the place of signing recorded in the signature.
    """

    font: Path | None = None
    timezone: str = "Asia/Ho_Chi_Minh"
    tsa_url: str = ""
    location: str = ""

    def timestamper(self) -> object | None:
        """The pyHanko time stamper for ``tsa_url``, or None without one."""
        if not self.tsa_url:
            return None
        from pyhanko.sign.timestamps import HTTPTimeStamper

        return HTTPTimeStamper(self.tsa_url)


def sign_as_person(pdf: bytes, signer: signers.Signer, *, image: bytes | Path, reason: str = "",
                   options: SigningOptions = SigningOptions()) -> bytes:  # noqa: B008 - frozen, never written
    """Apply the competent person's visible, certifying signature in the prepared field.

    Args:
        pdf: a document made by ``prepare.prepare_document`` and not signed yet.
        signer: the person's key (``keys.open_signer``).
        image: their handwritten signature, a transparent PNG.
        reason: the signature's stated reason (e.g. the person's title).
        options: font, time zone, time-stamping authority.

    Returns:
        The signed PDF.
    """
    writer = open_writer(pdf)
    if writer.prev.embedded_signatures:
        raise InvalidState(N_("the document already carries a signature: the competent person signs first"))
    _require_field(writer, PERSON_FIELD)
    meta = signers.PdfSignatureMetadata(
        field_name=PERSON_FIELD, certify=True, docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        subfilter=fields.SigSeedSubFilter.PADES, reason=reason or None, location=options.location or None)
    return _sign(writer, signer, meta, appearance.person_style(image), {}, options)


def fill_fields(pdf: bytes, values: dict[str, str], *, options: SigningOptions = SigningOptions()) -> bytes:  # noqa: B008
    """Fill prepared text fields (the number and the date) in an incremental update a DocMDP-2 signature permits.

    Args:
        pdf: the document, usually already signed by the competent person.
        values: field name -> text (e.g. ``{"so_ky_hieu": "Số: 12/QĐ-UBND"}``).
        options: the font the text is set in.

    Returns:
        The PDF with the values and their appearances added.
    """
    writer = open_writer(pdf)
    for name, value in values.items():
        widget = _require_field(writer, name, kind="/Tx")
        x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
        stamp = TextStamp(writer, appearance.field_text_style(options.font),
                          box=BoxConstraints(width=x2 - x1, height=y2 - y1), text_params={"value": value})
        widget[pdf_name("/V")] = pdf_string(value)
        widget[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): writer.add_object(
            stamp.as_form_xobject())})
        writer.update_container(widget)
    return _write(writer)


def sign_as_agency(pdf: bytes, signer: signers.Signer, *, seal: bytes | Path, agency_name: str,
                   options: SigningOptions = SigningOptions(), when: datetime | None = None) -> bytes:  # noqa: B008
    """Apply the agency's signature: its seal over the left third of the person's signature, with its name and
    the signing time in ISO 8601 (Vietnam time).

    Raises:
        InvalidState: the competent person has not signed yet.
    """
    writer = open_writer(pdf)
    _require_signed(writer, PERSON_FIELD, "the agency signs only after the competent person has signed")
    when_text = appearance.signing_time_text(when or datetime.now(UTC), options.timezone)
    meta = signers.PdfSignatureMetadata(
        field_name=AGENCY_FIELD, subfilter=fields.SigSeedSubFilter.PADES, name=agency_name or None,
        reason=f"{agency_name} {when_text}".strip(), location=options.location or None)
    return _sign(writer, signer, meta, appearance.seal_style(seal, options.font),
                 {"agency": agency_name, "when": when_text}, options)


def sign_appendix(pdf: bytes, signer: signers.Signer, *, appendix: int, number: str, agency_name: str,
                  options: SigningOptions = SigningOptions(), when: datetime | None = None) -> bytes:  # noqa: B008
    """Sign appendix ``appendix`` (from 1) at the top right of its first page: number and notation of the main
    document, signing time and agency name, in Liberation Serif 10 pt blue, no image.
    """
    writer = open_writer(pdf)
    _require_signed(writer, PERSON_FIELD, "the agency signs appendices only after the competent person has signed")
    name = APPENDIX_FIELD.format(n=appendix)
    when_text = appearance.signing_time_text(when or datetime.now(UTC), options.timezone)
    meta = signers.PdfSignatureMetadata(
        field_name=name, subfilter=fields.SigSeedSubFilter.PADES, name=agency_name or None,
        reason=f"{number} {agency_name} {when_text}".strip(), location=options.location or None)
    return _sign(writer, signer, meta, appearance.appendix_style(options.font),
                 {"number": number, "when": when_text, "agency": agency_name}, options)


def _sign(writer: IncrementalPdfFileWriter, signer: signers.Signer, meta: signers.PdfSignatureMetadata,
          style: BaseStampStyle, text: dict[str, str], options: SigningOptions) -> bytes:
    _require_field(writer, meta.field_name or "", kind="/Sig", empty=True)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                   timestamper=options.timestamper())  # type: ignore[arg-type]
    out = BytesIO()
    try:
        pdf_signer.sign_pdf(writer, existing_fields_only=True, appearance_text_params=text, output=out)
    except SigningError as exc:
        raise InvalidState(N_("the document cannot be signed: {exc}"), exc=exc) from exc
    return out.getvalue()


def _fields(writer: IncrementalPdfFileWriter) -> dict[str, generic.DictionaryObject]:
    form = writer.root.get("/AcroForm")
    found: dict[str, generic.DictionaryObject] = {}
    if form is None:
        return found
    for ref in form.get_object().get("/Fields", []):
        obj = ref.get_object()
        found[str(obj.get("/T", ""))] = obj
    return found


def _require_field(writer: IncrementalPdfFileWriter, name: str, *, kind: str = "/Sig",
                   empty: bool = False) -> generic.DictionaryObject:
    found = _fields(writer).get(name)
    if found is None or found.get("/FT") != kind:
        raise InvalidInput(N_("the document has no prepared field '{name}' (prepare it before signing)"), name=name)
    if empty and "/V" in found:
        raise InvalidState(N_("the field '{name}' is already signed"), name=name)
    return found


def _require_signed(writer: IncrementalPdfFileWriter, name: str, message: str) -> None:
    found = _fields(writer).get(name)
    if found is None or "/V" not in found:
        raise InvalidState(message)


def _write(writer: IncrementalPdfFileWriter) -> bytes:
    out = BytesIO()
    writer.write(out)
    return out.getvalue()

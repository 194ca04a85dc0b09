"""Preparing an outgoing document before anyone signs: every field that will be written later is created now.

The competent person's signature certifies the document at DocMDP level 2 ("fill in forms and sign"). At that
level a later revision may fill existing form fields and sign existing signature fields, but may not add new
visible fields (pyHanko and Acrobat both flag that). So the number and date text fields, the agency's seal
field (over the left third of the person's signature) and one field per appendix are all made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import SigFieldSpec, append_signature_field

from engine.errors import InvalidInput
from engine.i18n import N_
from engine.signing.places import Place

NUMBER_FIELD = "so_ky_hieu"
DATE_FIELD = "ngay_ban_hanh"
PERSON_FIELD = "chu_ky_nguoi_co_tham_quyen"
AGENCY_FIELD = "chu_ky_co_quan"
APPENDIX_FIELD = "chu_ky_phu_luc_{n}"
SEAL_SIZE = (110.0, 110.0)  # a 38 mm round seal, in points
APPENDIX_BOX = (230.0, 48.0)  # room for three lines of 10 pt text
APPENDIX_MARGIN = 28.0


@dataclass(frozen=True)
class DocumentLayout:
    """Where the prepared fields of an outgoing document go.

    Attributes:
        number: the place of the number and notation ("Số: 12/QĐ-UBND").
        date: the place of the place-and-date line ("Hà Giang, ngày 05 tháng 3 năm 2025").
        signing_place: the competent person's signature image.
        appendix_first_pages: the first page (from 0) of each appendix attached in the same file.
        seal_size: the agency seal's real size in points (width, height).
    """

    number: Place
    date: Place
    signing_place: Place
    appendix_first_pages: tuple[int, ...] = ()
    seal_size: tuple[float, float] = SEAL_SIZE

    def agency_place(self) -> Place:
        """The seal's place: its right edge a third into the person's signature, vertically centred on it."""
        person = self.signing_place
        right = person.box[0] + person.width / 3
        middle = (person.box[1] + person.box[3]) / 2
        width, height = self.seal_size
        return Place(person.page, (right - width, middle - height / 2, right, middle + height / 2))


def prepare_document(pdf: bytes, layout: DocumentLayout) -> bytes:
    """Add the number and date text fields and every signature field to an unsigned PDF.

    Args:
        pdf: the unsigned document (main text and any appendices in one file).
        layout: where the fields go.

    Returns:
        The PDF with the fields added as an incremental update.

    Raises:
        InvalidInput: the file is not a readable PDF, is already signed, or a place is off the document.
    """
    writer = open_writer(pdf)
    if writer.prev.embedded_signatures:
        raise InvalidInput(N_("the document is already signed; prepare it before the first signature"))
    pages = int(writer.root["/Pages"]["/Count"])
    places = [layout.number, layout.date, layout.signing_place, *[Place(p, (0, 0, 1, 1))
                                                                   for p in layout.appendix_first_pages]]
    for place in places:
        if place.page >= pages:
            raise InvalidInput(N_("page {value} does not exist: the document has {pages} page(s)"),
                               value=place.page + 1, pages=pages)
    _add_text_field(writer, NUMBER_FIELD, layout.number)
    _add_text_field(writer, DATE_FIELD, layout.date)
    append_signature_field(writer, SigFieldSpec(PERSON_FIELD, on_page=layout.signing_place.page,
                                                box=layout.signing_place.int_box()))
    append_signature_field(writer, SigFieldSpec(AGENCY_FIELD, on_page=layout.signing_place.page,
                                                box=layout.agency_place().int_box()))
    for n, page in enumerate(layout.appendix_first_pages, start=1):
        append_signature_field(writer, SigFieldSpec(APPENDIX_FIELD.format(n=n), on_page=page,
                                                    box=appendix_place(writer, page).int_box()))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def appendix_place(writer: IncrementalPdfFileWriter, page: int) -> Place:
    """The top right corner of ``page``, where the agency's appendix signature goes."""
    node = writer.find_page_for_modification(page)[0].get_object()
    while "/MediaBox" not in node:  # inherited from the page tree
        node = node["/Parent"].get_object()
    x1, y1, x2, y2 = (float(v) for v in node["/MediaBox"])
    width, height = APPENDIX_BOX
    return Place(page, (x2 - APPENDIX_MARGIN - width, y2 - APPENDIX_MARGIN - height, x2 - APPENDIX_MARGIN,
                        y2 - APPENDIX_MARGIN))


def open_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    """An incremental writer over ``pdf``; a clear InvalidInput when the bytes are not a readable PDF."""
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise InvalidInput(N_("the file is not a PDF"))
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError) as exc:
        raise InvalidInput(N_("the PDF cannot be read: {exc}"), exc=exc) from exc


def _add_text_field(writer: IncrementalPdfFileWriter, name: str, place: Place) -> None:
    page_ref = writer.find_page_for_modification(place.page)[0]
    widget = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Annot"),
        pdf_name("/Subtype"): pdf_name("/Widget"),
        pdf_name("/FT"): pdf_name("/Tx"),
        pdf_name("/T"): pdf_string(name),
        pdf_name("/F"): generic.NumberObject(4),  # print
        pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in place.box),
        pdf_name("/P"): page_ref,
        pdf_name("/DA"): pdf_string("/Helv 0 Tf 0 g"),
        pdf_name("/V"): pdf_string(""),
    })
    field_ref = writer.add_object(widget)
    page = page_ref.get_object()
    annots = page.get("/Annots")
    if annots is None:
        page[pdf_name("/Annots")] = generic.ArrayObject([field_ref])
    else:
        annots.get_object().append(field_ref)
        if isinstance(annots, generic.IndirectObject):
            writer.mark_update(annots)
    writer.update_container(page)
    _acroform(writer)["/Fields"].append(field_ref)


def _acroform(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    root = writer.root
    form = root.get("/AcroForm")
    if form is None:
        form = generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        root[pdf_name("/AcroForm")] = writer.add_object(form)
        writer.update_root()
        form = root["/AcroForm"]
    form = form.get_object()
    if "/DR" not in form:
        helvetica = generic.DictionaryObject({
            pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"), pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding")})
        form[pdf_name("/DR")] = generic.DictionaryObject({
            pdf_name("/Font"): generic.DictionaryObject({pdf_name("/Helv"): writer.add_object(helvetica)})})
        form[pdf_name("/DA")] = pdf_string("/Helv 0 Tf 0 g")
    writer.update_container(form)
    return form

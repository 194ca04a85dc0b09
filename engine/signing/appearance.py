"""How signatures and filled fields look: the signer's image, the agency's seal with its caption, the
appendix text (Times New Roman-compatible Liberation Serif, 10 pt, upright, blue) and filled-in text.

Text is set in an embedded, subset OpenType font so that Vietnamese renders in every viewer.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from engine.errors import InvalidInput
from engine.i18n import N_
from engine.signing.fonts import em1000_copy, serif_font

BLUE = (0.0, 0.0, 1.0)
BLACK = (0.0, 0.0, 0.0)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def signing_time_text(moment: datetime, zone: str = "Asia/Ho_Chi_Minh") -> str:
    """The signing time as Decree 30 wants it shown: ISO 8601 in Vietnam time, e.g. 2025-03-05T09:12:33+07:00."""
    return moment.astimezone(ZoneInfo(zone)).replace(microsecond=0).isoformat()


def font_factory(font: Path | None, size: int = 10) -> GlyphAccumulatorFactory:
    """An embedded-font factory for ``font`` (None: the serif font that covers Vietnamese)."""
    return GlyphAccumulatorFactory(str(em1000_copy(serif_font(font))), font_size=size)


def load_image(png: bytes | Path) -> PdfImage:
    """A PNG (with its transparency) ready to draw in an appearance; a clear error for anything else."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        opened = Image.open(BytesIO(png) if isinstance(png, bytes) else png)
        opened.load()
    except (OSError, UnidentifiedImageError) as exc:
        raise InvalidInput(N_("the signature image is not a readable PNG: {exc}"), exc=exc) from exc
    return PdfImage(opened if opened.mode == "RGBA" else opened.convert("RGBA"))


def _text(font: Path | None, size: int, color: tuple[float, float, float]) -> TextBoxStyle:
    # pyHanko pads text boxes by 10 pt on every side by default: far too much for a one-line field.
    return TextBoxStyle(font=font_factory(font, size), font_size=size, text_color=color,
                        box_layout_rule=layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MIN,
                                                                   y_align=layout.AxisAlignment.ALIGN_MIN,
                                                                   margins=layout.Margins.uniform(0)))


def person_style(image: bytes | Path) -> TextStampStyle:
    """The competent person's appearance: their signature image filling the box, no text, no border."""
    return TextStampStyle(
        stamp_text="", border_width=0, background=load_image(image), background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MID,
                                                     y_align=layout.AxisAlignment.ALIGN_MID,
                                                     inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT))


def seal_style(seal: bytes | Path, font: Path | None = None) -> TextStampStyle:
    """The agency's appearance: the seal image with a small caption (agency name, ISO 8601 time) at its foot."""
    return TextStampStyle(
        stamp_text="%(agency)s\n%(when)s", border_width=0, background=load_image(seal), background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MID,
                                                     y_align=layout.AxisAlignment.ALIGN_MID,
                                                     inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT),
        text_box_style=_text(font, 6, BLUE),
        inner_content_layout=layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MID,
                                                        y_align=layout.AxisAlignment.ALIGN_MIN,
                                                        margins=layout.Margins(1, 1, 1, 1)))


def appendix_style(font: Path | None = None) -> TextStampStyle:
    """The appendix signature: no image; number and notation, time and agency in Liberation Serif 10 pt blue."""
    return TextStampStyle(
        stamp_text="%(number)s\n%(when)s\n%(agency)s", border_width=0,
        text_box_style=_text(font, 10, BLUE),
        inner_content_layout=layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MAX,
                                                        y_align=layout.AxisAlignment.ALIGN_MAX,
                                                        margins=layout.Margins(2, 2, 2, 2)))


def field_text_style(font: Path | None = None, size: int = 13) -> TextStampStyle:
    """A filled-in text field (number, date): black text in the document's serif font, left aligned."""
    return TextStampStyle(
        stamp_text="%(value)s", border_width=0,
        text_box_style=_text(font, size, BLACK),
        inner_content_layout=layout.SimpleBoxLayoutRule(x_align=layout.AxisAlignment.ALIGN_MIN,
                                                        y_align=layout.AxisAlignment.ALIGN_MID,
                                                        margins=layout.Margins(2, 2, 1, 1),
                                                        inner_content_scaling=layout.InnerScaling.NO_SCALING))

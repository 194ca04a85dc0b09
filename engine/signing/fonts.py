"""The serif font of signature texts: Times New Roman-compatible Liberation Serif when it covers Vietnamese.

fonts-liberation 1.07 (Debian's ``fonts-liberation``) has no precomposed Vietnamese letters (ề, ộ, ự ...) and
no combining marks, so it cannot set "Ủy ban nhân dân". Liberation Serif 2.x (``fonts-liberation2``) can; DejaVu
Serif (``fonts-dejavu-core``) is the fallback. Tinos, Liberation Serif's metric twin with full Vietnamese coverage,
comes with ``make setup`` (the npm package ``@expo-google-fonts/tinos`` ships its TrueType files), so a fresh
clone sets Times-compatible text even without Debian's fonts. PROCFLOW_SIGNING_FONT overrides the choice.

pyHanko writes glyph widths in font units, but PDF wants thousandths of an em: a TrueType font with 2048 units
per em (Liberation, DejaVu) comes out letter-spaced. ``em1000_copy`` rescales a copy of the font to 1000 units
per em once, which makes pyHanko's widths right.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
from pathlib import Path

from engine.errors import InvalidInput
from engine.i18n import N_

# Letters every Vietnamese text needs and fonts-liberation 1.07 lacks.
VIETNAMESE_PROBE = "ỦềệộựạếịđăơưẠ"
# Installed by `make setup` (npm ci) beside the code: <project>/node_modules/@expo-google-fonts/tinos/.
_TINOS = Path(__file__).resolve().parents[2] / "node_modules" / "@expo-google-fonts" / "tinos"
SERIF_CANDIDATES = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    _TINOS / "400Regular" / "Tinos_400Regular.ttf",
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
)
BOLD_CANDIDATES = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf"),
    _TINOS / "700Bold" / "Tinos_700Bold.ttf",
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"),
)


def serif_font(preferred: Path | None = None, *, bold: bool = False) -> Path:
    """The first serif font (``preferred`` first) that can set Vietnamese.

    Raises:
        InvalidInput: no installed font covers Vietnamese (install fonts-liberation2 or fonts-dejavu-core).
    """
    candidates = ((preferred,) if preferred else ()) + (BOLD_CANDIDATES if bold else SERIF_CANDIDATES)
    for path in candidates:
        if covers_vietnamese(path):
            return path
    raise InvalidInput(N_("no installed serif font covers Vietnamese: install fonts-liberation2 or "
                       "fonts-dejavu-core, or set PROCFLOW_SIGNING_FONT"))


@functools.cache
def covers_vietnamese(path: Path) -> bool:
    """True when the font file exists and has a glyph for every probe letter."""
    if not path.is_file():
        return False
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(path), lazy=True).getBestCmap()
    return all(ord(letter) in cmap for letter in VIETNAMESE_PROBE)


@functools.cache
def em1000_copy(path: Path) -> Path:
    """A copy of the font rescaled to 1000 units per em (cached in the temp folder), or ``path`` if it already is."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(str(path))
    if font["head"].unitsPerEm == 1000:
        return path
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "procflow-fonts" / f"{path.stem}-{digest}-em1000.ttf"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        scale_upem(font, 1000)
        partial = target.with_suffix(f".{hashlib.sha256(str(id(font)).encode()).hexdigest()[:8]}.part")
        font.save(str(partial))
        partial.replace(target)  # atomic, so two processes never read half a font
    return target

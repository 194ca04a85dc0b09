"""The serif font of signature texts and printed registers: Times-compatible and able to set Vietnamese."""

from pathlib import Path

import pytest

from engine.signing import fonts


def test_make_setup_installs_a_times_compatible_font_that_sets_vietnamese():
    # npm ci (make setup) brings Tinos; a fresh clone prints Vietnamese in a Times-compatible face without
    # Debian's fonts-liberation2.
    regular = fonts._TINOS / "400Regular" / "Tinos_400Regular.ttf"
    bold = fonts._TINOS / "700Bold" / "Tinos_700Bold.ttf"
    assert fonts.covers_vietnamese(regular) and fonts.covers_vietnamese(bold)
    assert regular in fonts.SERIF_CANDIDATES and bold in fonts.BOLD_CANDIDATES


def test_the_chosen_font_is_times_compatible_when_any_is_installed():
    chosen = fonts.serif_font()
    assert chosen.name.startswith(("LiberationSerif", "Tinos")), chosen


def test_a_preferred_font_without_vietnamese_is_passed_over(tmp_path):
    assert fonts.serif_font(tmp_path / "missing.ttf") != tmp_path / "missing.ttf"


def test_rescaled_copy_has_a_thousand_units_per_em():
    from fontTools.ttLib import TTFont

    copy = fonts.em1000_copy(fonts.serif_font())
    assert TTFont(str(copy))["head"].unitsPerEm == 1000
    assert isinstance(copy, Path)


@pytest.mark.parametrize("bold", [False, True])
def test_no_font_at_all_is_a_clear_error(monkeypatch, tmp_path, bold):
    monkeypatch.setattr(fonts, "SERIF_CANDIDATES", (tmp_path / "a.ttf",))
    monkeypatch.setattr(fonts, "BOLD_CANDIDATES", (tmp_path / "b.ttf",))
    with pytest.raises(fonts.InvalidInput, match="Vietnamese"):
        fonts.serif_font(bold=bold)

"""Where something goes on a PDF page: a page index and a box in PDF points (origin at the bottom left)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import InvalidInput
from engine.i18n import N_


@dataclass(frozen=True)
class Place:
    """A box on a page: ``page`` counts from 0; ``box`` is (x1, y1, x2, y2) in points, origin bottom left."""

    page: int
    box: tuple[float, float, float, float]

    def __post_init__(self) -> None:
        x1, y1, x2, y2 = self.box
        if self.page < 0 or x2 <= x1 or y2 <= y1:
            raise InvalidInput(N_("not a usable place: page {page}, box {box}"), page=self.page, box=self.box)

    @property
    def width(self) -> float:
        """Width of the box in points."""
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        """Height of the box in points."""
        return self.box[3] - self.box[1]

    def int_box(self) -> tuple[int, int, int, int]:
        """The box rounded to whole points, as pyHanko's field specifications want it."""
        x1, y1, x2, y2 = self.box
        return round(x1), round(y1), round(x2), round(y2)

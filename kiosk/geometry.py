"""Screen geometry as plain numbers (no Kivy): the layout for an aspect ratio, the layout unit, text sizes
from a physical minimum, and how chips are split into rows.

Text sizes: a label's capital letters are about 0.71 of its font size (Roboto, Kivy's font). Given the
panel's diagonal, a cap height in millimetres becomes pixels; the smallest shopper text (the hint) is at
least ``min_text_mm`` tall and the question ``QUESTION_TO_HINT`` times that. Measured on a 7" 800×480 panel
(issue 12): a 3.5 mm hint was unreadable at 2 m and 7 mm capitals read at 1-1.5 m, so the defaults are a
6 mm hint and a 9 mm question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CAP_HEIGHT_EM = 0.71
QUESTION_TO_HINT = 1.5
LARGE_TEXT = 1.35  # [ui] large_text multiplies every physical minimum by this
DEFAULT_PX_PER_MM = math.hypot(800, 480) / (7 * 25.4)  # the official 7" panel: 5.25 px/mm


@dataclass(frozen=True, slots=True)
class Geometry:
    layout: str  # "landscape", "portrait" or "square"
    unit: float  # a layout unit in px that scales with the window
    text_px: float  # the smallest shopper text's font size in px (the hint)
    question_px: float
    text_share: float  # the part of the height above the faces (question, hint, logo)


def layout_for(size: tuple[float, float]) -> str:
    w, h = size
    ratio = w / max(h, 1.0)
    if ratio >= 1.25:
        return "landscape"
    if ratio <= 0.8:
        return "portrait"
    return "square"


def px_per_mm(size: tuple[float, float], diagonal_in: float | None) -> float:
    """Pixel density of the panel; without a diagonal in the config, the 7" panel's (5.25 px/mm)."""
    if diagonal_in is None:
        return DEFAULT_PX_PER_MM
    return math.hypot(*size) / (diagonal_in * 25.4)


def geometry(
    size: tuple[float, float],
    *,
    diagonal_in: float | None,
    min_text_mm: float,
    large_text: bool = False,
    has_logo: bool = False,
) -> Geometry:
    w, h = size
    layout = layout_for(size)
    if layout == "landscape":
        unit, share = min(w / 14, h / 9), 0.38
    elif layout == "portrait":
        unit, share = min(w / 10, h / 16), 0.45  # faces large, below 60 % of the height (a seated reach)
    else:
        unit, share = min(w / 12, h / 12), 0.40
    unit = max(8.0, unit)
    scale = LARGE_TEXT if large_text else 1.0
    # more room above the faces for larger text and for a logo
    share = min(0.52, share + (0.06 if large_text else 0.0) + (0.08 if has_logo else 0.0))
    floor = min_text_mm * scale * px_per_mm(size, diagonal_in) / CAP_HEIGHT_EM
    text_px = max(unit * 0.5 * scale, floor)
    question_px = max(unit * 0.95 * scale, floor * QUESTION_TO_HINT)
    return Geometry(layout=layout, unit=unit, text_px=text_px, question_px=question_px, text_share=share)


def cap_height_mm(font_px: float, size: tuple[float, float], diagonal_in: float | None) -> float:
    """How tall a capital letter of a ``font_px`` label is on the glass."""
    return font_px * CAP_HEIGHT_EM / px_per_mm(size, diagonal_in)


def chip_rows(n: int, *, max_cols: int) -> list[int]:
    """How many chips go in each row: as few rows as ``max_cols`` allows, balanced, so no row has a gap
    (5 chips in 3 columns: 3 + 2, each row centred; never a 3×2 grid with an empty cell)."""
    if n <= 0:
        return []
    rows = math.ceil(n / max_cols)
    base, extra = divmod(n, rows)
    return [base + 1 if i < extra else base for i in range(rows)]


def face_rows(n: int, *, layout: str) -> list[int]:
    """Faces per row: one row, except in portrait with 4 or 5 faces: two rows (2 + 2, 3 + 2), so each face
    is about twice as large, in the lower half of the screen and within a seated shopper's reach."""
    if layout == "portrait" and n >= 4:
        return chip_rows(n, max_cols=math.ceil(n / 2))
    return [n]

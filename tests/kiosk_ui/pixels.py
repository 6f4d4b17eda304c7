"""Reading screenshots: how much of the screen the kiosk drew, and where a colour is."""

from __future__ import annotations

from typing import Any

from kiosk.faces import PALETTES

ROOT_BLACK = (0, 0, 0)  # an X root window with nothing on it (Xvfb, no window manager)


def rgb255(colour: tuple[float, ...]) -> tuple[int, int, int]:
    return round(colour[0] * 255), round(colour[1] * 255), round(colour[2] * 255)


def drawn_share(img: Any) -> float:
    """The share of the screen's pixels that are not the bare root window's black."""
    w, h = img.size
    lit = img.point(lambda v: 255 if v else 0).convert("L").point(lambda v: 255 if v else 0)
    return float(lit.histogram()[255]) / (int(w) * int(h))


def colour_box(img: Any, colour: tuple[int, int, int], *, tolerance: int = 12) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of the pixels within ``tolerance`` of ``colour``."""
    from PIL import ImageChops

    bands = img.split()
    masks = [b.point(lambda v, c=c: 255 if abs(v - c) <= tolerance else 0) for b, c in zip(bands, colour, strict=True)]
    both = ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2])
    box: tuple[int, int, int, int] | None = both.getbbox()
    return box


def faces_box(img: Any, scale: int) -> tuple[int, int, int, int] | None:
    """The box around every face colour of a ``scale``-face kiosk found on the screen."""
    boxes = [b for c in PALETTES[scale] if (b := colour_box(img, rgb255(c))) is not None]
    if not boxes:
        return None
    return min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)

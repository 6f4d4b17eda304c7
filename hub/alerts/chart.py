"""The report's chart: Happy Index per day as a PNG, drawn at the hub with Pillow (mail clients show inline
PNGs; no script or remote image is needed)."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 520  # shown at 600 px wide: sharp on a phone
_BG, _GRID, _TEXT = (255, 255, 255), (225, 228, 232), (40, 44, 52)
_BAR, _LOW, _PREV = (0, 114, 178), (213, 94, 0), (150, 160, 170)  # Okabe-Ito blue / vermillion, grey


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def happy_index_chart(days: list[tuple[date, float | None]], *, title: str, previous: float | None = None) -> bytes:
    """Bars of the Happy Index (0-100) per day; a dashed line at the previous period's index; PNG bytes."""
    img = Image.new("RGB", (WIDTH, HEIGHT), _BG)
    draw = ImageDraw.Draw(img)
    left, right, top, bottom = 90, WIDTH - 30, 80, HEIGHT - 70
    draw.text((left, 22), title, fill=_TEXT, font=_font(34))
    small = _font(22)
    for value in range(0, 101, 25):
        y = bottom - (bottom - top) * value / 100
        draw.line([(left, y), (right, y)], fill=_GRID, width=2)
        draw.text((left - 12, y), str(value), fill=_TEXT, font=small, anchor="rm")
    n = max(1, len(days))
    step = (right - left) / n
    label_every = max(1, n // 10)
    for i, (day, index) in enumerate(days):
        x0 = left + i * step + step * 0.15
        x1 = left + (i + 1) * step - step * 0.15
        if index is not None:
            y = bottom - (bottom - top) * index / 100
            colour = _LOW if previous is not None and index < previous - 5 else _BAR
            draw.rectangle([(x0, y), (x1, bottom)], fill=colour)
            if n <= 14:
                draw.text(((x0 + x1) / 2, y - 6), f"{index:.0f}", fill=_TEXT, font=small, anchor="ms")
        if i % label_every == 0:
            draw.text(((x0 + x1) / 2, bottom + 12), day.strftime("%d/%m"), fill=_TEXT, font=small, anchor="mt")
    if previous is not None:
        y = bottom - (bottom - top) * previous / 100
        for x in range(left, right, 24):
            draw.line([(x, y), (min(x + 12, right), y)], fill=_PREV, width=3)
    draw.line([(left, bottom), (right, bottom)], fill=_TEXT, width=2)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()

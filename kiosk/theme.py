"""The screens' colours: the standard theme, a high-contrast one, and a store's brand colours over either.

Brand colours paint the background, buttons and accents only; the faces keep their colour-blind-safe
Okabe-Ito colours and shapes (kiosk/faces.py) whatever the brand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

Rgba = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Theme:
    bg: Rgba
    ink: Rgba  # text
    muted: Rgba  # secondary text
    chip: Rgba  # button fill
    chip_down: Rgba
    accent: Rgba  # the current language, the countdown, the attract pill
    on_accent: Rgba  # text on the accent
    outline: float  # width of button outlines in px (0: none)


STANDARD = Theme(
    bg=(0.97, 0.96, 0.94, 1),
    ink=(0.11, 0.11, 0.13, 1),
    muted=(0.35, 0.35, 0.40, 1),
    chip=(0.89, 0.90, 0.93, 1),
    chip_down=(0.78, 0.80, 0.86, 1),
    accent=(0.0, 0.447, 0.698, 1),
    on_accent=(1, 1, 1, 1),
    outline=0.0,
)
# WCAG AAA: black on white is 21:1; every text is full black, buttons carry a black outline.
HIGH_CONTRAST = Theme(
    bg=(1, 1, 1, 1),
    ink=(0, 0, 0, 1),
    muted=(0, 0, 0, 1),
    chip=(1, 1, 1, 1),
    chip_down=(0.80, 0.80, 0.80, 1),
    accent=(0.0, 0.0, 0.0, 1),
    on_accent=(1, 1, 1, 1),
    outline=3.0,
)


def _mix(c: Rgba, white: float) -> Rgba:
    return (c[0] + (1 - c[0]) * white, c[1] + (1 - c[1]) * white, c[2] + (1 - c[2]) * white, 1.0)


def parse_colour(text: str) -> Rgba:
    """``#rrggbb`` to RGBA floats (the settings validate the format)."""
    return (int(text[1:3], 16) / 255, int(text[3:5], 16) / 255, int(text[5:7], 16) / 255, 1.0)


def luminance(c: Rgba) -> float:
    """WCAG relative luminance."""

    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])


def contrast(a: Rgba, b: Rgba) -> float:
    """WCAG contrast ratio, 1..21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def theme_for(name: str, *, brand_colour: str | None = None, brand_background: str | None = None) -> Theme:
    """The named theme with the brand's colours; text on them turns black or white, whichever contrasts more."""
    theme = HIGH_CONTRAST if name == "high_contrast" else STANDARD
    if brand_colour is not None:
        accent = parse_colour(brand_colour)
        white, black = (1.0, 1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 1.0)
        on = white if contrast(accent, white) >= contrast(accent, black) else black
        theme = replace(theme, accent=accent, on_accent=on)
    if brand_background is not None and name != "high_contrast":
        bg = parse_colour(brand_background)
        dark = luminance(bg) < 0.18
        theme = replace(
            theme,
            bg=bg,
            ink=(1, 1, 1, 1) if dark else STANDARD.ink,
            muted=(0.85, 0.85, 0.88, 1) if dark else STANDARD.muted,
            # buttons a shade lighter than a dark background, so their white text stays readable
            chip=_mix(bg, 0.2) if dark else STANDARD.chip,
            chip_down=_mix(bg, 0.35) if dark else STANDARD.chip_down,
        )
    return theme

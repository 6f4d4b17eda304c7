"""What each face looks like: colour and shape, as plain data the widget draws (no Kivy here).

Faces must be told apart without colour (about 1 in 12 men has a red-green deficiency), so the shape
carries the meaning on its own: the mouth bends from a deep frown to a wide open smile, the least happy
face frowns with slanted brows. Colours come from the Okabe-Ito colour-blind-safe palette, running
vermillion → orange → yellow → sky blue → blue (an orange-blue scale, never red against green).
"""

from __future__ import annotations

from dataclasses import dataclass

from feedback.rating import MAX_FACES, MIN_FACES

# Okabe & Ito (2008), "Color Universal Design", as RGB 0..1.
VERMILLION = (0.835, 0.369, 0.0)
ORANGE = (0.902, 0.624, 0.0)
YELLOW = (0.941, 0.894, 0.259)
SKY_BLUE = (0.337, 0.706, 0.914)
BLUE = (0.0, 0.447, 0.698)
INK = (0.11, 0.11, 0.13)

PALETTES: dict[int, tuple[tuple[float, float, float], ...]] = {
    2: (VERMILLION, BLUE),
    3: (VERMILLION, YELLOW, BLUE),
    4: (VERMILLION, ORANGE, SKY_BLUE, BLUE),
    5: (VERMILLION, ORANGE, YELLOW, SKY_BLUE, BLUE),
}


@dataclass(frozen=True, slots=True)
class FaceLook:
    """``mood`` runs -1 (least happy) .. 1 (happiest); lengths are fractions of the face's radius."""

    colour: tuple[float, float, float]
    mood: float
    mouth_bend: float  # + smile (middle below the corners), - frown (middle above), 0 straight
    is_open_smile: bool
    brow_slant: float  # 0: no brows; > 0: angry brows whose inner ends point down


def face_look(face: int, scale: int) -> FaceLook:
    """The look of ``face`` (0 = least happy) on a ``scale``-face kiosk."""
    if not MIN_FACES <= scale <= MAX_FACES or not 0 <= face < scale:
        raise ValueError(f"no face {face} on a {scale}-face scale")
    mood = -1.0 + 2.0 * face / (scale - 1)
    return FaceLook(
        colour=PALETTES[scale][face],
        mood=mood,
        mouth_bend=0.32 * mood,
        is_open_smile=mood > 0.99,
        brow_slant=0.18 if mood < -0.99 else 0.0,
    )


def mouth_points(bend: float, *, half_width: float, steps: int = 24) -> list[tuple[float, float]]:
    """A quadratic curve from (-half_width, 0) to (half_width, 0) whose middle sits at ``-bend``."""
    pts = []
    for i in range(steps + 1):
        t = i / steps
        x = (2 * t - 1) * half_width
        y = -4 * t * (1 - t) * bend  # control point at -2*bend puts the curve's middle at -bend
        pts.append((x, y))
    return pts

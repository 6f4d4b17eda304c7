"""Scores managers read: the Happy Index, % positive and counts per face.

The Happy Index is the linear mean of face weights scaled to 0–100: on 4 faces the weights are
0 / 33.3 / 66.7 / 100, on 5 faces 0 / 25 / 50 / 75 / 100. This reproduces HappyOrNot's published
examples (126/60/16/17 happiest-first → 78; 51/23/12/2/4 → 81).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from feedback.rating import MAX_FACES, MIN_FACES


def face_weight(face: int, scale: int) -> float:
    """Weight of ``face`` (0 = least happy) on a ``scale``-face terminal, 0–100."""
    if not MIN_FACES <= scale <= MAX_FACES or not 0 <= face < scale:
        raise ValueError(f"face {face} is not on a {scale}-face scale")
    return 100.0 * face / (scale - 1)


def is_positive(face: int, scale: int) -> bool:
    """A face counts as positive when it weighs more than the midpoint (the top two of 4 or 5)."""
    return face_weight(face, scale) > 50.0


@dataclass(frozen=True, slots=True)
class Score:
    """Aggregate of some ratings, possibly on mixed scales."""

    total: int
    happy_index: float | None
    pct_positive: float | None
    ci_low: float | None
    ci_high: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "total": self.total,
            "happy_index": self.happy_index,
            "pct_positive": self.pct_positive,
            "ci95": None if self.ci_low is None else [self.ci_low, self.ci_high],
        }


def score(counts_by_scale: Mapping[int, Sequence[int]]) -> Score:
    """Score counts given per scale as ``{scale: [n_face0, n_face1, ...]}`` (least happy first).

    The 95 % interval is the normal approximation on the mean weight, clamped to 0–100; with fewer than
    two answers there is none.
    """
    return score_many(counts_by_scale)


def intervals_overlap(a: Score, b: Score) -> bool:
    """True when the two 95 % intervals overlap: the difference is not significant at a glance."""
    if a.ci_low is None or b.ci_low is None or a.ci_high is None or b.ci_high is None:
        return True
    return a.ci_low <= b.ci_high and b.ci_low <= a.ci_high


_WEIGHTS = {s: tuple(face_weight(f, s) for f in range(s)) for s in range(MIN_FACES, MAX_FACES + 1)}
_FIRST_POSITIVE = {s: min(f for f in range(s) if is_positive(f, s)) for s in range(MIN_FACES, MAX_FACES + 1)}


def score_many(counts_by_scale: Mapping[int, Sequence[int]]) -> Score:
    """The same ``Score`` as :func:`score`, with the face weights looked up instead of recomputed.

    For reports that score thousands of count tables per request (a chain's overview); raises the same
    ``ValueError`` for a scale outside 2-5 or a count list of the wrong length.
    """
    total = 0
    weight_sum = 0.0
    weight_sq_sum = 0.0
    positive = 0
    for scale, counts in counts_by_scale.items():
        weights = _WEIGHTS.get(scale)
        if weights is None or len(counts) != scale:
            raise ValueError(f"{len(counts)} counts given for a {scale}-face scale")
        for face, n in enumerate(counts):
            w = weights[face]
            weight_sum += n * w
            weight_sq_sum += n * w * w
        total += sum(counts)
        positive += sum(counts[_FIRST_POSITIVE[scale] :])
    if total == 0:
        return Score(0, None, None, None, None)
    mean = weight_sum / total
    if total < 2:
        return Score(total, round(mean, 1), round(100.0 * positive / total, 1), None, None)
    half = 1.96 * math.sqrt(max(0.0, (weight_sq_sum - total * mean * mean) / (total - 1)) / total)
    low, high = mean - half, mean + half
    return Score(
        total,
        round(mean, 1),
        round(100.0 * positive / total, 1),
        round(low if low > 0.0 else 0.0, 1),
        round(high if high < 100.0 else 100.0, 1),
    )

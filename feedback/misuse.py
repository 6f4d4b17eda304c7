"""Misuse rules: pure functions over tap times, shared by the kiosk (live) and the hub (re-evaluation).

Two different things happen to quick repeats:

- a second touch event within ``DUPLICATE_TOUCH_S`` is input noise (Pi touchscreens can deliver one
  touch twice, kivy/kivy#3801) and is ignored entirely;
- a tap within the response interval (default 5 s, like the market leader) after the previous one is a
  real tap, recorded but flagged as misuse so reports exclude it by default.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

DUPLICATE_TOUCH_S = 0.150
DEFAULT_RESPONSE_INTERVAL_S = 5.0
MIN_RESPONSE_INTERVAL_S = 0.0
MAX_RESPONSE_INTERVAL_S = 3600.0


class BadResponseInterval(ValueError):
    """A response interval outside 0..3600 s (or not a number)."""


def check_response_interval(interval_s: float) -> float:
    """``interval_s`` as a float, the one rule for kiosks and hub.

    :raises BadResponseInterval: outside ``MIN_RESPONSE_INTERVAL_S..MAX_RESPONSE_INTERVAL_S`` or not finite
    """
    if not math.isfinite(interval_s) or not MIN_RESPONSE_INTERVAL_S <= interval_s <= MAX_RESPONSE_INTERVAL_S:
        raise BadResponseInterval(
            f"a response interval is {MIN_RESPONSE_INTERVAL_S:g}-{MAX_RESPONSE_INTERVAL_S:g} seconds"
        )
    return float(interval_s)


def is_duplicate_touch(previous_touch_s: float | None, now_s: float, *, window_s: float = DUPLICATE_TOUCH_S) -> bool:
    """True when a touch at ``now_s`` (monotonic seconds) repeats the one at ``previous_touch_s``."""
    return previous_touch_s is not None and 0.0 <= now_s - previous_touch_s < window_s


def is_misuse(previous_tap_s: float | None, now_s: float, *, interval_s: float = DEFAULT_RESPONSE_INTERVAL_S) -> bool:
    """True when a tap at ``now_s`` comes within ``interval_s`` of the previous recorded tap."""
    return previous_tap_s is not None and 0.0 <= now_s - previous_tap_s < interval_s


def flag_misuse(tap_times_ms: Iterable[int], *, interval_s: float) -> Iterator[bool]:
    """Re-evaluate a kiosk's taps (in seq order) under a response interval; yields one flag per tap."""
    previous: int | None = None
    for t in tap_times_ms:
        yield previous is not None and 0 <= t - previous < interval_s * 1000
        previous = t

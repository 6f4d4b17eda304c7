"""Which touches count: input noise is dropped, quick repeats are recorded but flagged (feedback.misuse).

Pure state over times passed in; the app feeds it ``time.monotonic()`` for touches and the device clock's
wall time for taps, the time the hub later re-evaluates the misuse rule on.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedback.misuse import DUPLICATE_TOUCH_S, is_duplicate_touch, is_misuse


@dataclass(frozen=True, slots=True)
class Tap:
    """One shopper's face tap, as the UI saw it, ready for the outbox."""

    face: int
    scale: int
    question_id: str
    time_ms: int
    boot_id: str
    mono_ms: int
    is_misuse: bool


class TapGate:
    """Remembers the last accepted touch and the last recorded tap."""

    def __init__(
        self,
        *,
        response_interval_s: float,
        last_tap_ms: int | None = None,
        duplicate_window_s: float = DUPLICATE_TOUCH_S,
    ) -> None:
        self.response_interval_s = response_interval_s
        self.duplicate_window_s = duplicate_window_s
        self._last_touch_s: float | None = None
        self._last_tap_ms = last_tap_ms

    def is_noise(self, now_s: float) -> bool:
        """True for a touch-down within the duplicate window of the last accepted one (then drop it)."""
        if is_duplicate_touch(self._last_touch_s, now_s, window_s=self.duplicate_window_s):
            return True
        self._last_touch_s = now_s
        return False

    def seconds_until_quiet(self, now_s: float) -> float:
        """How long until a new touch-down would be accepted (0 when it would be now)."""
        if self._last_touch_s is None:
            return 0.0
        return max(0.0, self._last_touch_s + self.duplicate_window_s - now_s)

    def tap(self, now_ms: int) -> bool:
        """Register a face tap at wall time ``now_ms``; True when it is misuse (too soon after the last)."""
        previous = None if self._last_tap_ms is None else self._last_tap_ms / 1000
        misuse = is_misuse(previous, now_ms / 1000, interval_s=self.response_interval_s)
        self._last_tap_ms = now_ms
        return misuse

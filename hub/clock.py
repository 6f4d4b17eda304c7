"""The hub's wall clock, in one place: every other module takes ``now_ms`` as a parameter (tests pass their own)."""

from __future__ import annotations

import time


def wall_ms() -> int:
    """Milliseconds since the Unix epoch."""
    return time.time_ns() // 1_000_000

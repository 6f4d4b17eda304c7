"""Simulated shoppers: taps recorded through the very same outbox and uplink the touchscreen uses.

With ``backfill_days`` the taps carry device times spread over past days with the time-of-day and weekday
rhythm of a shop (busy at lunch and after work, closed at night, grumpier at rush hours), for demos.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Relative traffic per local hour (0-23) and per ISO weekday (1-7); shop open 8-21.
HOURLY_TRAFFIC = [0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 6, 8, 12, 11, 7, 6, 8, 12, 13, 9, 5, 2, 0, 0]
WEEKDAY_TRAFFIC = {1: 8, 2: 8, 3: 9, 4: 10, 5: 13, 6: 15, 7: 9}


@dataclass(frozen=True, slots=True)
class SimTap:
    face: int
    time_ms: int | None  # None: now (live)
    reason: str | None


def face_weights(scale: int, *, mood: float, rush: float) -> list[float]:
    """Probability weights per face (least happy first); ``mood`` ~ -1..1 per location, ``rush`` 0..1."""
    centre = (scale - 1) * (0.8 + 0.15 * mood - 0.25 * rush)
    return [math.exp(-((f - centre) ** 2) / 1.2) for f in range(scale)]


def backfill_taps(
    n: int,
    *,
    scale: int,
    days: int,
    end: datetime,
    zone: str,
    rng: random.Random,
    mood: float = 0.0,
    reasons: tuple[str, ...] = (),
) -> Iterator[SimTap]:
    """``n`` taps over the ``days`` days before ``end`` (aware), in chronological order."""
    tz = ZoneInfo(zone)
    slots: list[tuple[datetime, float]] = []
    start = (end - timedelta(days=days)).astimezone(tz).replace(minute=0, second=0, microsecond=0)
    t = start
    while t < end:
        local = t.astimezone(tz)
        w = HOURLY_TRAFFIC[local.hour] * WEEKDAY_TRAFFIC[local.isoweekday()]
        if w:
            slots.append((t, float(w)))
        t += timedelta(hours=1)
    if not slots:
        return
    chosen = rng.choices(range(len(slots)), weights=[w for _, w in slots], k=n)
    # sorted as a kiosk numbers its taps: the hub takes a time before the previous seq's as wrong (feedback.abuse)
    for at in sorted(
        min(slots[i][0] + timedelta(seconds=rng.uniform(0, 3599)), end - timedelta(seconds=1)) for i in chosen
    ):
        local_hour = at.astimezone(tz).hour
        rush = 1.0 if local_hour in (12, 17, 18) else 0.0
        face = rng.choices(range(scale), weights=face_weights(scale, mood=mood, rush=rush))[0]
        reason = rng.choice(reasons) if reasons and face <= 1 and rng.random() < 0.6 else None
        yield SimTap(face, int(at.timestamp() * 1000), reason)


def live_taps(
    n: int, *, scale: int, rng: random.Random, mood: float = 0.0, reasons: tuple[str, ...] = ()
) -> Iterator[SimTap]:
    for _ in range(n):
        face = rng.choices(range(scale), weights=face_weights(scale, mood=mood, rush=0.0))[0]
        reason = rng.choice(reasons) if reasons and face <= 1 and rng.random() < 0.6 else None
        yield SimTap(face, None, reason)

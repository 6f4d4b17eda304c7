"""When the kiosk takes no taps, mixed into :class:`kiosk.app.KioskApp`: outside the store's opening hours
(a calm closed screen; it reopens by itself) and while the glass is cleaned (every touch ignored for
``cleaning_s`` with a countdown, started from the staff panel)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kivy.clock import Clock

from kiosk.hours import is_open, next_opening, store_zone

log = logging.getLogger(__name__)

HOURS_CHECK_S = 5.0  # how often the opening hours are looked at (a change shows within this)
CLEANING_TICK_S = 0.25


class PauseFlow:
    """Needs the app's screens, device clock and timers."""

    sm: Any
    clock: Any
    ui: Any
    t: Any
    closed_text: str
    cleaning_left_s: float
    _cleaning_until: float | None
    _show: Callable[[str, float, Callable[[], None]], None]
    go_home: Callable[..., None]

    def now(self) -> datetime:
        """The store's local time (its pushed time zone, or the device's own), from the device clock."""
        zone = store_zone(self.ui.timezone)
        seconds = self.clock.now_ms() / 1000
        if zone is None:
            return datetime.fromtimestamp(seconds).astimezone()
        return datetime.fromtimestamp(seconds, zone)

    def is_closed(self) -> bool:
        """Outside opening hours, with the closed screen chosen (``closed_mode``)."""
        return self.ui.closed_mode == "closed_screen" and not is_open(self.ui.opening_hours, self.now())

    def is_ignoring_touches(self) -> bool:
        """While cleaning, every touch is dropped before any widget sees it."""
        return self._cleaning_until is not None

    def start_pause_checks(self) -> None:
        Clock.schedule_interval(lambda _dt: self.check_hours(), HOURS_CHECK_S)

    def check_hours(self) -> None:
        """Close when the store closes (only from the faces: a shopper mid-answer finishes), reopen when it opens."""
        current = self.sm.current
        if current == "home" and self.is_closed():
            self.show_closed()
        elif current == "closed" and not self.is_closed():
            log.info("store open: showing the faces")
            self.go_home()

    def show_closed(self) -> None:
        local = self.now()
        opening = next_opening(self.ui.opening_hours, local)
        self.closed_text = "" if opening is None else f"{self.t['opens']} {self._when(opening, local)}"
        log.info("store closed: showing the closed screen (%s)", self.closed_text)
        self._show("closed", 24 * 3600.0, self.go_home)

    def _when(self, opening: datetime, local: datetime) -> str:
        if opening.date() == local.date():
            return opening.strftime("%H:%M")
        return f"{self.t['day_' + opening.strftime('%a').lower()[:3]]} {opening.strftime('%H:%M')}"

    # ------------------------------------------------------------------------------------------ cleaning
    def start_cleaning(self) -> None:
        """From the staff panel: ignore every touch for ``cleaning_s`` seconds, with a countdown."""
        self._cleaning_until = time.monotonic() + self.ui.cleaning_s
        self.cleaning_left_s = self.ui.cleaning_s
        log.info("cleaning mode for %.0f s", self.ui.cleaning_s)
        self._show("cleaning", self.ui.cleaning_s + 60, self._end_cleaning)
        Clock.schedule_once(self._tick_cleaning, CLEANING_TICK_S)

    def _tick_cleaning(self, _dt: float = 0.0) -> None:
        if self._cleaning_until is None:
            return
        left = self._cleaning_until - time.monotonic()
        self.cleaning_left_s = max(0.0, left)
        if left <= 0:
            self._end_cleaning()
        else:
            Clock.schedule_once(self._tick_cleaning, min(CLEANING_TICK_S, left))

    def _end_cleaning(self) -> None:
        self._cleaning_until = None
        self.go_home()

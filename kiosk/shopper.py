"""The shopper's flow, mixed into :class:`kiosk.app.KioskApp`: home → (follow-up) → thank-you → home.

A face answers at once (the screen changes in the frame the touch arrived); the recorder thread writes
the tap, and the screen returns home only once every write of the visit is durable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from kivy.clock import Clock

from kiosk.staff import PIN_IDLE_S, STAFF_IDLE_S
from kiosk.taps import Tap

log = logging.getLogger(__name__)

DURABLE_POLL_S = 0.02
DURABLE_WAIT_MAX_S = 10.0  # a hung disk must not freeze the thank-you screen for ever (staff see the error)


class ShopperFlow:
    """Uses the app's screens, recorder and timers (``_show``, ``_arm``, ``_cancel_timer``)."""

    sm: Any
    ui: Any
    clock: Any
    gate: Any
    recorder: Any
    press_sound: Any
    language: str
    chosen_face: int
    _held: Future[Any] | None
    _unsettled: list[Future[Any]]
    _timer: Any
    _waiting_since: float | None
    _report_error: Callable[[str], None]
    _refresh_texts: Callable[[], None]
    _populate_reasons: Callable[[], None]
    _followup_until: float | None
    followup_left_s: float
    followup_fraction: float
    attract: bool
    attract_glow: float
    is_closed: Callable[[], bool]
    show_closed: Callable[[], None]

    def on_face(self, face: int) -> None:
        """A face was pressed: answer at once, record on the recorder thread."""
        if self.sm.current != "home":
            return
        now_ms = self.clock.now_ms()
        tap = Tap(
            face=face,
            scale=self.ui.faces,
            question_id=self.ui.question_id,
            time_ms=now_ms,
            boot_id=self.clock.boot_id,
            mono_ms=self.clock.mono_ms(),
            is_misuse=self.gate.tap(now_ms),
        )
        held = face in self.ui.followup_faces and bool(self.ui.reasons)
        # first the hand-off, so the recorder thread starts on the disk while this thread switches screens
        recorded = self.recorder.record(tap, held=held)
        self._unsettled.append(recorded)
        self._held = recorded if held else None
        self.chosen_face = face
        for shown in (self.sm.get_screen("followup").ids.face, self.sm.get_screen("thanks").ids.face):
            shown.scale, shown.face = tap.scale, face  # the face that counted, drawn large in the next frame
        if held:
            self._show("followup", self.ui.followup_timeout_s, self._followup_timed_out)
            self._followup_until = time.monotonic() + self.ui.followup_timeout_s
            self._tick_followup()
        else:
            self._show("thanks", self.ui.thank_you_s, self.go_home)
        if self.ui.press_sound:
            self.press_sound.play()  # after the screen switch: it only queues the click on a mixer channel

    def on_reason(self, reason: str | None) -> None:
        """A reason chip (or skip, ``None``) on the follow-up screen."""
        if self.sm.current != "followup" or self._held is None:
            return
        self._unsettled.append(self.recorder.release(self._held, reason=reason))
        self._held = None
        self._show("thanks", self.ui.thank_you_s, self.go_home)

    def _tick_followup(self, _dt: float = 0.0) -> None:
        """The follow-up's countdown (bar and seconds on the skip button)."""
        if self.sm.current != "followup" or self._followup_until is None:
            return
        left = max(0.0, self._followup_until - time.monotonic())
        self.followup_left_s = left
        self.followup_fraction = left / self.ui.followup_timeout_s
        if left > 0:
            Clock.schedule_once(self._tick_followup, 0.1)

    def _followup_timed_out(self) -> None:
        if self._held is not None:
            self._unsettled.append(self.recorder.release(self._held, reason=None))
            self._held = None
        self.go_home()

    def go_home(self, *_: Any) -> None:
        """Back to the faces once every write of this visit is durable; the next shopper starts fresh."""
        self._cancel_timer()
        self._unsettled = [f for f in self._unsettled if not f.done()]
        if self._unsettled:
            if self._waiting_since is None:
                self._waiting_since = time.monotonic()
            if time.monotonic() - self._waiting_since < DURABLE_WAIT_MAX_S:
                self._timer = Clock.schedule_once(self.go_home, DURABLE_POLL_S)
                return
            log.error("outbox write not finished after %.0f s; showing home anyway", DURABLE_WAIT_MAX_S)
            self._report_error(f"outbox write slower than {DURABLE_WAIT_MAX_S:.0f} s (disk?)")
        self._waiting_since = None
        if self.language != self.ui.language:
            self.set_language(self.ui.language)
        if self.is_closed():
            self.show_closed()
            return
        self._show("home", self.ui.attract_after_s, self._attract)

    def set_language(self, language: str) -> None:
        if language not in self.ui.languages:
            return
        self.language = language
        self._refresh_texts()
        self.sm.get_screen("home").mark_language(language)
        self._populate_reasons()

    def note_activity(self) -> None:
        """Any accepted touch: re-arm the idle timer of screens that wait on the shopper or staff."""
        current = self.sm.current
        if current == "home":
            self._stop_attract()
            self._arm(self.ui.attract_after_s, self._attract)
        elif current in ("pin", "staff"):
            self._arm(PIN_IDLE_S if current == "pin" else STAFF_IDLE_S, self.go_home)

    def _attract(self) -> None:
        """Long idle on the home screen: default language, and the call to action gets louder: the hint
        sits on a pulsing accent pill, in bold (issue 12: it used to fade to 25 %)."""
        from kivy.animation import Animation

        if self.language != self.ui.language:
            self.set_language(self.ui.language)
        self.attract = True
        anim = Animation(attract_glow=0.7, duration=1.0) + Animation(attract_glow=1.0, duration=1.0)
        anim.repeat = True
        anim.start(self)

    def _stop_attract(self) -> None:
        from kivy.animation import Animation

        Animation.cancel_all(self, "attract_glow")
        self.attract = False
        self.attract_glow = 1.0

    # ------------------------------------------------------------------------------------------ timers
    def _show(self, screen: str, timeout_s: float, then: Callable[[], None]) -> None:
        self.sm.current = screen
        if screen != "home":
            self._stop_attract()
        self._arm(timeout_s, then)

    def _arm(self, seconds: float, then: Callable[[], None]) -> None:
        self._cancel_timer()
        self._timer = Clock.schedule_once(lambda _dt: then(), seconds)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

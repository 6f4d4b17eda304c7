"""The staff panel: a long press in the top-left corner, then the PIN from config, then the kiosk's health.

Shoppers never see an error; staff see here what a shop assistant reads out on the phone to whoever runs
the hub: broker connection (which broker, and when the kiosk last failed over or went back to a preferred
broker), pending ratings, the hub's
last acknowledgement, clock, version, last error.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from kivy.clock import Clock

from feedback import __version__
from feedback.staff_pin import pin_matches
from kiosk.i18n import Texts
from kiosk.uplink import UplinkState
from kiosk.window import set_fullscreen

log = logging.getLogger(__name__)

PIN_IDLE_S = 30.0
STAFF_IDLE_S = 120.0
MAX_PIN_TRIES = 3
REFRESH_S = 1.0


def staff_text(
    t: Texts,
    *,
    kiosk_id: str,
    location_id: str,
    state: UplinkState,
    pending: int | None,
    now: datetime,
    is_ntp_synced: bool | None,
    version: str,
    last_error: str | None,
    press_sound: bool = False,
    sounds_played: int = 0,
    sound_problem: str | None = None,
) -> str:
    """Kivy markup, one fact per line. ``now`` is aware local time. ``press_sound``: the setting;
    ``sounds_played`` and ``sound_problem``: what :class:`kiosk.press_sound.PressSound` saw."""
    ack = t("never") if state.last_ack_ms is None else _when(state.last_ack_ms, now)
    broker = t("connected") if state.is_connected else t("not connected")
    if state.broker is not None:
        broker += f" ({_escape(state.broker)})"
    if state.last_failover_ms is None:
        failover = t("never")
    else:
        old, new = _escape(state.failover_from or "?"), _escape(state.broker or "?")
        # words, not an arrow: the kiosk's font (Roboto) has no "→" and drew a box (staff-panel-failover.png)
        move = t("back to {new} from {old}" if state.is_failback else "from {old} to {new}").format(new=new, old=old)
        failover = f"{_when(state.last_failover_ms, now)} ({move})"
    hub = {True: t("online"), False: t("offline"), None: t("unknown")}[state.is_hub_online]
    ntp = {True: t("NTP synchronised"), False: t("not synchronised"), None: t("unknown")}[is_ntp_synced]
    rows = [
        (t("Kiosk"), kiosk_id),
        (t("Location"), location_id),
        (t("Broker"), broker),
        (t("Last failover"), failover),
        (t("Hub"), hub),
        (t("Pending ratings"), "…" if pending is None else str(pending)),
        (t("Last hub ack"), ack),
        (t("Clock"), f"{now.strftime('%Y-%m-%d %H:%M:%S %Z')} ({ntp})"),
        (t("Version"), version),
        (t("Last error"), _escape(last_error) if last_error else t("none")),
        (t("Press sound"), _sound(t, press_sound, sounds_played, sound_problem)),
    ]
    return "\n".join(f"[b]{label}:[/b] {value}" for label, value in rows)


def _when(ms: int, now: datetime) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=now.tzinfo).strftime("%Y-%m-%d %H:%M:%S")


def _sound(t: Texts, is_on: bool, played: int, problem: str | None) -> str:
    if not is_on:
        return t("off")
    if problem is not None:
        return t("on, but silent: {why}").format(why=_escape(problem))
    return t("on, played {n} times").format(n=played)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")[:160]


class StaffFlow:
    """The PIN pad and the staff panel, mixed into :class:`kiosk.app.KioskApp` (uses its screens and timers)."""

    sm: Any
    ui: Any
    t: Any
    kiosk_config: Any
    recorder: Any
    press_sound: Any
    clock: Any
    uplink_state: UplinkState
    language: str
    last_error: str
    pin_entered: str
    pin_message: str
    staff_text: str
    is_fullscreen: bool
    x_screen: tuple[int, int] | None
    _pin_tries: int

    def open_pin(self) -> None:
        """The corner was held: ask for the PIN (never in the middle of a shopper's follow-up). Without a
        configured PIN there is no way in: the pad says so and takes no digits (there is no default PIN)."""
        if self.sm.current not in ("home", "thanks", "closed"):
            return
        self.pin_entered = ""
        self.pin_message = "" if self.has_pin() else self.t["no_pin"]
        self._pin_tries = 0
        self._show("pin", PIN_IDLE_S, self.go_home)  # type: ignore[attr-defined]

    def pin_key(self, key: str) -> None:
        if key == "cancel":
            self.go_home()  # type: ignore[attr-defined]
        elif not self.has_pin():
            return
        elif key == "ok":
            if pin_matches(self.pin_entered, pin=self.ui.staff_pin, pin_hash=self.ui.staff_pin_hash):
                self._show("staff", STAFF_IDLE_S, self.go_home)  # type: ignore[attr-defined]
                self.refresh_staff()
                return
            self._pin_tries += 1
            log.warning("staff panel: wrong PIN (%d of %d)", self._pin_tries, MAX_PIN_TRIES)
            self.pin_entered = ""
            self.pin_message = self.t["pin_wrong"]
            if self._pin_tries >= MAX_PIN_TRIES:
                self.go_home()  # type: ignore[attr-defined]
        elif len(self.pin_entered) < 8:
            self.pin_entered += key

    def has_pin(self) -> bool:
        return self.ui.staff_pin is not None or self.ui.staff_pin_hash is not None

    def refresh_staff(self, *_: Any) -> None:
        """Update the facts every second while the panel shows (the pending count comes off the UI thread)."""
        if self.sm.current != "staff":
            return
        counts = self.recorder.counts()
        counts.add_done_callback(lambda f: Clock.schedule_once(lambda _dt: self._show_staff(f)))
        Clock.schedule_once(self.refresh_staff, REFRESH_S)

    def _show_staff(self, counts: Future[Any]) -> None:
        pending = None if counts.exception() else counts.result().pending
        self.staff_text = staff_text(
            Texts(self.language, self.ui),
            kiosk_id=self.kiosk_config.kiosk_id,
            location_id=self.kiosk_config.location_id,
            state=self.uplink_state,
            pending=pending,
            now=datetime.now().astimezone(),
            is_ntp_synced=self.clock.is_ntp_synced(),
            version=__version__,
            last_error=self.last_error or self.uplink_state.last_error,
            press_sound=self.ui.press_sound,
            sounds_played=self.press_sound.played,
            sound_problem=self.press_sound.problem,
        )

    def toggle_fullscreen(self) -> None:
        from kivy.core.window import Window

        set_fullscreen(Window, on=not self.is_fullscreen, screen=self.x_screen)
        self.is_fullscreen = not self.is_fullscreen

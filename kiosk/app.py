"""The touchscreen app: a Kivy ``App`` whose flows are home → (follow-up) → thank-you → home.

Threads: Kivy's main thread owns every widget; a :class:`~kiosk.recorder.Recorder` thread writes the
outbox; the :class:`~kiosk.uplink.Uplink` threads talk MQTT. Anything arriving from those threads reaches
widgets through ``Clock.schedule_once``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")  # Kivy parses argv at import otherwise
os.environ.setdefault("KIVY_LOG_MODE", "MIXED")  # leave the root logger to our CLI
# Kivy's own chatter follows our --log-level, and goes to the journal (stderr), not files on the SD card
os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", logging.getLevelName(logging.getLogger().getEffectiveLevel()).lower())
os.environ.setdefault("KCFG_KIVY_LOG_ENABLE", "0")
# ... but KCFG_ overrides are applied after Kivy decided on its file log: only this keeps ~/.kivy/logs empty
os.environ.setdefault("KIVY_NO_FILELOG", "1")

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, DictProperty, NumericProperty, StringProperty

from kiosk import screens, widgets  # noqa: F401  (registers the classes kiosk.kv names)
from kiosk.clock import DeviceClock
from kiosk.config import KioskConfig, UiConfig
from kiosk.i18n import Texts
from kiosk.launch import check_ui
from kiosk.look import Look
from kiosk.outbox import Outbox
from kiosk.pauses import PauseFlow
from kiosk.press_sound import PressSound
from kiosk.recorder import Recorder
from kiosk.remote_config import RemoteConfig
from kiosk.shopper import ShopperFlow
from kiosk.staff import StaffFlow
from kiosk.taps import TapGate
from kiosk.uplink import Uplink, UplinkState
from kiosk.watchdog import Notifier

log = logging.getLogger(__name__)

KV_PATH = Path(__file__).resolve().parent / "kiosk.kv"

ConfigHook = Callable[[bytes], "int | None"]


class KioskApp(ShopperFlow, PauseFlow, StaffFlow, Look, App):  # type: ignore[misc]
    t = DictProperty()  # every visible text, by key (see kiosk.i18n.Texts.all)
    language = StringProperty("sv")
    attract = BooleanProperty(False)
    attract_glow = NumericProperty(1.0)
    followup_left_s = NumericProperty(0)
    followup_fraction = NumericProperty(1.0)
    closed_text = StringProperty("")
    cleaning_left_s = NumericProperty(0)
    is_online = BooleanProperty(False)
    is_fullscreen = BooleanProperty(False)
    pin_entered = StringProperty("")
    pin_message = StringProperty("")
    staff_text = StringProperty("")
    last_error = StringProperty("")

    def __init__(
        self,
        config: KioskConfig,
        *,
        on_config: ConfigHook | None = None,
        remote: RemoteConfig | None = None,
        clock: DeviceClock | None = None,
        with_uplink: bool = True,
        x_screen: tuple[int, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = f"Feedback kiosk {config.kiosk_id}"
        self.kv_file = str(KV_PATH)
        self.kiosk_config = config
        self.ui = config.ui
        self.clock = clock or DeviceClock()
        self.on_config_hook = on_config
        self.remote = remote
        self.with_uplink = with_uplink
        self.x_screen = x_screen  # the X screen's size (None on KMS/DRM): full screen on and off stays on it
        self.gate = TapGate(response_interval_s=self.ui.response_interval_s)
        self.recorder = Recorder(
            config.outbox_path, kiosk_id=config.kiosk_id, on_written=self._wake_uplink, on_error=self._report_error
        )
        self.uplink: Uplink | None = None
        self.notifier = Notifier.from_environ()
        self.press_sound = PressSound()  # loaded when [ui] press_sound is first on, played on a face's touch-down
        self.uplink_state = UplinkState()
        self.chosen_face = 0
        self._held: Future[Any] | None = None
        self._unsettled: list[Future[Any]] = []  # writes that must be durable before the screen goes home
        self._timer: Any = None
        self._waiting_since: float | None = None  # monotonic s: when go_home began waiting for the disk
        self._pin_tries = 0
        self._cleaning_until: float | None = None
        self._followup_until: float | None = None
        self._stopped = False
        self._online_logged: bool | None = None
        self.language = self.ui.language
        self._refresh_texts()
        self._apply_look()

    # ------------------------------------------------------------------------------------------ life
    def load_config(self) -> Any:  # no per-app .ini file beside the package
        from kivy.config import ConfigParser

        self.config = ConfigParser(name=f"kiosk-{id(self)}")
        return self.config

    def build(self) -> Any:
        from kivy.core.window import Window

        Window.bind(size=self._resized)
        self._resized(Window, Window.size)
        self.is_fullscreen = Window.fullscreen not in (False, "0", 0) or bool(Window.borderless)
        return None  # the root is kiosk.kv's root rule (App.load_kv loads kv_file)

    def on_start(self) -> None:
        outbox = Outbox(self.kiosk_config.outbox_path, kiosk_id=self.kiosk_config.kiosk_id)
        try:
            released = outbox.release_all_held()
            if released:
                log.info("released %d rating(s) held by the previous run", released)
            last = outbox.last_tap()
        finally:
            outbox.close()
        self.gate = TapGate(response_interval_s=self.ui.response_interval_s, last_tap_ms=last[1] if last else None)
        self._refresh_texts()
        self._populate()
        if self.ui.press_sound:
            self.press_sound.load()
        if self.with_uplink:
            try:
                self._start_uplink()
            except Exception as exc:  # a broken broker setting must not keep shoppers from rating
                log.exception("uplink did not start")
                self._report_error(f"uplink did not start: {exc}")
        self.go_home()
        self.start_pause_checks()
        self._start_watchdog()
        log.info(
            "kiosk %s ready: %d faces, languages %s", self.kiosk_config.kiosk_id, self.ui.faces, list(self.ui.languages)
        )

    def _start_watchdog(self) -> None:
        """systemd: READY once the faces show, then WATCHDOG pings from the UI thread (kiosk/watchdog.py)."""
        interval = self.notifier.ping_interval_s
        if interval:
            Clock.schedule_interval(lambda _dt: self.notifier.ping(), interval)
        self.notifier.ready()

    def _start_uplink(self) -> None:
        hook, version = self.on_config_hook, None
        if self.remote is not None:
            self.remote.apply = self.apply_ui_config
            hook, version = self.remote.handle, self.remote.version
        self.uplink = Uplink(
            self.kiosk_config, clock=self.clock, on_config=hook, on_change=self._uplink_changed, config_version=version
        )
        if self.remote is not None:
            self.remote.report = self.uplink.report
        self.uplink.start()

    def on_stop(self) -> None:
        if self._stopped:  # App.stop() and the end of App.async_run() both dispatch on_stop
            return
        self._stopped = True
        self.notifier.stopping()
        if self._held is not None:
            self.recorder.release(self._held, reason=None)
            self._held = None
        self.recorder.close()
        if self.uplink is not None:
            self.uplink.stop()

    def stop_soon(self) -> None:
        """Stop from the main loop (safe from a signal handler)."""
        Clock.schedule_once(lambda _dt: self.stop())

    @property
    def sm(self) -> Any:
        return self.root.ids.sm

    # ------------------------------------------------------------------------------------------ config
    def apply_ui_config(self, ui: UiConfig) -> None:
        """Swap the shopper-facing settings without a restart; safe to call from any thread.

        :raises ConfigError: (in the caller's thread) when a language has no catalogue.
        """
        check_ui(ui)
        if threading.current_thread() is threading.main_thread():
            self._swap_ui(ui)
        else:
            Clock.schedule_once(lambda _dt: self._swap_ui(ui))

    def _swap_ui(self, ui: UiConfig) -> None:
        old, self.ui = self.ui, ui
        self._apply_look()
        from kivy.core.window import Window

        self._resized(Window, Window.size)
        self.gate.response_interval_s = ui.response_interval_s
        if ui.press_sound:
            self.press_sound.load()  # once: the first time the setting is on
        language = self.language
        if self.language not in ui.languages or ui.language != old.language:
            self.language = ui.language
        self._refresh_texts()
        if (ui.faces, ui.languages, ui.reasons, self.language) != (old.faces, old.languages, old.reasons, language):
            self._populate()
        if self.sm.current == "home":
            self._arm(ui.attract_after_s, self._attract)
        self.check_hours()
        log.info("ui config applied: %d faces, languages %s", ui.faces, list(ui.languages))

    def _refresh_texts(self) -> None:
        self.t = Texts(self.language, self.ui).all()

    def _populate(self) -> None:
        names = [(lang, Texts(lang, self.ui).language_name()) for lang in self.ui.languages]
        home = self.sm.get_screen("home")
        home.populate(scale=self.ui.faces, languages=names, current=self.language, layout=self.layout)
        self._populate_reasons()

    def _populate_reasons(self) -> None:
        texts = Texts(self.language, self.ui)
        reasons = list(self.ui.reasons) + (
            ["other"] if self.ui.followup_other and "other" not in self.ui.reasons else []
        )
        max_cols = 3 if self.layout == "landscape" else 2
        self.sm.get_screen("followup").populate([(r, texts.reason(r)) for r in reasons], max_cols=max_cols)

    # ------------------------------------------------------------------------------------------ threads
    def _wake_uplink(self) -> None:  # recorder thread
        if self.uplink is not None:
            self.uplink.wake()

    def _report_error(self, message: str) -> None:  # any thread
        Clock.schedule_once(lambda _dt: setattr(self, "last_error", f"{time.strftime('%H:%M:%S')} {message}"))

    def _uplink_changed(self, state: UplinkState) -> None:  # uplink pump thread
        self.uplink_state = state
        Clock.schedule_once(lambda _dt: self._show_online(state))

    def _show_online(self, state: UplinkState) -> None:
        is_online = state.is_connected and state.is_hub_online is not False
        if is_online != self.is_online or self._online_logged is None:
            log.info(
                "kiosk %s is %s (broker connected: %s, hub online: %s, last error: %s)",
                self.kiosk_config.kiosk_id,
                "online" if is_online else "offline",
                state.is_connected,
                state.is_hub_online,
                state.last_error,
            )
            self._online_logged = is_online
        self.is_online = is_online

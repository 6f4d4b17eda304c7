"""Start the touchscreen app: everything that can be refused is checked before Kivy is imported.

Kivy prints to stderr as soon as it is imported (and writes its config on a fresh ``KIVY_HOME``), so a bad
config must be found first: ``python -m kiosk run`` then exits 2 with one line naming the key, and nothing
else on stderr.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path

from kiosk.config import ConfigError, KioskConfig, UiConfig
from kiosk.hours import store_zone
from kiosk.i18n import check_languages
from kiosk.outbox import Outbox
from kiosk.remote_config import RemoteConfig

log = logging.getLogger(__name__)

ConfigHook = Callable[[bytes], "int | None"]


def check_ui(ui: UiConfig, *, prefix: str = "ui") -> None:
    """What only the device can check: a catalogue per language, the time zone, the logo file.

    :raises ConfigError: naming the key.
    """
    check_languages(ui, prefix=prefix)
    store_zone(ui.timezone, key=f"{prefix}.timezone")
    if ui.logo is not None and not Path(ui.logo).is_file():
        raise ConfigError(f"{prefix}.logo: no image file {ui.logo!r} on this kiosk")
    if ui.staff_pin is None and ui.staff_pin_hash is None:
        log.warning("no staff PIN configured ([ui] staff_pin_hash or staff_pin): the staff panel stays shut")


def preflight(config: KioskConfig, *, with_remote: bool = True) -> tuple[KioskConfig, RemoteConfig | None]:
    """Check what the app needs before any window opens; returns the config to run (with the last good
    remote config laid over it) and the remote config holder.

    :raises ConfigError: naming the key (e.g. ``ui.languages`` without a catalogue).
    :raises OutboxBelongsToAnotherKiosk: when the data dir holds another kiosk's outbox.
    """
    check_ui(config.ui)
    Outbox(config.outbox_path, kiosk_id=config.kiosk_id).close()  # fails here, not inside the UI
    remote = RemoteConfig(config) if with_remote else None  # the last good remote config
    if remote is not None and remote.ui != config.ui:
        try:
            check_ui(remote.ui)
            config = dataclasses.replace(config, ui=remote.ui)
        except ConfigError as exc:
            log.error("ignoring the saved remote config: %s", exc)
    return config, remote


def run_app(config: KioskConfig, *, windowed: bool, on_config: ConfigHook | None = None) -> int:
    """Run the touchscreen app until its window closes or SIGTERM (systemd stop) arrives.

    The hub's remote config (kiosk.remote_config) is applied live unless ``on_config`` replaces it.

    :raises ConfigError: naming the key, before Kivy is imported.
    :raises OutboxBelongsToAnotherKiosk: when the data dir holds another kiosk's outbox.
    """
    config, remote = preflight(config, with_remote=on_config is None)
    from kiosk.app import KioskApp  # first: it sets Kivy's environment before Kivy is imported
    from kiosk.window import configure_kivy, x_screen_size

    display = os.environ.get("DISPLAY")
    configure_kivy(fullscreen=config.ui.fullscreen and not windowed, display=display)
    app = KioskApp(config, on_config=on_config, remote=remote, x_screen=x_screen_size(display))
    signal.signal(signal.SIGTERM, lambda *_: app.stop_soon())
    app.run()
    return 0

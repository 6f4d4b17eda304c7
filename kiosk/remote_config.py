"""The kiosk side of remote configuration: validate, persist, apply, report.

A config message from the hub holds only the settings the hub sets; they are laid over the config file's
own ``[ui]`` and the result must pass :func:`kiosk.config.parse_ui` — the same rules as the file. A good
config is written to ``remote-config.json`` in the data dir (atomically, fsync'd), so a kiosk that boots
offline starts with the last good config. A bad one is refused with the reason reported to the hub,
and the kiosk keeps what it runs. The app's ``apply`` may refuse too (raising :class:`ConfigError`, e.g.
for a language it has no texts for); only a config both accept is saved.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feedback.protocol import ProtocolError
from feedback.remote_config import ConfigReport, decode_config, encode_report, unknown_settings
from kiosk.config import ConfigError, KioskConfig, UiConfig, parse_ui

log = logging.getLogger(__name__)

SAVED_NAME = "remote-config.json"


class ConfigRefused(ValueError):
    """A remote config the kiosk will not run; the message is the reason sent to the hub."""


def ui_table(ui: UiConfig) -> dict[str, Any]:
    """A :class:`UiConfig` as the plain table :func:`parse_ui` reads."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(ui).items() if v is not None}


def merged_ui(base: UiConfig, remote: dict[str, Any]) -> UiConfig:
    """``remote`` settings over ``base``; :raises ConfigRefused: naming the bad setting."""
    unknown = unknown_settings(remote)
    if unknown:
        raise ConfigRefused(f"config.ui.{unknown[0]} is not a setting this kiosk knows")
    table = ui_table(base)
    for key, value in remote.items():
        table[key] = {**table[key], **value} if isinstance(value, dict) and isinstance(table[key], dict) else value
    try:
        return parse_ui(table, prefix="config.ui")
    except ConfigError as exc:
        raise ConfigRefused(str(exc)) from None


class RemoteConfig:
    """Holds the remote config the kiosk runs; :meth:`handle` is the uplink's ``on_config`` hook."""

    def __init__(self, config: KioskConfig, *, apply: Callable[[UiConfig], None] | None = None) -> None:
        self.config = config
        self.path = config.data_dir / SAVED_NAME
        self.apply = apply
        self.report: Callable[[bytes], None] | None = None  # set to Uplink.report once the uplink exists
        self.version: int | None = None
        self.ui: UiConfig = config.ui
        self._refused_version: int | None = None
        self._lock = threading.Lock()
        self._load_saved()

    def _load_saved(self) -> None:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            version, remote = int(doc["version"]), dict(doc["ui"])
            self.ui = merged_ui(self.config.ui, remote)
            self.version = version
        except FileNotFoundError:
            return
        except (ValueError, KeyError, TypeError, ConfigRefused) as exc:
            # e.g. the file's [ui] changed so the saved settings no longer fit: run the file's own
            log.error("kiosk %s: ignoring saved remote config %s: %s", self.config.kiosk_id, self.path, exc)

    def handle(self, payload: bytes) -> int | None:
        """Apply a config message; return the version now running, or None when it was refused."""
        with self._lock:
            try:
                msg = decode_config(payload)
            except ProtocolError as exc:
                self._send(ConfigReport(0, False, f"not a config message: {exc}"))
                return None
            if msg.version == self.version:
                return self.version  # the retained message again after a reconnect: nothing to do
            try:
                ui = merged_ui(self.config.ui, msg.ui)
            except ConfigRefused as exc:
                log.error("kiosk %s: refused config v%d: %s", self.config.kiosk_id, msg.version, exc)
                if msg.version != self._refused_version:
                    self._refused_version = msg.version
                    self._send(ConfigReport(msg.version, False, str(exc)))
                return None
            if self.apply is not None:
                try:
                    self.apply(ui)
                except ConfigError as exc:  # e.g. a language this kiosk has no texts for
                    log.error("kiosk %s: refused config v%d: %s", self.config.kiosk_id, msg.version, exc)
                    self._refused_version = msg.version
                    self._send(ConfigReport(msg.version, False, str(exc)))
                    return None
                except Exception:  # the UI's trouble must not stop the uplink; the config is valid
                    log.exception("kiosk %s: applying config v%d", self.config.kiosk_id, msg.version)
            self._save(msg.version, msg.ui)
            self.version, self.ui = msg.version, ui
            log.info("kiosk %s: applied config v%d", self.config.kiosk_id, msg.version)
            self._send(ConfigReport(msg.version, True))
            return msg.version

    def _send(self, report: ConfigReport) -> None:
        if self.report is not None:
            self.report(encode_report(report))

    def _save(self, version: int, remote: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"version": version, "ui": remote}, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def saved_version(data_dir: Path) -> int | None:
    """The remote config version saved in ``data_dir`` (for ``kiosk status``), None if none."""
    try:
        return int(json.loads((data_dir / SAVED_NAME).read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None

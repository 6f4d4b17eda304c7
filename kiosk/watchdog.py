"""systemd's notify protocol in a few lines of stdlib: ``READY=1``, ``WATCHDOG=1``, ``STOPPING=1``.

The kiosk unit has ``Type=notify`` and ``WatchdogSec=``: the Kivy app sends READY once its window is up
and then WATCHDOG from a ``Clock`` interval on the UI thread, so a hung UI (not just a dead process)
stops the pings and systemd restarts the kiosk. Outside systemd (no ``NOTIFY_SOCKET``) every call is a
no-op. Protocol: sd_notify(3) — a datagram of newline-separated ``KEY=VALUE`` to the socket in
``NOTIFY_SOCKET`` (a leading ``@`` means the abstract namespace).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, socket_path: str | None, *, watchdog_usec: int | None = None) -> None:
        self.socket_path = socket_path
        self.watchdog_usec = watchdog_usec

    @classmethod
    def from_environ(cls, env: Mapping[str, str] = os.environ, *, pid: int | None = None) -> Notifier:
        """Read ``NOTIFY_SOCKET`` and ``WATCHDOG_USEC`` (honouring ``WATCHDOG_PID`` when set)."""
        usec: int | None = None
        owner = env.get("WATCHDOG_PID")
        if env.get("WATCHDOG_USEC", "").isdigit() and (owner is None or owner == str(pid or os.getpid())):
            usec = int(env["WATCHDOG_USEC"]) or None
        return cls(env.get("NOTIFY_SOCKET") or None, watchdog_usec=usec)

    @property
    def is_enabled(self) -> bool:
        return self.socket_path is not None

    @property
    def ping_interval_s(self) -> float | None:
        """Half the watchdog timeout, as sd_watchdog_enabled(3) recommends; None without a watchdog."""
        return self.watchdog_usec / 2_000_000 if self.watchdog_usec else None

    def notify(self, *states: str) -> bool:
        """Send ``states`` (e.g. ``"READY=1"``); False when not under systemd or the send failed."""
        if self.socket_path is None:
            return False
        address = "\0" + self.socket_path[1:] if self.socket_path.startswith("@") else self.socket_path
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
                s.sendto("\n".join(states).encode(), address)
        except OSError as exc:
            log.warning("sd_notify to %s failed: %s", self.socket_path, exc)
            return False
        return True

    def ready(self) -> bool:
        return self.notify("READY=1", "STATUS=showing the faces")

    def ping(self) -> bool:
        return self.notify("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

"""When does a kiosk on a fallback broker go back to a preferred one? The decision, pure, with times passed in.

A kiosk whose config lists several brokers (``broker.urls``) moves on to the next when one dies
(:mod:`kiosk.uplink`). Without fail-back it would stay on the fallback forever, and a fleet would end up spread
over brokers by the accidents of its outages. So, while it is connected to a broker that is not the first in its
list, it checks the earlier ones every ``broker.failback_s`` (0: never): a real MQTT CONNECT with its credentials
(:func:`kiosk.broker_check.broker_accepts`). When one answers CONNACK success, the kiosk leaves the fallback in
an orderly way (a clean DISCONNECT, so no Last Will) and connects there: a birth, then a replay of everything
unacknowledged, as after any reconnect (``docs/protocol.md``, "Several brokers").

One object per uplink, touched by the pump thread only; times are monotonic seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Failback"]


@dataclass(slots=True)
class Failback:
    """The plan of checks of the preferred brokers. ``every_s``: ``broker.failback_s`` (0: never check)."""

    every_s: float
    due_s: float | None = None  # when the next check is due; None: none planned
    is_checking: bool = False  # a check is running (its answer comes to :meth:`checked`)

    def connected(self, *, index: int, now_s: float) -> None:
        """The uplink connected to broker ``index``: on a fallback, plan the first check ``every_s`` from now."""
        self.due_s = now_s + self.every_s if index > 0 and self.every_s > 0 else None

    def disconnected(self) -> None:
        """The connection dropped: no check until the next one is made (the uplink is finding a broker)."""
        self.due_s = None

    def due(self, *, index: int, is_connected: bool, now_s: float) -> range:
        """The brokers to check now, most preferred first (the ones before ``index``, the broker in use), or an
        empty range. A non-empty answer starts a check: none other is due until :meth:`checked`."""
        if not is_connected or index == 0 or self.is_checking or self.due_s is None or now_s < self.due_s:
            return range(0)
        self.is_checking = True
        self.due_s = None
        return range(index)

    def checked(self, *, accepted: int | None, index: int, is_connected: bool, now_s: float) -> int | None:
        """A check ended. ``accepted``: the most preferred broker that accepted a connection (None: none did);
        ``index``: the broker in use now. Returns the broker to move back to, or None and plans the next check
        (a check answered after the kiosk moved elsewhere is judged against where it is now)."""
        self.is_checking = False
        if not is_connected:
            self.due_s = None  # the next connection plans its own check
            return None
        if accepted is not None and accepted < index:
            self.due_s = None
            return accepted
        self.connected(index=index, now_s=now_s)
        return None

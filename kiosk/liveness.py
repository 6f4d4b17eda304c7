"""Is the broker link still alive? The decision, as a pure function of times the uplink tracks.

A link cut silently (packets dropped, no RST) shows no error: paho alone notices only when its own PINGREQ, sent
a keep-alive after the last bytes it received, goes unanswered for another keep-alive (~2× ``keepalive_s``).
The kiosk must notice within 1.5×, so it probes sooner: after half a keep-alive without any inbound packet it
sends one that the broker must answer (an UNSUBSCRIBE, answered by UNSUBACK, see ``docs/protocol.md``), and it
gives the link up when a whole keep-alive has passed without an inbound packet and the probe has had a quarter
of one to be answered. With the pump looking every ``tick_s`` that is at most ``keepalive_s + tick_s`` after the
last packet, which is within 1.5× for every keep-alive the config allows (≥ 2 s, with a 0.5 s tick).
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Link", "link_verdict"]


class Link(Enum):
    ALIVE = "alive"  # something arrived recently: nothing to do
    PROBE = "probe"  # quiet for half a keep-alive and no probe out since: send one
    WAITING = "waiting"  # the probe is out; its answer (or any packet) is still due
    DEAD = "dead"  # nothing for a whole keep-alive, the probe unanswered: drop the link, try the next broker


def link_verdict(*, now_s: float, last_inbound_s: float, probe_sent_s: float | None, keepalive_s: float) -> Link:
    """What to do about the link, from monotonic seconds: ``last_inbound_s`` is when the last packet arrived
    (or the connection was made), ``probe_sent_s`` when the last probe went out (None: never on this link)."""
    quiet_s = now_s - last_inbound_s
    if quiet_s < keepalive_s / 2:
        return Link.ALIVE
    is_probe_out = probe_sent_s is not None and probe_sent_s >= last_inbound_s
    if not is_probe_out:
        return Link.PROBE
    assert probe_sent_s is not None
    if quiet_s >= keepalive_s and now_s - probe_sent_s >= keepalive_s / 4:
        return Link.DEAD
    return Link.WAITING

"""What the hub does about a kiosk that sends more than people can tap (a stolen kiosk password, a broken
device): pure rules over tap times, applied by the ingest transaction to every new rating in seq order.

- **Time order.** A kiosk numbers its taps in the order they happen, so a tap cannot be older than the kiosk's
  previous one (by seq). A time that goes back is raised to the previous tap's time (``time_flag =
  time_went_back``; the device's own time stays in ``device_time_ms``). Times are the hub's best-known ones
  (corrected by the boot's offset, or the receive time when implausible), never only what the kiosk claims.
- **Misuse.** The hub flags a tap within the location's response interval of the previous one itself; the
  kiosk's own flag is kept (``misuse_device``) but does not decide. With time order enforced, a kiosk can add
  at most one counted tap per response interval of real time after its latest tap, however much it sends.
- **Tap rate.** More than ``per_minute`` taps (misuse included) within a minute of tap time is far above a
  person's rate (our kiosk shows its thank-you for seconds after each tap): the kiosk is flagged (Kiosks page,
  ``/metrics``) and, unless throttling is off, the taps over the limit are refused with ``rate_limited``
  (kept raw, acknowledged as held and named in the ack, so the kiosk logs them and does not resend them).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TAPS_PER_MINUTE = 120
WINDOW_MS = 60_000
FLAGGED_FOR_MS = 60 * 60_000  # a kiosk stays flagged on the Kiosks page for an hour after going over


@dataclass(frozen=True, slots=True)
class TapLimit:
    """``per_minute`` taps per kiosk (0: no limit); over it the kiosk is flagged and, if ``is_throttling``,
    the excess refused."""

    per_minute: int = DEFAULT_TAPS_PER_MINUTE
    is_throttling: bool = True


@dataclass(slots=True)
class TapState:
    """A kiosk's running state across batches: its latest tap (by seq) and its current one-minute window."""

    last_seq: int = 0
    last_tap_ms: int | None = None
    window_start_ms: int | None = None
    window_taps: int = 0
    over_limit: int = 0  # taps over the limit in this batch

    def in_order(self, t_ms: int) -> tuple[int, bool]:
        """The tap's time, raised to the previous tap's when it went back; and whether it was raised."""
        if self.last_tap_ms is not None and t_ms < self.last_tap_ms:
            return self.last_tap_ms, True
        return t_ms, False

    def is_misuse(self, t_ms: int, *, interval_s: float) -> bool:
        return self.last_tap_ms is not None and 0 <= t_ms - self.last_tap_ms < interval_s * 1000

    def is_over(self, t_ms: int, limit: TapLimit) -> bool:
        """Count a tap at ``t_ms`` in its minute; True when it goes over the limit."""
        if self.window_start_ms is None or not self.window_start_ms <= t_ms < self.window_start_ms + WINDOW_MS:
            self.window_start_ms, self.window_taps = t_ms, 0
        self.window_taps += 1
        if limit.per_minute and self.window_taps > limit.per_minute:
            self.over_limit += 1
            return True
        return False

    def took(self, seq: int, t_ms: int) -> None:
        """A tap was stored: it is the previous one for the next."""
        self.last_seq, self.last_tap_ms = seq, t_ms

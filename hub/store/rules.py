"""The ingest's rules both engines apply, without SQL: when a rating happened, when to ask for a resend."""

from __future__ import annotations

from feedback.rating import Rating

FUTURE_TOLERANCE_MS = 10 * 60_000
MAX_AGE_MS = 400 * 86_400_000
CLOCK_ERROR_MS = 2 * 60_000
RESEND_INTERVAL_MS = 5_000
GAP_GRACE_MS = 2_000  # PostgreSQL, several workers: a gap younger than this is another worker's batch in flight


def effective_time(r: Rating, received_ms: int, boot_start_ms: int | None) -> tuple[int, str | None]:
    """The rating's best-known true time and a flag when it differs from the device's own clock.

    When the hub knows the boot's start in hub time (``boot_start_ms``, from a live status message), the true
    time is that start plus the rating's monotonic offset; a device clock off by more than 2 minutes from it
    is corrected. Without it, a device time in the future or too old is replaced by the receive time.
    """
    if boot_start_ms is not None:
        true_ms = boot_start_ms + r.mono_ms
        if abs(true_ms - r.time_ms) > CLOCK_ERROR_MS and true_ms <= received_ms + FUTURE_TOLERANCE_MS:
            return true_ms, "clock_corrected"
    if r.time_ms > received_ms + FUTURE_TOLERANCE_MS:
        return received_ms, "time_in_future"
    if r.time_ms < received_ms - MAX_AGE_MS:
        return received_ms, "time_too_old"
    return r.time_ms, None


def may_resend(last_resend_ms: int | None, now_ms: int) -> bool:
    """At most one resend request per kiosk every ``RESEND_INTERVAL_MS`` (no storms while a gap fills)."""
    return last_resend_ms is None or now_ms - last_resend_ms >= RESEND_INTERVAL_MS

"""The staff panel's facts as text: what a shop assistant reads out on the phone to whoever runs the hub."""

from __future__ import annotations

from datetime import datetime

from kiosk.i18n import Texts
from kiosk.uplink import UplinkState


def staff_text(t: Texts, *, kiosk_id: str, location_id: str, state: UplinkState, pending: int | None,
               now: datetime, is_ntp_synced: bool | None, version: str, last_error: str | None) -> str:
    """Kivy markup, one fact per line. ``now`` is aware local time."""
    if state.last_ack_ms is None:
        ack = t("never")
    else:
        ack = datetime.fromtimestamp(state.last_ack_ms / 1000, tz=now.tzinfo).strftime("%Y-%m-%d %H:%M:%S")
    hub = {True: t("online"), False: t("offline"), None: t("unknown")}[state.is_hub_online]
    ntp = {True: t("NTP synchronised"), False: t("not synchronised"), None: t("unknown")}[is_ntp_synced]
    rows = [
        (t("Kiosk"), kiosk_id),
        (t("Location"), location_id),
        (t("Broker"), t("connected") if state.is_connected else t("not connected")),
        (t("Hub"), hub),
        (t("Pending ratings"), "…" if pending is None else str(pending)),
        (t("Last hub ack"), ack),
        (t("Clock"), f"{now.strftime('%Y-%m-%d %H:%M:%S %Z')} ({ntp})"),
        (t("Version"), version),
        (t("Last error"), _escape(last_error) if last_error else t("none")),
    ]
    return "\n".join(f"[b]{label}:[/b] {value}" for label, value in rows)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")[:160]

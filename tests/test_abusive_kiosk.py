"""A kiosk whose password was stolen floods the hub: it is flagged and throttled, and the store's score holds."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from feedback import protocol as p
from feedback.scores import score
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.dashboard.test_browser import SHOTS, add_user, sign_in
from tests.harness import HubProcess, KioskRun, oracle_count, provision, stored, wait_until
from tests.mqtt_client import RawClient

NORMAL_TAPS = 200
FLOOD_BATCHES = 30  # of 100 ratings: 3,000 happiest faces claiming misuse false


def _flood_rating(seq: int, time_ms: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "uuid": str(uuid.uuid4()),
        "face": 3,
        "scale": 4,
        "question": "q1",
        "reason": None,
        "time_ms": time_ms,
        "boot_id": "stolen",
        "mono_ms": seq,
        "misuse": False,
    }


def _counts(data_dir: Path, kiosk_id: str) -> list[int]:
    """Counted (not misuse) taps per face of one kiosk, straight from the hub's table."""
    sql = "SELECT count(*) FROM ratings WHERE kiosk_id = ? AND misuse = 0 AND face = ?"
    return [oracle_count(data_dir, sql, kiosk_id, face) for face in range(4)]


def _connected(config: Path, hub: HubProcess) -> RawClient:
    def attempt() -> RawClient | None:
        client = RawClient.for_kiosk(config, hub.mqtt_port)
        if client.connect().is_failure:
            client.close()
            return None
        return client

    client: RawClient = wait_until(attempt, timeout=15, message="the kiosk's credentials accepted by the broker")
    return client


def _kiosks_page_shows_the_flag(hub: HubProcess) -> None:
    add_user(hub.data_dir, "boss", "--role", "admin")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 520}, locale="en-GB")
        sign_in(page, hub.url, "boss")
        page.goto(hub.url + "/fleet")
        badge = page.wait_for_selector("tr[data-kiosk=k-flood] .badge.flagged", timeout=15_000)
        assert badge is not None and badge.inner_text() == "too many taps"
        assert page.query_selector("tr[data-kiosk=k-real] .badge.flagged") is None
        page.screenshot(path=str(SHOTS / "fleet-flagged-kiosk.png"))
        browser.close()


def test_a_flooding_kiosk_is_flagged_throttled_and_cannot_move_the_index(tmp_path: Path) -> None:
    """3,000 happy taps in seconds (live, alternating past times, future times) are flagged, mostly refused as
    rate_limited, the rest judged misuse by the hub; the store's index stays the normal kiosk's; it loses nothing."""
    hub = HubProcess(tmp_path / "hub", is_throttling_kiosks=True).start()  # the hub's defaults
    normal: KioskRun | None = None
    try:
        paths = provision(
            hub.data_dir, location="sto", kiosks=["k-real", "k-flood"], broker_url=hub.broker_url, out_dir=tmp_path
        )
        thief = _connected(paths["k-flood"], hub)  # once the broker has reloaded its password file
        normal = KioskRun(
            paths["k-real"],
            tmp_path / "real-data",
            *("--taps", str(NORMAL_TAPS), "--backfill-days", "2", "--mood", "-0.6", "--seed", "7"),
            *("--rate", "100", "--wait-acked", "120"),
        )
        thief.subscribe(p.kiosk_topic("k-flood", p.ACK))
        started = time.time()
        now_ms = int(started * 1000)
        for b in range(FLOOD_BATCHES):
            seqs = range(b * 100 + 1, b * 100 + 101)
            if b < 10:  # live: every tap "now"
                times = [now_ms + s for s in seqs]
            elif b < 20:  # alternating yesterday and the day before: never within 5 s of the previous one
                times = [now_ms - (1 + s % 2) * 86_400_000 + s * 6_000 for s in seqs]
            else:  # a year ahead, 6 s apart
                times = [now_ms + 365 * 86_400_000 + s * 6_000 for s in seqs]
            doc = {"v": 1, "ratings": [_flood_rating(s, t) for s, t in zip(seqs, times, strict=True)]}
            assert not thief.publish(p.kiosk_topic("k-flood", p.RATINGS), json.dumps(doc).encode()).is_failure

        through = [0]

        def all_acked() -> bool:
            while not thief.messages.empty():
                ack = p.decode_ack(bytes(thief.messages.get().payload))
                through[0] = max(through[0], ack.acked_through)
            return through[0] == FLOOD_BATCHES * 100

        wait_until(all_acked, timeout=60, message="every flood seq acknowledged (stored or refused: held)")
        flood_seconds = time.time() - started
        thief.close()
        assert normal.wait() == 0
        assert stored(hub.data_dir, kiosk_id="k-real") == NORMAL_TAPS  # the kiosk beside it lost nothing
        judged_otherwise = "SELECT count(*) FROM ratings WHERE kiosk_id = 'k-real' AND misuse != misuse_device"
        assert oracle_count(hub.data_dir, judged_otherwise) == 0  # the hub's rule agrees with an honest kiosk

        refused = hub.api("/api/rejections")["by_reason"].get("rate_limited", 0)
        kept = stored(hub.data_dir, kiosk_id="k-flood")
        assert refused + kept == FLOOD_BATCHES * 100 and refused > 2_000, (refused, kept)
        flood_counted = sum(_counts(hub.data_dir, "k-flood"))
        assert flood_counted <= 1 + flood_seconds / 5, f"{flood_counted} flood taps counted in {flood_seconds:.1f} s"

        real = _counts(hub.data_dir, "k-real")
        flood = _counts(hub.data_dir, "k-flood")
        summary = hub.api("/api/locations/sto/summary")
        both = score({4: [a + b for a, b in zip(real, flood, strict=True)]})
        assert (summary["total"], summary["happy_index"]) == (both.total, both.happy_index)
        real_only = score({4: real}).happy_index
        assert real_only is not None and summary["happy_index"] is not None
        assert abs(summary["happy_index"] - real_only) <= 100 * flood_counted / both.total + 0.1

        fleet = {k["id"]: k for k in hub.api("/api/fleet")["kiosks"]}
        assert fleet["k-flood"]["is_flagged"] and fleet["k-flood"]["taps_over_limit"] == refused
        assert not fleet["k-real"]["is_flagged"]
        metrics = hub.api_text("/metrics")
        assert 'hub_kiosk_flagged{kiosk="k-flood"} 1' in metrics and "hub_kiosks_flagged 1" in metrics
        _kiosks_page_shows_the_flag(hub)
    finally:
        if normal is not None:
            normal.kill()
        hub.stop()

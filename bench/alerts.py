"""Cost of one alert evaluation cycle at chain scale: 1,000 stores, 3,000 kiosks, a year of ratings.

Data: the fixture of ``bench/dashboard.py`` (registry through the store, ratings by bulk SQL, rollups rebuilt by
the store); then every kiosk's presence through the ingest's own ``store.ledger.store_status`` (a heartbeat with
a backlog and a clock reading), opening hours on every store, and a manager with an e-mail per region. Rules: one
of each kind for every store (Happy Index below 60 over 2 h, % unhappy above 30 today, responses below 5 over
7 days, silent kiosk 30 min, backlog growing 10 min, clock skew 120 s, refused config).

Measured in one run: ``hub.alerts.cycle.run_cycle`` (facts from the store, the pure evaluation, reconciling and
applying alerts with their queued messages) — the first cycle (which opens alerts and queues their e-mails) and
then steady cycles a minute apart; the baseline is one dashboard overview of every store (last 7 days against
the 7 before), the request a manager makes most. Printed: ms per cycle (p50/p95), the ratio to the baseline,
and the share of one core at the default interval (60 s).

    .venv/bin/python -m bench.alerts [--ratings 2000000] [--locations 1000] [--kiosks 3000] [--cycles 20] [--reuse]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.dashboard import NOW_MS, ROOT, generate
from feedback import protocol as p
from hub.accounts import add_user
from hub.alerts.cycle import run_cycle
from hub.alerts.messages import Outgoing
from hub.reports.localtime import today
from hub.reports.opening_hours import opening_hours_json
from hub.reports.ranges import DayRange, previous_of
from hub.reports.scoring import overview
from hub.store import Store, open_store

RULES = [
    ("happy_index_below", 60.0, "2h", 30),
    ("unhappy_pct_above", 30.0, "today", 30),
    ("responses_below", 5.0, "7d", 0),
    ("kiosk_silent", 30.0, None, 0),
    ("backlog_growing", 10.0, None, 0),
    ("clock_skew", 120.0, None, 0),
    ("config_refused", 0.0, None, 0),
]
DEFAULT_INTERVAL_S = 60


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare(store: Store, *, kiosks: int) -> None:
    """Presence, opening hours, users and rules (idempotent enough for --reuse: it starts from a fresh copy)."""
    hours = opening_hours_json("mon-fri 8-21, sat 9-18, sun 10-17")
    regions = sorted({loc.region_id for loc in store.registry.locations() if loc.region_id})
    for loc in store.registry.locations():
        store.registry.set_location_details(loc.id, region_id=None, opening_hours_json=hours)
    for k in range(kiosks):
        # every 20th kiosk went quiet an hour ago; the rest sent a heartbeat a minute ago
        seen = NOW_MS - (3_600_000 if k % 20 == 0 else 60_000)
        status = p.Status(
            "online", pending=k % 7, clock_ms=seen + (300_000 if k % 50 == 0 else 200), boot_id="b", mono_ms=1000,
            kind="heartbeat",
        )  # fmt: skip
        store.ledger.store_status(f"k-{k:05d}", status, received_ms=seen, is_retained=False)
    for i, region in enumerate(regions):
        add_user(store, f"manager-{i:02d}", role="manager", password="bench password", now_ms=NOW_MS,
                 region_ids=[region])  # fmt: skip
        store.deliveries.set_profile(f"manager-{i:02d}", email=f"m{i}@example.com", language="sv",
                                     timezone="Europe/Stockholm")  # fmt: skip
    for kind, threshold, window, min_answers in RULES:
        store.alerts.add_rule(
            kind=kind, scope="all", scope_id=None, threshold=threshold, window=window, min_answers=min_answers,
            include_misuse=False, owner="bench", owner_role="admin", now_ms=NOW_MS,
        )  # fmt: skip


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ratings", type=int, default=2_000_000, help="default 2M (10M takes minutes to generate)")
    ap.add_argument("--locations", type=int, default=1000)
    ap.add_argument("--kiosks", type=int, default=3000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="reuse the generated ratings of an earlier run")
    ap.add_argument("--dir", type=Path, default=ROOT / "bench-output" / "alerts")
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    base = args.dir / f"base-{args.ratings}-{args.locations}-{args.kiosks}.db"
    if not (args.reuse and base.exists()):
        base.unlink(missing_ok=True)
        started = time.perf_counter()
        generate(base, ratings=args.ratings, locations=args.locations, kiosks=args.kiosks, days=args.days)
        log(f"generated {args.ratings:,} ratings in {time.perf_counter() - started:.0f} s")
    db = args.dir / "run.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with open_store(base) as src, open_store(db) as dst:
        src.conn.backup(dst.conn)
    out = Outgoing("hub@example.com", "http://hub.example", b"k" * 32)
    with open_store(db) as store:
        prepare(store, kiosks=args.kiosks)
        locs = store.registry.locations()
        t0 = time.perf_counter()
        first = run_cycle(store, out, now_ms=NOW_MS)
        first_ms = (time.perf_counter() - t0) * 1000
        queued = len(store.deliveries.recent(user_ids=None, limit=100_000))
        cycles = []
        for i in range(1, args.cycles + 1):
            t0 = time.perf_counter()
            result = run_cycle(store, out, now_ms=NOW_MS + i * 60_000)
            cycles.append((time.perf_counter() - t0) * 1000)
        last = today("Europe/Stockholm", NOW_MS)
        days = DayRange(last - timedelta(days=6), last)
        base_ms = []
        for _ in range(max(5, args.cycles // 2)):
            t0 = time.perf_counter()
            overview(store, locs, days, previous_of(days))
            base_ms.append((time.perf_counter() - t0) * 1000)
    p50, p95 = statistics.median(cycles), pct(cycles, 0.95)
    baseline = statistics.median(base_ms)
    print(f"fixture: {args.ratings:,} ratings, {args.locations:,} stores, {args.kiosks:,} kiosks, {len(RULES)} rules")
    print(f"first cycle: {first_ms:.0f} ms ({len(first.opened):,} alerts opened, {queued:,} messages queued)")
    print(f"steady cycle: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({result.holding:,} conditions holding)")
    print(
        f"baseline: one overview of every store (7 days vs 7 before) p50 {baseline:.1f} ms; ratio {p50 / baseline:.2f}"
    )
    share = 100 * p50 / (DEFAULT_INTERVAL_S * 1000)
    print(f"share of one core at --alert-interval-s {DEFAULT_INTERVAL_S}: {share:.2f} % (target < 5 %)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

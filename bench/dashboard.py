"""Dashboard reads at chain scale: 10 million ratings, 1,000 locations, 3,000 kiosks, one year.

Data: locations and kiosks go through the store's registry; ratings are written by bulk SQL straight into the
hub's ``ratings`` table (a fixture: same schema, local day and hour from ``hub.reports.localtime.local_bucket``,
about 2 % flagged as misuse, reasons on half the unhappy answers); the rollups are then built by
``store.rollups.rebuild_location`` — the code a misuse-rule recompute runs — and ``rollup_daily`` follows through
its triggers. Generation takes a few minutes at full size; ``--reuse`` keeps
the database for another run.

Measured in one run, through the real FastAPI app (ASGI, JSON encoding included), as an admin seeing every
location: p50/p95 of ``/api/overview`` (the default last 7 days + previous 7, and last 30 + previous 30),
``/api/locations/{id}/report`` (30 days) and ``/api/compare`` (30 days); the same figures computed from the
raw ``ratings`` table (its ``(location_id, time_ms)`` index, local-day bounds per zone) and the ratio; the same
calls narrowed to one question (``?question=``, issue 11) and their ratio to the call for all questions, after a
tenth of the stores switched half of their last 10 days' answers to a second question; the CSV export rate of
``/api/exports/ratings.csv`` in rows/s.

    .venv/bin/python -m bench.dashboard [--ratings 10000000] [--locations 1000] [--kiosks 3000] [--reuse]
    .venv/bin/python -m bench.dashboard --ratings 300000 --locations 100 --kiosks 300   # quick run
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from feedback.scores import score
from hub.accounts import create_token
from hub.app import create_app
from hub.config import HubConfig
from hub.fleet.kiosks import register_kiosk
from hub.reports import location as location_report
from hub.reports import scoring
from hub.reports.localtime import day_bounds_ms, local_bucket, today
from hub.reports.ranges import DayRange
from hub.store import Store, open_store

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
ZONES = ["Europe/Stockholm"] * 8 + ["Europe/Helsinki", "Europe/London"]
REASONS = ["queue", "staff", "cleanliness", "selection", "price"]
INDEX = "ratings_location_time"  # the hub's index on ratings(location_id, time_ms), which the raw baseline uses
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 6, 8, 12, 11, 7, 6, 8, 12, 13, 9, 5, 2, 0, 0]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def generate(db_path: Path, *, ratings: int, locations: int, kiosks: int, days: int, seed: int = 7) -> None:
    """Registry through the store; ratings by bulk insert; rollups by ``store.rollups.rebuild_location``."""
    with open_store(db_path) as store:
        _generate(store, ratings=ratings, locations=locations, kiosks=kiosks, days=days, seed=seed)


def register_fleet(
    store: Store, rng: random.Random, *, locations: int, kiosks: int
) -> tuple[list[tuple[str, str, float]], list[tuple[str, str, str, float]]]:
    """The fixture's locations and kiosks through the store's registry: ``(id, zone, mood)`` per location and
    ``(kiosk id, location id, zone, mood)`` per kiosk (the same for the same ``rng`` state, on either engine)."""
    locs = []
    for i in range(locations):
        loc_id = f"loc-{i:04d}"
        store.registry.add_location(
            loc_id,
            name=f"Store {i:04d}",
            timezone=ZONES[i % len(ZONES)],
            now_ms=NOW_MS,
            region_id=f"region-{i % 20:02d}",
        )
        locs.append((loc_id, ZONES[i % len(ZONES)], rng.uniform(-0.6, 0.6)))
    kiosk_list = []
    for k in range(kiosks):
        loc_id, tz, mood = locs[k % locations]
        kid = f"k-{k:05d}"
        register_kiosk(store, kid, location_id=loc_id, now_ms=NOW_MS)
        kiosk_list.append((kid, loc_id, tz, mood))
    return locs, kiosk_list


def _generate(store: Store, *, ratings: int, locations: int, kiosks: int, days: int, seed: int) -> None:
    rng = random.Random(seed)
    locs, kiosk_list = register_fleet(store, rng, locations=locations, kiosks=kiosks)
    # The ratings are a fixture, not the code under test: raw SQL on the store's own connection, straight into
    # the hub's ``ratings`` table (the ledger's per-batch work would take hours at 10 M rows). Durability is off
    # while loading, and the (location_id, time_ms) index is dropped and re-created afterwards from its own DDL
    # (faster than growing it; the store's versioned migrations do not re-create a dropped index).
    conn = store.conn
    conn.execute("PRAGMA synchronous=OFF")
    index_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (INDEX,)).fetchone()
    conn.execute(f"DROP INDEX {INDEX}")
    per_kiosk = ratings // kiosks
    start_ms = NOW_MS - days * 86_400_000
    hours = [h for h, w in enumerate(HOUR_WEIGHTS) for _ in range(w)]
    started = time.perf_counter()
    done = 0
    for n_kiosk, (kid, loc_id, tz, mood) in enumerate(kiosk_list):
        n = per_kiosk + (1 if n_kiosk < ratings - per_kiosk * kiosks else 0)
        rows = []
        times = sorted(
            start_ms + rng.randrange(days) * 86_400_000 + (rng.choice(hours) - 1) * 3_600_000 + rng.randrange(3_600_000)
            for _ in range(n)
        )
        previous = -(10**12)
        for seq, t in enumerate(times, start=1):
            misuse = rng.random() < 0.02
            if misuse:  # a quick repeat, flagged as the kiosk would
                t = previous + rng.randrange(500, 4_000)
            previous = t
            centre = 2.0 + 0.5 * mood
            face = min(3, max(0, int(rng.gauss(centre, 0.9) + 0.5)))
            reason = rng.choice(REASONS) if face <= 1 and rng.random() < 0.5 else None
            day, hour, _ = local_bucket(tz, t)
            rows.append(
                (
                    kid,
                    seq,
                    f"{n_kiosk:08x}-0000-4000-8000-{seq:012x}",
                    loc_id,
                    face,
                    4,
                    "visit",
                    reason,
                    t,
                    t,
                    None,
                    "bench",
                    seq,
                    int(misuse),
                    int(misuse),
                    t,
                    day,
                    hour,
                )
            )
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO ratings (kiosk_id, seq, uuid, location_id, face, scale, question, reason, device_time_ms,"
            " time_ms, time_flag, boot_id, mono_ms, misuse_device, misuse, received_ms, local_day, local_hour)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute("COMMIT")
        done += n
        if n_kiosk % 300 == 299:
            log(f"  ratings: {done:,} ({done / (time.perf_counter() - started):,.0f}/s)")
    log("  index (location_id, time_ms) ...")
    conn.execute(index_sql[0])
    started = time.perf_counter()
    for i, (loc_id, _, _) in enumerate(locs, start=1):
        store.rollups.rebuild_location(loc_id)  # one transaction each (cheap: synchronous is still off)
        if i % 50 == 0 or i == locations:
            log(f"  rollups: {i}/{locations} locations ({time.perf_counter() - started:.0f} s)")
    conn.execute("ANALYZE")  # fixture: planner statistics, as a long-running hub would have gathered
    conn.execute("PRAGMA synchronous=FULL")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


# ---------------------------------------------------------------------------------------------- raw baseline
def fixture_rollup_rows(conn: sqlite3.Connection) -> tuple[int, int]:
    """Rows in ``rollup_hourly`` and ``rollup_daily``, to describe the fixture (the store offers no table sizes)."""
    row = conn.execute("SELECT (SELECT count(*) FROM rollup_hourly), (SELECT count(*) FROM rollup_daily)").fetchone()
    return int(row[0]), int(row[1])


def _raw_counts(
    conn: sqlite3.Connection, loc_id: str, tz: str, first: date, last: date, split: date | None = None
) -> dict[tuple[bool, int], list[int]]:
    start, end = day_bounds_ms(tz, first, last)
    split_ms = day_bounds_ms(tz, split, split)[0] if split else start
    out: dict[tuple[bool, int], list[int]] = {}
    for is_current, scale, face, n in conn.execute(
        "SELECT time_ms >= ?, scale, face, count(*) FROM ratings WHERE location_id = ? AND time_ms >= ?"
        " AND time_ms < ? AND misuse = 0 GROUP BY 1, 2, 3",
        (split_ms, loc_id, start, end),
    ):
        out.setdefault((bool(is_current), scale), [0] * scale)[face] += n
    return out


def raw_overview(conn: sqlite3.Connection, locs: list[tuple[str, str]], days: int) -> dict[str, int]:
    totals = {}
    for loc_id, tz in locs:
        last = today(tz, NOW_MS)
        first = last - timedelta(days=days - 1)
        counts = _raw_counts(conn, loc_id, tz, first - timedelta(days=days), last, split=first)
        now = {sc: c for (cur, sc), c in counts.items() if cur}
        before = {sc: c for (cur, sc), c in counts.items() if not cur}
        totals[loc_id] = score(now).total
        score(before)
    return totals


def raw_location(conn: sqlite3.Connection, loc_id: str, tz: str, days: int) -> int:
    last = today(tz, NOW_MS)
    first = last - timedelta(days=days - 1)
    start, end = day_bounds_ms(tz, first, last)
    where = "location_id = ? AND time_ms >= ? AND time_ms < ? AND misuse = 0"
    args = (loc_id, start, end)
    _raw_counts(conn, loc_id, tz, first - timedelta(days=days), last, split=first)
    conn.execute(
        f"SELECT local_day, scale, face, count(*) FROM ratings WHERE {where} GROUP BY 1, 2, 3", args
    ).fetchall()
    conn.execute(
        "SELECT (CAST(strftime('%w', local_day) AS INTEGER) + 6) % 7 + 1, local_hour, scale, face,"
        f" count(*) FROM ratings WHERE {where} GROUP BY 1, 2, 3, 4",
        args,
    ).fetchall()
    conn.execute(f"SELECT kiosk_id, scale, face, count(*) FROM ratings WHERE {where} GROUP BY 1, 2, 3", args).fetchall()
    conn.execute(
        f"SELECT reason, count(*) FROM ratings WHERE {where} AND reason IS NOT NULL AND face * 2 < scale - 1"
        " GROUP BY 1",
        args,
    ).fetchall()
    total = conn.execute(f"SELECT count(*) FROM ratings WHERE {where}", args).fetchone()[0]
    return int(total)


# ---------------------------------------------------------------------------------------------- ingest cost
DASHBOARD_TRIGGERS = [
    "rollup_daily_on_insert",
    "rollup_daily_on_update",
    "rollup_daily_on_delete",
    "rollup_cum_on_insert",
    "rollup_cum_on_update",
    "rollup_cum_on_delete",
    "kiosk_last_online_on_insert",
    "kiosk_last_online_on_update",
]


def ingest_rate(path: Path, *, with_triggers: bool, spread_days: int, n: int = 20_000) -> float:
    """Ratings/s through ``store.ledger.store_batch`` (200-rating batches from 20 kiosks) into a fresh store."""
    with open_store(path) as store:
        return _ingest_rate(store, with_triggers=with_triggers, spread_days=spread_days, n=n)


def _ingest_rate(store: Store, *, with_triggers: bool, spread_days: int, n: int) -> float:
    from feedback.rating import Rating
    from hub.store.records import Incoming

    if not with_triggers:
        # the baseline: the same store without the dashboard's triggers, dropped by raw SQL on this throwaway
        # file (deliberately no store API for it)
        for name in DASHBOARD_TRIGGERS:
            store.conn.execute(f"DROP TRIGGER {name}")
    store.registry.add_location("loc", name="Loc", timezone="Europe/Stockholm", now_ms=NOW_MS)
    kiosks = [f"k{i}" for i in range(20)]
    for kid in kiosks:
        register_kiosk(store, kid, location_id="loc", now_ms=NOW_MS)
    per = n // len(kiosks)
    start = NOW_MS - spread_days * 86_400_000
    batches = []
    for first in range(0, per, 200):
        for k, kid in enumerate(kiosks):
            ratings = [
                Rating(
                    kid,
                    seq,
                    f"00000000-0000-4000-8000-{k:04d}{seq:08d}",
                    seq % 4,
                    4,
                    "visit",
                    start + (NOW_MS - start) * seq // per + k * 1000,
                    "b",
                    seq,
                )
                for seq in range(first + 1, first + 201)
            ]
            batches.append(Incoming(kid, NOW_MS, ratings))
    t0 = time.perf_counter()
    for item in batches:
        store.ledger.store_batch([item], now_ms=NOW_MS)
    return n / (time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--ratings", type=int, default=10_000_000)
    ap.add_argument("--locations", type=int, default=1000)
    ap.add_argument("--kiosks", type=int, default=3000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=40, help="timed calls per API route")
    ap.add_argument("--raw-repeat", type=int, default=3, help="timed raw-table overview computations (slow)")
    ap.add_argument("--data-dir", type=Path, default=ROOT / "bench-output" / "dashboard")
    ap.add_argument("--reuse", action="store_true", help="keep an existing database with the same parameters")
    args = ap.parse_args(argv)
    if args.kiosks < args.locations or args.ratings < args.kiosks:
        ap.error("need kiosks >= locations and ratings >= kiosks")

    tag = f"{args.ratings}-{args.locations}-{args.kiosks}-{args.days}"
    data_dir = args.data_dir / tag
    db_path = data_dir / "hub.db"
    if not (args.reuse and (data_dir / "complete").exists()):
        for f in data_dir.glob("hub.db*"):
            f.unlink()
        data_dir.mkdir(parents=True, exist_ok=True)
        log(f"generating {args.ratings:,} ratings, {args.locations} locations, {args.kiosks} kiosks ...")
        t0 = time.perf_counter()
        generate(db_path, ratings=args.ratings, locations=args.locations, kiosks=args.kiosks, days=args.days)
        (data_dir / "complete").touch()
        log(f"generated in {time.perf_counter() - t0:.0f} s")

    with open_store(db_path) as store:
        return _measure(store, args, data_dir)


def _measure(store: Store, args: argparse.Namespace, data_dir: Path) -> int:
    counts = store.ops.rating_counts()
    assert counts.ratings == counts.rolled_up, counts
    locs = [(loc.id, loc.timezone) for loc in store.registry.locations()]
    token = create_token(store, role="admin", now_ms=NOW_MS)
    rng = random.Random(3)
    sample = [locs[rng.randrange(len(locs))] for _ in range(args.repeat)]
    raw = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True)
    rollup_rows = fixture_rollup_rows(raw)
    app = create_app(HubConfig(data_dir=data_dir, ingest_enabled=False), now_ms=lambda: NOW_MS, run_services=False)
    results: list[tuple[str, list[float], list[float], list[float]]] = []
    q_repeat = max(3, args.repeat // 4)  # a filtered overview of every store may count raw rows: fewer calls
    # a host name the hub serves (its default allowed hosts); the test client's "testserver" is refused
    with TestClient(app, base_url="http://127.0.0.1", headers={"Authorization": f"Bearer {token}"}) as client:

        def get(path: str, **params: Any) -> Any:
            r = client.get(path, params=params)
            assert r.status_code == 200, r.text[:200]
            return r

        # correctness first: the API's totals equal the raw table's
        api_totals = {r["id"]: r["total"] for r in get("/api/overview", range="last_30_days").json()["locations"]}
        assert api_totals == raw_overview(raw, locs, 30), "rollup and raw totals differ"
        loc_id, tz = sample[0]
        assert get(f"/api/locations/{loc_id}/report", range="last_30_days").json()["summary"]["total"] == raw_location(
            raw, loc_id, tz, 30
        )
        get("/api/overview")  # warm-up

        by_id = {loc.id: loc for loc in store.registry.locations()}
        everyone = list(by_id.values())

        def period(days: int) -> tuple[DayRange, DayRange]:
            last = today("Europe/Stockholm", NOW_MS)
            first = last - timedelta(days=days - 1)
            return DayRange(first, last), DayRange(first - timedelta(days=days), first - timedelta(days=1))

        for label, days, preset in (
            ("overview, 7 days + previous", 7, "last_7_days"),
            ("overview, 30 days + previous", 30, "last_30_days"),
        ):
            api = timed(lambda preset=preset: get("/api/overview", range=preset), args.repeat)
            cur, prev = period(days)
            lib = timed(lambda cur=cur, prev=prev: scoring.overview(store, everyone, cur, prev), args.repeat)
            base = timed(lambda days=days: raw_overview(raw, locs, days), args.raw_repeat)
            results.append((label, api, lib, base))
        it = iter(sample * 4)  # three timed runs below, one more for the per-question store page
        api = timed(lambda: get(f"/api/locations/{next(it)[0]}/report", range="last_30_days"), args.repeat)
        cur, prev = period(30)
        lib = timed(lambda: location_report.report(store, by_id[next(it)[0]], cur, prev), args.repeat)
        base = timed(lambda: raw_location(raw, *next(it), 30), args.repeat)
        results.append(("location report, 30 days", api, lib, base))
        api = timed(lambda: get("/api/compare", range="last_30_days"), args.repeat)
        lib = timed(lambda: scoring.compare(store, everyone, cur), args.repeat)
        base = timed(lambda: raw_overview(raw, locs, 30), args.raw_repeat)
        results.append(("compare, 30 days", api, lib, base))

        # one question (issue 11). Every fixture rating answers "visit"; a tenth of the stores changed half of
        # their last 10 days' answers to "queue" (set here, idempotent, on the raw ratings only: the rollups pool
        # questions anyway). Where one question was answered in a period its counts come from the rollups, where
        # two were from the raw ratings by the (location, question, day) index.
        changed = [loc_id for loc_id, _ in locs[::10]]
        since = (today("Europe/Stockholm", NOW_MS) - timedelta(days=9)).isoformat()
        store.conn.execute("BEGIN IMMEDIATE")
        store.conn.execute(
            f"UPDATE ratings SET question = 'queue' WHERE location_id IN ({','.join('?' * len(changed))})"
            " AND question = 'visit' AND local_day >= ? AND seq % 2 = 0",
            (*changed, since),
        )
        store.conn.execute("COMMIT")
        by_question = {
            q: get("/api/overview", range="last_30_days", question=q).json()["all"]["total"] for q in ("visit", "queue")
        }
        assert by_question["visit"] + by_question["queue"] == sum(api_totals.values()), by_question
        assert 0 < by_question["queue"] < by_question["visit"], by_question
        filtered = [
            (
                "overview, 30 days, ?question=",
                timed(lambda: get("/api/overview", range="last_30_days", question="visit"), q_repeat),
                results[1][1],
            ),
            (
                "  … the changed stores' 2nd",
                timed(lambda: get("/api/overview", range="last_30_days", question="queue"), q_repeat),
                results[1][1],
            ),
            (
                "compare, 30 days, ?question=",
                timed(lambda: get("/api/compare", range="last_30_days", question="visit"), q_repeat),
                results[3][1],
            ),
            (
                "store page, 30 days, ?question=",
                timed(
                    lambda: get(f"/api/locations/{next(it)[0]}/report", range="last_30_days", question="visit"),
                    args.repeat,
                ),
                results[2][1],
            ),
            (
                "questions (picker), 30 days",
                timed(lambda: get("/api/questions", range="last_30_days"), args.repeat),
                results[1][1],
            ),
        ]

        t0 = time.perf_counter()
        rows = 0
        with client.stream("GET", "/api/exports/ratings.csv", params={"range": "last_30_days"}) as resp:
            for line in _lines(resp.iter_text()):
                rows += 1 if line else 0
        export_s = time.perf_counter() - t0
        rows -= 1  # header

    print(
        f"dashboard bench: {counts.ratings:,} ratings, {len(locs)} locations, {args.kiosks} kiosks, {args.days} days;"
        f" rollup_hourly {rollup_rows[0]:,} rows, rollup_daily {rollup_rows[1]:,} rows"
    )
    print(
        "API = through the FastAPI app (ASGI test client, auth, JSON); rollups = the same report computed"
        " in-process from the rollups; raw = computed from the ratings table (index on location_id, time_ms)"
    )
    print(
        f"{'call':30} {'API p50':>8} {'API p95':>8} {'rollups p50':>12} {'raw p50':>9} {'raw/rollups':>12}"
        f" {'raw/API':>8}   (ms)"
    )
    for label, api, lib, base in results:
        p50, p95 = percentiles(api)
        lib50, _ = percentiles(lib)
        raw50, _ = percentiles(base)
        print(f"{label:30} {p50:8.1f} {p95:8.1f} {lib50:12.1f} {raw50:9.1f} {raw50 / lib50:11.1f}x {raw50 / p50:7.1f}x")
    print(
        f"{'one question':30} {'API p50':>8} {'API p95':>8} {'÷ same call, all questions, p50':>32}   (ms;"
        f" {by_question['visit']:,} + {by_question['queue']:,} answers in 30 days)"
    )
    for label, api, pooled in filtered:
        p50, p95 = percentiles(api)
        print(f"{label:30} {p50:8.1f} {p95:8.1f} {p50 / percentiles(pooled)[0]:31.1f}x")
    print(
        f"CSV export (ratings.csv, every location, 30 days): {rows:,} rows in {export_s:.1f} s ="
        f" {rows / export_s:,.0f} rows/s"
    )
    for label, spread in (("live taps (today)", 0), ("backfill over 30 days", 30)):
        rates = []
        for with_triggers in (False, True):
            path = data_dir / f"ingest-{spread}-{with_triggers}.db"
            for f in data_dir.glob(path.name + "*"):
                f.unlink()
            rates.append(ingest_rate(path, with_triggers=with_triggers, spread_days=spread))
        print(
            f"ingest cost of the dashboard's rollup triggers, {label}: {rates[0]:,.0f} ratings/s without,"
            f" {rates[1]:,.0f} with ({rates[1] / rates[0]:.2f}x)"
        )
    return 0


def _lines(chunks: Iterator[str]) -> Iterator[str]:
    tail = ""
    for chunk in chunks:
        parts = (tail + chunk).split("\r\n")
        tail = parts.pop()
        yield from parts
    if tail:
        yield tail


if __name__ == "__main__":
    sys.exit(main())

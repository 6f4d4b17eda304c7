"""Dashboard reads at chain scale on PostgreSQL beside SQLite, in the same run (issue 15).

The SQLite fixture is ``bench.dashboard``'s (generated once, kept under ``bench-output/``: ``--reuse``). A private
PostgreSQL is started here (``tests.postgres.PostgresServer``: initdb + pg_ctl in a temp dir, **fsync off**: it
holds a throwaway fixture and only reads are measured); the same locations and kiosks go through its store's
registry, the very same ratings are copied from the SQLite fixture with ``COPY`` (psycopg ``cursor.copy``;
secondary indexes dropped while loading and re-created from their own DDL), and the rollups are built by
``store.rollups.rebuild_location``, as the SQLite fixture's are; then ``VACUUM ANALYZE``.

Measured through the real FastAPI app (ASGI test client, bearer auth, JSON) of each engine, calls alternating
between the engines so both see the same machine load: p50/p95 of ``/api/overview`` (last 7 days + previous 7,
last 30 + previous 30), ``/api/locations/{id}/report`` (30 days) and ``/api/compare`` (30 days). Before timing,
both engines' overview totals and a store report's total must be equal.

    .venv/bin/python -m bench.dashboard_pg [--engine both] [--ratings 10000000] [--locations 1000] [--kiosks 3000]
    .venv/bin/python -m bench.dashboard_pg --ratings 300000 --locations 100 --kiosks 300   # quick run
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from bench import dashboard
from bench.dashboard import NOW_MS, log, percentiles
from hub.accounts import create_token
from hub.app import create_app
from hub.config import HubConfig
from hub.store import Store, open_store
from hub.store.postgresql import PostgresStore
from hub.store.sqlite import SqliteStore
from tests.postgres import PostgresServer

COLUMNS = (
    "kiosk_id, seq, uuid, location_id, face, scale, question, reason, device_time_ms, time_ms, time_flag, boot_id,"
    " mono_ms, misuse_device, misuse, received_ms, local_day, local_hour, imported, closed"
)
CALLS: list[tuple[str, str, dict[str, str]]] = [
    ("overview, 7 days + previous", "/api/overview", {"range": "last_7_days"}),
    ("overview, 30 days + previous", "/api/overview", {"range": "last_30_days"}),
    ("store report, 30 days", "/api/locations/{loc}/report", {"range": "last_30_days"}),
    ("compare, 30 days", "/api/compare", {"range": "last_30_days"}),
]


def sqlite_fixture(args: argparse.Namespace) -> Path:
    """The SQLite hub file of ``bench.dashboard``'s fixture at these sizes, generated unless kept (``--reuse``)."""
    data_dir = args.data_dir / f"{args.ratings}-{args.locations}-{args.kiosks}-{args.days}"
    db_path = data_dir / "hub.db"
    if not (args.reuse and (data_dir / "complete").exists()):
        for f in data_dir.glob("hub.db*"):
            f.unlink()
        (data_dir / "complete").unlink(missing_ok=True)
        data_dir.mkdir(parents=True, exist_ok=True)
        log(f"SQLite: generating {args.ratings:,} ratings, {args.locations} locations, {args.kiosks} kiosks ...")
        t0 = time.perf_counter()
        dashboard.generate(db_path, ratings=args.ratings, locations=args.locations, kiosks=args.kiosks, days=args.days)
        (data_dir / "complete").touch()
        log(f"SQLite: generated in {time.perf_counter() - t0:.0f} s")
    return db_path


def copy_registry(store: Store, sqlite_path: Path) -> None:
    """The SQLite fixture's locations and kiosks through the PostgreSQL store's registry, the kiosks with the
    password hashes they already have (``register_kiosk`` would hash a new password each: minutes for 3,000)."""
    with open_store(sqlite_path) as source:
        for loc in source.registry.locations():
            store.registry.add_location(
                loc.id, name=loc.name, timezone=loc.timezone, region_id=loc.region_id, now_ms=NOW_MS
            )
        assert isinstance(source, SqliteStore)
        for kid, loc_id, password_hash in source.conn.execute("SELECT id, location_id, password_hash FROM kiosks"):
            store.registry.add_kiosk(kid, location_id=loc_id, password_hash=password_hash, now_ms=NOW_MS)


def load_postgresql(url: str, sqlite_path: Path) -> None:
    """The SQLite fixture's registry, ratings and rollups, on the (empty, migrated) PostgreSQL store at ``url``."""
    t0 = time.perf_counter()
    with open_store(url) as store:
        assert isinstance(store, PostgresStore)
        copy_registry(store, sqlite_path)
        # The ratings are a fixture: raw SQL on the store's own connection, as bench.dashboard does on SQLite
        raw = store.conn.raw
        raw.execute("SET synchronous_commit = off")
        indexes = [
            (name, sql)
            for name, sql in raw.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ratings' AND indexname <> 'ratings_pkey'"
            )
        ]
        for name, _ in indexes:
            raw.execute(f"DROP INDEX {name}")  # names read from the catalogue
        source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
        done = 0
        with raw.transaction(), raw.cursor().copy(f"COPY ratings ({COLUMNS}) FROM STDIN") as copy:
            for row in source.execute(f"SELECT {COLUMNS} FROM ratings"):
                copy.write_row(row)
                done += 1
                if done % 1_000_000 == 0:
                    log(f"  PostgreSQL COPY: {done:,} ({done / (time.perf_counter() - t0):,.0f}/s)")
        source.close()
        log(f"PostgreSQL: {done:,} ratings copied in {time.perf_counter() - t0:.0f} s; indexes ...")
        for _, sql in indexes:
            raw.execute(sql)
        started = time.perf_counter()
        location_ids = [loc.id for loc in store.registry.locations()]
        for i, loc_id in enumerate(location_ids, start=1):
            store.rollups.rebuild_location(loc_id)
            if i % 100 == 0 or i == len(location_ids):
                log(f"  PostgreSQL rollups: {i}/{len(location_ids)} locations ({time.perf_counter() - started:.0f} s)")
        raw.execute("VACUUM ANALYZE")  # fixture: a long-running server's autovacuum would have done it
    log(f"PostgreSQL: loaded in {time.perf_counter() - t0:.0f} s")


@contextlib.contextmanager
def api_client(store: Store, config: HubConfig) -> Iterator[Callable[..., Any]]:
    """``get(path, **params)`` through the engine's real app, as an admin seeing every location."""
    token = create_token(store, role="admin", now_ms=NOW_MS)
    app = create_app(config, now_ms=lambda: NOW_MS, run_services=False)
    # a host name the hub serves (its default allowed hosts); the test client's "testserver" is refused
    with TestClient(app, base_url="http://127.0.0.1", headers={"Authorization": f"Bearer {token}"}) as client:

        def get(path: str, **params: Any) -> Any:
            r = client.get(path, params=params)
            assert r.status_code == 200, r.text[:200]
            return r.json()

        yield get


def measure(
    clients: dict[str, Callable[..., Any]], loc_ids: list[str], repeat: int
) -> dict[str, dict[str, list[float]]]:
    """Per call, per engine: ``repeat`` timings in ms, the engines taking turns call by call."""
    rng = random.Random(3)
    sample = [loc_ids[rng.randrange(len(loc_ids))] for _ in range(repeat)]
    out: dict[str, dict[str, list[float]]] = {}
    for label, path, params in CALLS:
        out[label] = {engine: [] for engine in clients}
        for i in range(repeat):
            for engine, get in clients.items():
                t0 = time.perf_counter()
                get(path.format(loc=sample[i]), **params)
                out[label][engine].append((time.perf_counter() - t0) * 1000)
    return out


def check_equal(clients: dict[str, Callable[..., Any]], loc_id: str) -> int:
    """Every engine's overview totals and one store report agree; returns the 30 days' total."""
    totals = {
        e: {r["id"]: r["total"] for r in get("/api/overview", range="last_30_days")["locations"]}
        for e, get in clients.items()
    }
    first = next(iter(totals.values()))
    assert all(t == first for t in totals.values()), "the engines' overview totals differ"
    reports = {e: get(f"/api/locations/{loc_id}/report", range="last_30_days")["summary"] for e, get in clients.items()}
    assert len({repr(r) for r in reports.values()}) == 1, reports
    return sum(first.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--ratings", type=int, default=10_000_000)
    ap.add_argument("--locations", type=int, default=1000)
    ap.add_argument("--kiosks", type=int, default=3000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--repeat", type=int, default=40, help="timed calls per API route and engine")
    ap.add_argument("--data-dir", type=Path, default=dashboard.ROOT / "bench-output" / "dashboard")
    ap.add_argument("--reuse", action="store_true", help="keep an existing SQLite fixture with the same parameters")
    args = ap.parse_args(argv)
    if args.kiosks < args.locations or args.ratings < args.kiosks:
        ap.error("need kiosks >= locations and ratings >= kiosks")
    sqlite_path = sqlite_fixture(args)  # the ratings, for PostgreSQL too
    work = sqlite_path.parent
    with contextlib.ExitStack() as stack:
        configs: dict[str, HubConfig] = {}
        if args.engine in ("sqlite", "both"):
            configs["SQLite"] = HubConfig(data_dir=work, ingest_enabled=False)
        if args.engine in ("postgresql", "both"):
            server = PostgresServer(fsync=False).start()
            stack.callback(server.close)
            url = server.new_database()
            load_postgresql(url, sqlite_path)
            (work / "pg-app").mkdir(exist_ok=True)
            configs["PostgreSQL"] = HubConfig(data_dir=work / "pg-app", database=url, ingest_enabled=False)
        stores = {e: stack.enter_context(open_store(c.store_target)) for e, c in configs.items()}
        counts = {e: s.ops.rating_counts() for e, s in stores.items()}
        for e, c in counts.items():
            assert c.ratings == c.rolled_up, (e, c)
        clients = {e: stack.enter_context(api_client(stores[e], c)) for e, c in configs.items()}
        loc_ids = [loc.id for loc in next(iter(stores.values())).registry.locations()]
        total30 = check_equal(clients, loc_ids[0])
        measure(clients, loc_ids, 2)  # warm-up: caches, the planner's first plans
        results = measure(clients, loc_ids, args.repeat)
    ratings = next(iter(counts.values())).ratings
    print(
        f"dashboard bench on {', '.join(configs)}: {ratings:,} ratings ({total30:,} in the last 30 days),"
        f" {args.locations} locations, {args.kiosks} kiosks, {args.days} days; {args.repeat} calls per route and"
        " engine, alternating; through the FastAPI app (ASGI test client, auth, JSON)"
    )
    head = "".join(f" {e + ' p50':>15} {e + ' p95':>15}" for e in configs)
    ratio = "   PostgreSQL/SQLite p50" if len(configs) == 2 else ""
    print(f"{'call':30}{head}{ratio}   (ms)")
    for label, by_engine in results.items():
        cells = "".join(f" {percentiles(t)[0]:15.1f} {percentiles(t)[1]:15.1f}" for t in by_engine.values())
        if len(configs) == 2:
            p50s = [percentiles(t)[0] for t in by_engine.values()]
            cells += f" {p50s[1] / p50s[0]:23.2f}x"
        print(f"{label:30}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

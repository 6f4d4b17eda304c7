"""Backlog drain on PostgreSQL: 100,000 queued ratings (spread over a few kiosks) → stored and acknowledged by
1, 2 and 4 ``hub ingest`` workers sharing one Mosquitto and one PostgreSQL (started here: initdb + pg_ctl,
fsync and synchronous_commit on, the server defaults).

Prints ratings/s end to end per worker count and the ratio to the best raw PostgreSQL insert of the same rows
measured in the same run (one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` per batch, or ``COPY``
into a staging table then ``INSERT … ON CONFLICT``; one commit per batch; batches of 100 = one kiosk message,
and of 1000).

    .venv/bin/python -m bench.pipeline_drain_pg [--ratings 100000] [--kiosks 4] [--workers 1 2 4] [--locations 1]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import psycopg

from bench.pipeline_drain import fill_outbox
from tests.harness import ExternalBroker, IngestWorker, child_env, provision, stored, wait_until
from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
TABLE = (
    "CREATE TABLE raw_ratings (kiosk_id TEXT, seq BIGINT, uuid TEXT, location_id TEXT, face SMALLINT,"
    " scale SMALLINT, question TEXT, reason TEXT, device_time_ms BIGINT, time_ms BIGINT, boot_id TEXT,"
    " mono_ms BIGINT, misuse SMALLINT, received_ms BIGINT, PRIMARY KEY (kiosk_id, seq))"
)
TYPES = "text bigint text text smallint smallint text text bigint bigint text bigint smallint bigint".split()  # noqa: SIM905


def raw_rows(n: int) -> list[tuple[object, ...]]:
    now = int(time.time() * 1000)
    return [("k", i + 1, str(uuid.uuid4()), "loc", i % 4, 4, "q1", None, now, now, "b", i, 0, now) for i in range(n)]


def raw_unnest(url: str, rows: list[tuple[object, ...]], batch: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_ratings")
        conn.execute(TABLE)
        sql = (
            "INSERT INTO raw_ratings SELECT * FROM unnest("
            + ", ".join(f"%s::{t}[]" for t in TYPES)
            + ") ON CONFLICT DO NOTHING RETURNING seq"
        )
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            with conn.transaction():
                conn.execute(sql, [list(c) for c in zip(*rows[i : i + batch], strict=True)]).fetchall()
        return len(rows) / (time.perf_counter() - started)


def raw_copy(url: str, rows: list[tuple[object, ...]], batch: int) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_ratings")
        conn.execute(TABLE)
        started = time.perf_counter()
        for i in range(0, len(rows), batch):
            with conn.transaction():
                conn.execute("CREATE TEMP TABLE stage (LIKE raw_ratings) ON COMMIT DROP")
                with conn.cursor().copy("COPY stage FROM STDIN") as copy:
                    for row in rows[i : i + batch]:
                        copy.write_row(row)
                conn.execute("INSERT INTO raw_ratings SELECT * FROM stage ON CONFLICT DO NOTHING")
        return len(rows) / (time.perf_counter() - started)


class Sampler:
    """What each ingest worker's PostgreSQL session is doing, sampled from ``pg_stat_activity`` every
    ``interval_s`` while the drain runs: its wait event (``CPU`` when active and not waiting, ``idle`` between
    transactions, ``idle in transaction`` while the worker's Python works inside one) and its statement."""

    def __init__(self, url: str, interval_s: float = 0.02) -> None:
        self.url, self.interval_s = url, interval_s
        self.waits: Counter[tuple[str, str]] = Counter()
        self.statements: Counter[tuple[str, str]] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(self.interval_s):
                for app, state, wait_type, wait, query in conn.execute(
                    "SELECT application_name, state, wait_event_type, wait_event, query FROM pg_stat_activity"
                    " WHERE application_name LIKE 'w%'"
                ):
                    what = state if state != "active" else (f"{wait_type}:{wait}" if wait_type else "CPU")
                    self.waits[(app, what)] += 1
                    if state == "active":
                        self.statements[(app, " ".join(query.split())[:90])] += 1

    def report(self, workers: int) -> list[str]:
        lines = []
        for i in range(workers):
            app = f"w{i}"
            total = sum(n for (a, _), n in self.waits.items() if a == app) or 1
            shares = sorted(((n, w) for (a, w), n in self.waits.items() if a == app), reverse=True)
            lines.append(f"    {app} session: " + ", ".join(f"{w} {n / total:.0%}" for n, w in shares[:6]))
        active = sum(self.statements.values()) or 1
        top = Counter[str]()
        for (_, q), n in self.statements.items():
            top[q] += n
        lines += [f"      {n / active:4.0%} of active samples: {q}" for q, n in top.most_common(5)]
        return lines


def worker_counts(log_path: Path) -> str:
    """The worker's own tally, from the line ``hub ingest`` logs when it stops."""
    found = re.findall(r"stopped: (.*)", log_path.read_text(errors="replace"))
    return found[-1] if found else "(no tally logged)"


def drain(
    server: PostgresServer,
    tmp: Path,
    n: int,
    kiosks: int,
    workers: int,
    *,
    locations: int = 1,
    profile: Path | None = None,
) -> float:
    """Seconds from starting the kiosks (outboxes full) to every rating stored and acknowledged."""
    url = server.new_database()
    os.environ["HUB_DATABASE"] = url  # read by the hub CLI (provisioning) and the child processes
    hub_dir = tmp / f"hub-{workers}"
    hub_dir.mkdir()
    broker = ExternalBroker(hub_dir)
    ids = [f"drain-{i}" for i in range(kiosks)]
    configs: dict[str, Path] = {}
    for i in range(locations):  # kiosk i stands in location i % locations
        configs |= provision(
            hub_dir, location=f"loc-{i}", kiosks=ids[i::locations], broker_url=broker.kiosk_url, out_dir=hub_dir,
            uplink="replay_jitter_s = 0",
        )  # fmt: skip
    for kid in ids:
        fill_outbox(hub_dir / f"{kid}-data" / "outbox.db", kid, n // kiosks)
    broker.start()
    procs = []
    for i in range(workers):  # each worker's sessions named for it (application_name), for the sampler
        os.environ["HUB_DATABASE"] = f"{url}?application_name=w{i}"
        procs.append(IngestWorker(hub_dir, mqtt_url=broker.hub_url(), client_id=f"w{i}").start())
    os.environ["HUB_DATABASE"] = url
    sampler = Sampler(url)
    try:
        wait_until(lambda: all(w.connections() for w in procs), timeout=60, message="workers connected")
        sampler.start()
        spies = [
            subprocess.Popen(["py-spy", "record", "--format", "raw", "--nonblocking", "-r", "50", "-o",
                              str(profile / f"w{i}-of-{workers}.txt"), "-p", str(w.proc.pid)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for i, w in enumerate(procs) if profile is not None and w.proc is not None
        ]  # fmt: skip
        started = time.perf_counter()
        logs = {kid: hub_dir / f"{kid}.log" for kid in ids}
        runs = [
            subprocess.Popen(
                [sys.executable, "-m", "kiosk", "simulate", "--config", str(configs[kid]), "--data-dir",
                 str(hub_dir / f"{kid}-data"), "--taps", "0", "--wait-acked", "900", "--log-level", "info"],
                env=child_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=logs[kid].open("wb"),
            )
            for kid in ids
        ]  # fmt: skip
        for kid, run in zip(ids, runs, strict=True):
            assert run.wait() == 0, logs[kid].read_text(errors="replace")[-2000:]
        elapsed = time.perf_counter() - started
        sampler.stop()
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        assert wait_until(lambda: stored(hub_dir) == n // kiosks * kiosks, timeout=10)
    finally:
        sampler.stop()
        for w in procs:
            w.stop()
        broker.stop()
    for w in procs:
        print(f"    {w.client_id}: {worker_counts(w.log_path)}")
    kiosk_logs = "".join(path.read_text(errors="replace") for path in logs.values())
    print(
        f"    kiosks: {kiosk_logs.count('hub asks to resend')} resend requests from the hub,"
        f" {kiosk_logs.count('no ack progress')} ack timeouts (asked the hub),"
        f" {kiosk_logs.count('resending the rest')} answers naming less than was sent (resent)"
    )
    if os.environ.get("BENCH_KIOSK_LOG"):
        print(logs[ids[0]].read_text(errors="replace")[-3000:])
    print("\n".join(sampler.report(workers)))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--kiosks", type=int, default=4, help="the queued ratings are spread over this many kiosks")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--locations", type=int, default=1, help="the kiosks stand in this many stores (one store's rollups are"
        " counted by one transaction at a time)"
    )  # fmt: skip
    parser.add_argument("--profile", type=Path, help="py-spy each worker into this folder (collapsed stacks)")
    args = parser.parse_args()
    n = args.ratings // args.kiosks * args.kiosks
    server = PostgresServer(fsync=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            base_url = server.new_database()
            rows = raw_rows(n)
            baselines = {
                (how, batch): fn(base_url, rows, batch)
                for batch in (100, 1000)
                for how, fn in (("unnest", raw_unnest), ("COPY", raw_copy))
            }
            for (how, batch), rate in baselines.items():
                print(f"baseline raw PostgreSQL {how}, {batch} rows per commit: {rate:,.0f} rows/s")
            best100 = max(rate for (_, batch), rate in baselines.items() if batch == 100)
            best = max(baselines.values())
            for workers in args.workers:
                elapsed = drain(server, tmp, n, args.kiosks, workers, locations=args.locations, profile=args.profile)
                rate = n / elapsed
                print(
                    f"drain with {workers} worker(s), {args.kiosks} kiosks in {args.locations} store(s): {n} ratings"
                    f" stored and acknowledged in {elapsed:.2f} s = {rate:,.0f} ratings/s; ratio to best raw insert at"
                    f" 100/commit {rate / best100:.2f}, to best overall {rate / best:.2f}"
                )
    finally:
        server.close()
    print("targets: ratio >= 0.5 with one worker; >= 100,000 ratings/s at the best worker count")


if __name__ == "__main__":
    main()

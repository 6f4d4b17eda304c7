"""Fleet reconnect: K kiosks, each with R ratings queued while offline, all reconnect at once.

Prints the time until every rating is stored and acknowledged (target ≤ 60 s for 1,000 × 3,000), the duplicates
the hub received (the resend storm), the hub's peak RSS, and the ratio of the fleet's rate to the single-kiosk
drain's raw baseline (a raw batched SQLite insert of the same number of rows, measured in the same run). Many
kiosk ids run per process (``--procs`` processes, each with its share of real ``kiosk.uplink.Uplink``s: one paho
client and one pump thread per kiosk, each with its own SQLite outbox), against a real hub and managed Mosquitto.

The hub stores into its SQLite file by default; ``--engine postgresql`` starts a private PostgreSQL (initdb +
pg_ctl, fsync and synchronous_commit on: the server defaults) and the hub under test stores there, as does
``--database postgresql://…`` on a server of your own. The raw baseline is then a raw PostgreSQL insert of the same
number of rows (``INSERT … SELECT FROM unnest(…)``, 100 rows per commit = one kiosk message, as
``bench.pipeline_drain_pg``).

    .venv/bin/python -m bench.fleet_reconnect [--kiosks 1000] [--ratings 3000] [--procs N] [--engine postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from bench.pipeline_drain import fill_outbox, raw_insert_baseline
from bench.pipeline_drain_pg import raw_rows, raw_unnest
from hub.cli.kiosks import kiosk_config_text
from hub.fleet.kiosks import register_kiosk
from hub.store import open_store
from tests.harness import HubProcess, child_env, stored, wait_until
from tests.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 60.0
# paho waits on its sockets with select(), which fails for a descriptor numbered 1024 or more; each kiosk here holds
# about six (its socket, paho's wake-up pair, its outbox's SQLite files): 250 kiosks in a process left the last ~80
# of them unable to connect, and the fleet stalled with 680 of 1,000 kiosks drained
KIOSKS_PER_PROC = 125


def metric(url: str, name: str) -> float:
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(proc: psutil.Process) -> float:
    """User + system CPU seconds a live process has used so far."""
    t = proc.cpu_times()
    return float(t.user + t.system)


def wait_cpu(proc: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait for a child; its exit code and the CPU seconds it used (from the kernel's rusage)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--ratings", type=int, default=3000, help="queued per kiosk")
    parser.add_argument(
        "--procs",
        type=int,
        help=f"processes the kiosks are spread over (default: {KIOSKS_PER_PROC} kiosks each, at least 4)",
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--database", help="a PostgreSQL server of your own: postgresql://USER:PASS@HOST:PORT/DB")
    parser.add_argument("--timeout-s", type=float, default=900, help="give up (and say how far it got) after this")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url, baseline_url = args.database, args.database  # on a server of your own: its raw_ratings table
        if url is None and args.engine == "postgresql":
            server = PostgresServer(fsync=True).start()
            stack.callback(server.close)
            url = server.new_database()
            baseline_url = server.new_database()
        run(args, url, baseline_url)


def run(args: argparse.Namespace, url: str | None, baseline_url: str | None) -> None:
    k, r = args.kiosks, args.ratings
    total = k * r
    if url is not None:
        os.environ["HUB_DATABASE"] = url  # the hub under test (a child: it inherits the environment) stores here
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        n_base = min(total, 200_000)
        if baseline_url is not None:
            baseline = raw_unnest(baseline_url, raw_rows(n_base), 100)
            baseline_what = "raw PostgreSQL INSERT … unnest, 100 rows per commit"
        else:
            baseline = raw_insert_baseline(tmp, n_base)
            baseline_what = "raw batched SQLite insert (synchronous=FULL)"
        hub = HubProcess(tmp / "hub")
        hub.data_dir.mkdir(parents=True)
        configs: list[Path] = []
        started = time.perf_counter()
        with open_store(url or hub.data_dir / "hub.db") as store:
            store.registry.add_location("sto", name="Fleet", timezone="Europe/Stockholm", now_ms=0)
            for i in range(k):
                kid = f"k{i:04d}"
                password = register_kiosk(store, kid, location_id="sto", now_ms=0).password
                cfg = tmp / "kiosks" / f"{kid}.toml"
                cfg.parent.mkdir(exist_ok=True)
                cfg.write_text(kiosk_config_text(kid, "sto", [hub.broker_url], password))
                fill_outbox(cfg.parent / "kiosk-data" / kid / "outbox.db", kid, r)  # the config's default data dir
                configs.append(cfg)
        print(f"set-up: {k} kiosks × {r} queued ratings in {time.perf_counter() - started:.1f} s (not measured)")
        lists = []
        n_procs = args.procs or max(4, -(-k // KIOSKS_PER_PROC))
        for n in range(n_procs):
            share = tmp / f"share-{n}.txt"
            share.write_text("\n".join(str(c) for c in configs[n::n_procs]))
            lists.append(share)
        hub.start()
        try:
            assert hub.proc is not None
            started = time.perf_counter()
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.fleet_kiosks",
                        str(share),
                        "--ratings",
                        str(r),
                        "--timeout-s",
                        str(args.timeout_s),
                    ],
                    env=child_env(),
                    cwd=ROOT,
                )
                for share in lists
            ]
            hub_ps = psutil.Process(hub.proc.pid)
            broker_ps = [c for c in hub_ps.children(recursive=True) if c.name() == "mosquitto"]
            cpu_before = (cpu_s(hub_ps), sum(cpu_s(b) for b in broker_ps))
            waited = [wait_cpu(proc) for proc in procs]
            elapsed = time.perf_counter() - started
            codes = [code for code, _ in waited]
            cpu = (
                sum(used for _, used in waited),
                cpu_s(hub_ps) - cpu_before[0],
                sum(cpu_s(b) for b in broker_ps) - cpu_before[1],
            )
            if codes != [0] * len(procs):
                dup, asked = (
                    metric(hub.url, "hub_ratings_duplicate_total"),
                    metric(hub.url, "hub_resend_requests_total"),
                )
                print(
                    f"NOT finished in {elapsed:.0f} s (worker exits {codes}): {stored(hub.data_dir):,} of {total:,}"
                    f" stored; duplicates {dup:,.0f}, resend requests {asked:,.0f},"
                    f" hub peak RSS {peak_rss_mb(hub.proc.pid):.0f} MB; the hub's log ends:\n{hub.log_tail(20)}"
                )
                sys.exit(1)
            assert wait_until(lambda: stored(hub.data_dir) == total, timeout=30)
            duplicates = metric(hub.url, "hub_ratings_duplicate_total")
            resends = metric(hub.url, "hub_resend_requests_total")
            batches = metric(hub.url, "hub_ingest_batches_total")
            statuses = metric(hub.url, "hub_status_messages_total")
            rss = peak_rss_mb(hub.proc.pid)
        finally:
            hub.stop()
    rate = total / elapsed
    verdict = "met" if elapsed <= TARGET_S else "NOT met"
    print(
        f"fleet reconnect ({'PostgreSQL' if url else 'SQLite'}): {k} kiosks × {r} = {total:,} ratings stored and"
        f" acknowledged in {elapsed:.1f} s"
        f" = {rate:,.0f} ratings/s (target ≤ {TARGET_S:.0f} s: {verdict})"
    )
    print(f"  duplicates received by the hub (resend storm): {duplicates:,.0f} ({duplicates / total:.1%} of ratings);"
          f" resend requests: {resends:,.0f}")  # fmt: skip
    print(f"  hub peak RSS: {rss:.0f} MB; ingest batches taken {batches:,.0f}, kiosk status messages {statuses:,.0f}")
    print(
        f"  CPU seconds over the run ({os.cpu_count()} cores x {elapsed:.1f} s = {elapsed * (os.cpu_count() or 1):.0f}"
        f" available): simulated kiosks {cpu[0]:.0f}, hub {cpu[1]:.0f}, Mosquitto {cpu[2]:.0f}"
    )
    print(f"  {baseline_what} in the same run: {baseline:,.0f} rows/s; ratio {rate / baseline:.2f}")
    print(
        json.dumps(
            {
                "seconds": round(elapsed, 1),
                "rate": round(rate),
                "duplicates": duplicates,
                "rss_mb": rss,
                "cpu_kiosks_s": round(cpu[0], 1),
                "cpu_hub_s": round(cpu[1], 1),
                "cpu_broker_s": round(cpu[2], 1),
            }
        )
    )


if __name__ == "__main__":
    main()

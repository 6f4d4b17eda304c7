"""Devices in the field, measured: SD-card bytes per tap, broker reload with a big fleet, broker memory.

    .venv/bin/python -m bench.devices [--taps 10000] [--kiosks 5000] [--connections 2000]

1. Bytes written per tap by the kiosk's outbox (SQLite WAL + checkpoints into the db file), from
   ``/proc/self/io``: ``wchar`` (bytes handed to write()/pwrite(), i.e. WAL frames + checkpoint pages) and
   ``write_bytes`` (what the kernel sent to the block device, incl. the filesystem's own journal/metadata).
   Baseline in the same run: the same taps appended as JSON lines with an fsync each.
2. A registry of N kiosks: time to regenerate mosquitto's password file + ACL + conf, plan remote configs,
   and for a SIGHUP'd broker to admit a kiosk added after the reload (baseline: 10 kiosks).
3. Broker RSS (VmRSS of the mosquitto process) with M kiosks connected over the TLS listener with client
   certificates (raw MQTT 5 CONNECT from this one process), and over the plain listener for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import signal
import socket
import sqlite3
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from hub.fleet.broker import (
    BrokerFiles,
    TlsListener,
    broker_tls_hosts,
    find_mosquitto,
    wait_for_port,
    write_broker_files,
)
from hub.fleet.kiosks import register_kiosk
from hub.fleet.pki import KioskCA
from hub.fleet.settings import RemoteSettings
from hub.store import Store, open_store
from kiosk.outbox import Outbox


def io_counters() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = int(value)
    return out


# ---------------------------------------------------------------------------------------------- 1. taps
def bytes_per_tap(taps: int, work: Path, *, ack_every: int, page_size: int | None = None) -> dict[str, float]:
    """Record ``taps`` taps (held + released with a reason on every 4th, as the follow-up screen does) and
    acknowledge every ``ack_every`` taps (0: never, i.e. offline). ``page_size``: create the outbox file
    with this SQLite page size first (a WAL frame is one page, so smaller pages mean fewer bytes)."""
    path = work / f"outbox-{ack_every}-{page_size}.db"
    if page_size is not None:
        conn = sqlite3.connect(path)
        conn.execute(f"PRAGMA page_size={int(page_size)}")
        conn.execute("VACUUM")
        conn.close()
    ob = Outbox(path, kiosk_id="bench")
    boot = str(uuid.uuid4())
    before = io_counters()
    started = time.perf_counter()
    now = int(time.time() * 1000)
    for i in range(taps):
        is_followup = i % 4 == 0
        r = ob.record(
            face=i % 4,
            scale=4,
            question_id="q1",
            time_ms=now + i * 7000,
            boot_id=boot,
            mono_ms=i * 7000,
            held=is_followup,
        )
        if is_followup:
            ob.release(r.seq, reason="queue")
        if ack_every and (i + 1) % ack_every == 0:
            ob.mark_acked_through(r.seq, now_ms=now + i * 7000)
    elapsed = time.perf_counter() - started
    after = io_counters()
    ob.close()
    return {
        "wchar": (after["wchar"] - before["wchar"]) / taps,
        "write_bytes": (after["write_bytes"] - before["write_bytes"]) / taps,
        "db_bytes": path.stat().st_size / taps,
        "taps_per_s": taps / elapsed,
    }


def jsonl_baseline(taps: int, work: Path) -> dict[str, float]:
    path = work / "taps.jsonl"
    boot = str(uuid.uuid4())
    before = io_counters()
    with open(path, "a") as f:
        for i in range(taps):
            f.write(
                json.dumps(
                    {
                        "seq": i + 1,
                        "uuid": str(uuid.uuid4()),
                        "face": i % 4,
                        "scale": 4,
                        "question": "q1",
                        "time_ms": 1_790_000_000_000 + i,
                        "boot_id": boot,
                        "mono_ms": i,
                    }
                )
                + "\n"
            )
            f.flush()
            os.fsync(f.fileno())
    after = io_counters()
    return {
        "wchar": (after["wchar"] - before["wchar"]) / taps,
        "write_bytes": (after["write_bytes"] - before["write_bytes"]) / taps,
    }


# ---------------------------------------------------------------------------------------------- 2. fleet
def registry_with(n: int, work: Path) -> tuple[Store, dict[str, str]]:
    store = open_store(work / f"hub-{n}.db")
    store.registry.add_location("sto", name="Sto", timezone="Europe/Stockholm", now_ms=0)
    passwords = {}
    for i in range(n):  # setup, not measured: one write transaction per kiosk, as the CLI registers them
        kid = f"k{i:05d}"
        passwords[kid] = register_kiosk(store, kid, location_id="sto", now_ms=0).password
    RemoteSettings(store).set("all", "", changes={"faces": 5}, now_ms=1)
    return store, passwords


def start_broker(files: BrokerFiles, port: int, log: Path) -> subprocess.Popen[bytes]:
    logf = open(log, "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen([find_mosquitto(), "-c", str(files.conf)], stdout=logf, stderr=logf)
    logf.close()
    if not wait_for_port("127.0.0.1", port, timeout_s=20):
        raise SystemExit(f"mosquitto did not start; see {log}")
    return proc


def mqtt_connect_packet(client_id: str, username: str, password: str, keepalive_s: int = 600) -> bytes:
    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("!H", len(b)) + b

    var = s("MQTT") + bytes([5, 0b11000010]) + struct.pack("!H", keepalive_s) + b"\x00"  # clean start, user, pw
    body = var + s(client_id) + s(username) + s(password)
    return bytes([0x10]) + _varint(len(body)) + body


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connack_ok(sock: socket.socket | ssl.SSLSocket) -> bool:
    head = sock.recv(5)
    return len(head) >= 4 and head[0] == 0x20 and head[3] == 0


def reload_figures(n: int, work: Path, secret: str) -> dict[str, float]:
    store, _ = registry_with(n, work)
    out_dir = work / f"broker-{n}"
    port = free_port()
    t0 = time.perf_counter()
    files = write_broker_files(out_dir, hub_secret=secret, kiosks=store.registry.broker_users(), port=port)
    regen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    RemoteSettings(store).set("all", "", changes={"thank_you_s": 4.0}, now_ms=2)
    plan_s = time.perf_counter() - t0
    proc = start_broker(files, port, out_dir / "mosquitto.log")
    try:
        new_password = register_kiosk(store, "late", location_id="sto", now_ms=3).password
        t0 = time.perf_counter()
        files = write_broker_files(out_dir, hub_secret=secret, kiosks=store.registry.broker_users(), port=port)
        proc.send_signal(signal.SIGHUP)
        while True:
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(mqtt_connect_packet("late", "late", new_password))
                if connack_ok(sock):
                    break
            time.sleep(0.005)
        reload_s = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
        store.close()
    return {
        "regen_s": regen_s,
        "plan_s": plan_s,
        "reload_until_admitted_s": reload_s,
        "passwd_bytes": files.passwd.stat().st_size,
    }


# ---------------------------------------------------------------------------------------------- 3. memory
def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory_figures(n_kiosks: int, connections: int, work: Path, secret: str) -> dict[str, float]:
    store, passwords = registry_with(n_kiosks, work / "mem")
    broker_users = store.registry.broker_users()
    store.close()
    now = dt.datetime.now(dt.UTC)
    ca = KioskCA(work / "mem" / "pki").ensure(now=now)
    port, tls_port = free_port(), free_port()
    out_dir = work / "mem" / "broker"
    tls = TlsListener(
        tls_port, "127.0.0.1", *ca.server_files(out_dir / "tls", broker_tls_hosts(None, "127.0.0.1"), now=now)
    )
    files = write_broker_files(out_dir, hub_secret=secret, kiosks=broker_users, port=port, tls=tls)
    cert = ca.issue_client("k00000", now=now)
    (work / "client.pem").write_text(cert.cert_pem + cert.key_pem)
    ctx = ssl.create_default_context(cafile=str(ca.cert_path))
    ctx.load_cert_chain(str(work / "client.pem"))
    figures: dict[str, float] = {}
    for kind in ("plain", "tls"):  # a fresh broker each: freed connection memory is not returned to the OS
        proc = start_broker(files, port, out_dir / "mosquitto.log")
        socks: list[socket.socket] = []
        try:
            idle = rss_kb(proc.pid)
            t0 = time.perf_counter()
            for kid in sorted(passwords)[:connections]:
                sock = socket.create_connection(("127.0.0.1", tls_port if kind == "tls" else port))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if kind == "tls":
                    sock = ctx.wrap_socket(sock, server_hostname="localhost")
                sock.sendall(mqtt_connect_packet(f"kiosk-{kid}", kid, passwords[kid]))
                if not connack_ok(sock):
                    raise SystemExit(f"{kid} was refused on the {kind} listener")
                socks.append(sock)
            figures[f"{kind}_connect_s"] = time.perf_counter() - t0
            time.sleep(1.0)  # let the broker settle before reading its RSS (a figure, not a synchronisation)
            figures[f"{kind}_kb"] = rss_kb(proc.pid)
            figures[f"{kind}_kb_per_conn"] = (figures[f"{kind}_kb"] - idle) / connections
            figures["idle_kb"] = idle
        finally:
            for sock in socks:
                sock.close()
            proc.terminate()
            proc.wait(10)
    return figures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.devices", description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=10_000)
    parser.add_argument("--kiosks", type=int, default=5_000)
    parser.add_argument("--connections", type=int, default=2_000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * args.connections + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # the broker child inherits it too
    secret = "bench-hub-secret"
    with tempfile.TemporaryDirectory(dir=Path.cwd(), prefix=".bench-devices-") as tmp:  # on the real disk
        work = Path(tmp)
        print(f"== 1. kiosk storage writes per tap ({args.taps} taps, SQLite WAL + synchronous=FULL)")
        base = jsonl_baseline(args.taps, work)
        for label, ack_every, page in (
            ("offline (no acks)", 0, None),
            ("online, ack per 10 taps", 10, None),
            ("online, ack per tap", 1, None),
            ("old default: 4 KiB pages, ack/10", 10, 4096),
        ):
            f = bytes_per_tap(args.taps, work, ack_every=ack_every, page_size=page)
            print(
                f"  {label:29} wchar {f['wchar']:8.0f} B/tap  write_bytes {f['write_bytes']:8.0f} B/tap  "
                f"db file {f['db_bytes']:5.0f} B/tap  {f['taps_per_s']:6.0f} taps/s  "
                f"(x{f['write_bytes'] / base['write_bytes']:.1f} of the fsync'd JSON-lines baseline)"
            )
        print(
            f"  baseline: JSON line + fsync  wchar {base['wchar']:8.0f} B/tap  write_bytes "
            f"{base['write_bytes']:8.0f} B/tap"
        )
        print("== 2. broker config for a fleet (regenerate files, plan remote configs, SIGHUP until admitted)")
        small = reload_figures(10, work, secret)
        big = reload_figures(args.kiosks, work, secret)
        for label, r in (("10 kiosks (baseline)", small), (f"{args.kiosks} kiosks", big)):
            print(
                f"  {label:22} regenerate {r['regen_s'] * 1000:7.1f} ms  plan configs {r['plan_s'] * 1000:7.1f} ms"
                f"  reload->admitted {r['reload_until_admitted_s'] * 1000:7.1f} ms"
                f"  passwd {r['passwd_bytes']:8.0f} B"
            )
        print(
            f"  ratio {args.kiosks}/10: regenerate x{big['regen_s'] / small['regen_s']:.0f}, "
            f"reload x{big['reload_until_admitted_s'] / small['reload_until_admitted_s']:.1f}"
        )
        print(f"== 3. broker memory with {args.connections} connected kiosks ({args.kiosks} provisioned)")
        m = memory_figures(args.kiosks, args.connections, work, secret)
        print(
            f"  idle {m['idle_kb'] / 1024:.1f} MB; TLS + client cert {m['tls_kb'] / 1024:.1f} MB "
            f"({m['tls_kb_per_conn']:.1f} KB/connection, all connected in {m['tls_connect_s']:.1f} s); "
            f"plain (baseline) {m['plain_kb'] / 1024:.1f} MB ({m['plain_kb_per_conn']:.1f} KB/connection, "
            f"{m['plain_connect_s']:.1f} s); TLS/plain per connection "
            f"x{m['tls_kb_per_conn'] / max(m['plain_kb_per_conn'], 0.1):.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Live traffic: 100 simulated kiosks, one rating per message, through a real Mosquitto into the hub.

Load comes from Mosquitto's C client (a Python load generator tops out near the figures being measured).
Phase 1 (baseline): the same publishers against a bare paho subscriber (QoS 1, same shared subscription,
auto-ack, no storage) on the same broker. Phase 2: against the hub (decode, validate, commit with
synchronous=FULL, PUBACK after commit, application ack). Prints msg/s for both and their ratio, and
tap→committed latency p50/p99 (publish → the hub's application ack, which is sent only after the commit).

    .venv/bin/python -m bench.pipeline_live [--kiosks 100] [--messages 20000] [--publishers 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from feedback import protocol as p
from tests.harness import ExternalBroker, HubProcess, child_env, hub_store, provision, require_binary, wait_until

ROOT = Path(__file__).resolve().parent.parent


def publish_load(configs: list[str], per_kiosk: int, first_seq: int, port: int, rate: float) -> dict[str, Any]:
    """Run in a child process: each config is one kiosk connection publishing ``per_kiosk`` messages."""
    clients: list[tuple[str, mqtt.Client]] = []
    sent_at: dict[tuple[str, int], float] = {}
    latencies: list[float] = []
    acked: dict[str, int] = {}
    lock = threading.Lock()

    def on_message(c: Any, kid: str, msg: mqtt.MQTTMessage) -> None:
        now = time.perf_counter()
        through = p.decode_ack(msg.payload).acked_through
        with lock:
            for seq in range(acked.get(kid, first_seq - 1) + 1, through + 1):
                t = sent_at.pop((kid, seq), None)
                if t is not None:
                    latencies.append(now - t)
            acked[kid] = max(acked.get(kid, 0), through)

    for path in configs:
        doc = tomllib.loads(Path(path).read_text())
        kid = doc["kiosk"]["id"]
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{kid}", protocol=mqtt.MQTTv5, userdata=kid)
        c.username_pw_set(kid, doc["broker"]["password"])
        c.max_inflight_messages_set(50)
        c.on_message = on_message
        c.connect("127.0.0.1", port)
        c.subscribe(p.kiosk_topic(kid, p.ACK), 1)
        c.loop_start()
        clients.append((kid, c))
    time.sleep(0.5)  # let subscriptions settle before the clock starts (setup, not measured)
    started = time.perf_counter()
    now_ms = int(time.time() * 1000)
    infos = []
    for i in range(per_kiosk):
        seq = first_seq + i
        if rate > 0:  # paced: one round of all kiosks every len(clients)/rate seconds
            delay = started + i * len(clients) / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        for kid, c in clients:
            payload = p.encode_wire_ratings(
                kid,
                [
                    {
                        "seq": seq,
                        "uuid": str(uuid.uuid4()),
                        "face": seq % 4,
                        "scale": 4,
                        "question": "q1",
                        "reason": None,
                        "time_ms": now_ms,
                        "boot_id": "bench",
                        "mono_ms": seq,
                        "misuse": False,
                    }
                ],
            )
            with lock:
                sent_at[(kid, seq)] = time.perf_counter()
            infos.append(c.publish(p.kiosk_topic(kid, p.RATINGS), payload, qos=1))
    for info in infos:
        info.wait_for_publish(60)
    published = time.perf_counter()
    last = first_seq + per_kiosk - 1
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if all(acked.get(kid, 0) >= last for kid, _ in clients):
                break
        time.sleep(0.01)
    for _, c in clients:
        c.disconnect()
        c.loop_stop()
    return {"started": started, "published": published, "latencies": latencies}


def c_publish(configs: list[Path], per_kiosk: int, first_seq: int, port: int, tmp: Path) -> float:
    """Publish with Mosquitto's C client (one ``mosquitto_pub -l`` per kiosk); returns the start time."""
    procs = []
    now_ms = int(time.time() * 1000)
    files = []
    for cfg in configs:
        doc = tomllib.loads(cfg.read_text())
        kid = doc["kiosk"]["id"]
        lines = tmp / f"{kid}-{first_seq}.lines"
        lines.write_bytes(
            b"\n".join(
                p.encode_wire_ratings(
                    kid,
                    [
                        {
                            "seq": seq,
                            "uuid": str(uuid.uuid4()),
                            "face": seq % 4,
                            "scale": 4,
                            "question": "q1",
                            "reason": None,
                            "time_ms": now_ms,
                            "boot_id": "bench",
                            "mono_ms": seq,
                            "misuse": False,
                        }
                    ],
                )
                for seq in range(first_seq, first_seq + per_kiosk)
            )
            + b"\n"
        )
        files.append((kid, doc["broker"]["password"], lines))
    started = time.perf_counter()
    for kid, password, lines in files:
        with open(lines, "rb") as stdin:
            procs.append(
                subprocess.Popen(
                    [
                        require_binary("mosquitto_pub"),
                        "-h",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "-u",
                        kid,
                        "-P",
                        password,
                        "-i",
                        f"bench-{kid}",
                        "-V",
                        "mqttv5",
                        "-q",
                        "1",
                        "-t",
                        p.kiosk_topic(kid, p.RATINGS),
                        "-l",
                    ],
                    stdin=stdin,
                )
            )
    for proc in procs:
        assert proc.wait(120) == 0
    return started


def run_publishers(
    configs: list[Path], groups: int, per_kiosk: int, first_seq: int, port: int, rate: float = 0.0
) -> list[dict[str, Any]]:
    """Publish from ``groups`` processes; ``rate`` is the total msg/s (0 = as fast as possible)."""
    procs = []
    for g in range(groups):
        mine = [str(c) for c in configs[g::groups]]
        arg = json.dumps(
            {"configs": mine, "per_kiosk": per_kiosk, "first_seq": first_seq, "port": port, "rate": rate / groups}
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "bench.pipeline_live", "--publisher", arg],
                stdout=subprocess.PIPE,
                env=child_env(),
                cwd=ROOT,
                text=True,
            )
        )
    return [json.loads(proc.communicate(timeout=300)[0]) for proc in procs]


def bare_subscriber_rate(broker: ExternalBroker, configs: list[Path], per_kiosk: int, tmp: Path) -> float:
    secret = json.loads((broker.hub_data_dir / "secrets.json").read_text())["hub_mqtt_password"]
    times: list[float] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bare-subscriber", protocol=mqtt.MQTTv5)
    c.username_pw_set("hub", secret)
    c.on_message = lambda cl, u, m: times.append(time.perf_counter())
    c.connect("127.0.0.1", broker.port)
    c.subscribe(p.ratings_subscription(shared=True), 1)
    c.loop_start()
    time.sleep(0.5)  # subscription settles (setup, not measured)
    total = len(configs) * per_kiosk
    started = c_publish(configs, per_kiosk, 1, broker.port, tmp)
    wait_until(lambda: len(times) >= total, timeout=120, message="bare subscriber received all")
    c.disconnect()
    c.loop_stop()
    return total / (times[-1] - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kiosks", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20_000, help="total messages per phase")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes")
    parser.add_argument("--paced-rate", type=float, default=1000.0, help="msg/s of the latency phase")
    parser.add_argument("--publisher", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publisher:
        a = json.loads(args.publisher)
        print(json.dumps(publish_load(a["configs"], a["per_kiosk"], a["first_seq"], a["port"], a["rate"])))
        return
    per_kiosk = args.messages // args.kiosks
    total = per_kiosk * args.kiosks
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        hub_dir = tmp / "hub"
        broker = ExternalBroker(hub_dir)
        kiosk_ids = [f"k{i:03d}" for i in range(args.kiosks)]
        configs = list(
            provision(hub_dir, location="sto", kiosks=kiosk_ids, broker_url="mqtt://127.0.0.1:1", out_dir=tmp).values()
        )
        broker.start()
        try:
            bare = bare_subscriber_rate(broker, configs, per_kiosk, tmp)
            hub = HubProcess(hub_dir, mqtt_url=broker.hub_url())
            hub.start()
            try:
                with hub_store(hub_dir) as store:  # one reader connection, polled through the store's counts
                    started = c_publish(configs, per_kiosk, 1, broker.port, tmp)
                    wait_until(lambda: store.ops.rating_counts().ratings >= total, timeout=120, interval=0.01)
                    hub_rate = total / (time.perf_counter() - started)
                paced_per_kiosk = max(1, int(args.paced_rate * 5 / args.kiosks))  # ~5 s of paced traffic
                paced = run_publishers(
                    configs, args.publishers, paced_per_kiosk, per_kiosk + 1, broker.port, rate=args.paced_rate
                )
            finally:
                hub.stop()
        finally:
            broker.stop()
    print(
        f"live: {args.kiosks} kiosks, {total} single-rating messages per phase, published by one mosquitto_pub"
        f" (C) per kiosk; latency phase by {args.publishers} paho publisher processes"
    )
    print(f"bare paho subscriber (QoS 1, no storage): {bare:,.0f} msg/s")
    print(f"hub (decoded, validated, committed, acknowledged): {hub_rate:,.0f} msg/s")
    print(f"ratio hub / bare subscriber: {hub_rate / bare:.2f}  (target >= 0.8; target >= 10,000 msg/s)")
    paced_lat = sorted(x for r in paced for x in r["latencies"])
    print(
        f"tap→committed at a paced {args.paced_rate:,.0f} msg/s (publish → hub ack, sent after the commit): "
        f"p50 {_pct(paced_lat, 0.5):.1f} ms, p99 {_pct(paced_lat, 0.99):.1f} ms over {len(paced_lat)} messages "
        "(targets p50 <= 50 ms, p99 <= 300 ms)"
    )


def _pct(sorted_s: list[float], q: float) -> float:
    return sorted_s[min(len(sorted_s) - 1, int(len(sorted_s) * q))] * 1000 if sorted_s else float("nan")


if __name__ == "__main__":
    main()

"""Broker failover over real processes: two Mosquittos, two ``hub ingest`` workers on both, PostgreSQL, and
simulated kiosks whose configs list both brokers."""

from __future__ import annotations

import json
import os
import signal
import time
import tomllib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from feedback import protocol as p
from kiosk.config import BrokerAddress
from tests.harness import (
    ExternalBroker,
    HubProcess,
    IngestWorker,
    KioskRun,
    free_port,
    hub_cmd,
    hub_store,
    kiosk_status,
    provision,
    rolled_up,
    stored,
    wait_until,
)
from tests.mqtt_client import RawClient

TAPS = 3000
KEEPALIVE_S = 4
INFO = ("--log-level", "info")  # the kiosks log which broker they connect to
UPLINK = f"batch_size = 20\nreplay_jitter_s = 0.2\nack_timeout_s = 3\nkeepalive_s = {KEEPALIVE_S}"


@pytest.fixture
def hub_dir(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub data dir (secrets, broker files) whose store is a fresh PostgreSQL database ($HUB_DATABASE)."""
    monkeypatch.setenv("HUB_DATABASE", pg_url)
    path = tmp_path / "hub"
    path.mkdir()
    return path


@pytest.fixture
def brokers(hub_dir: Path) -> Iterator[list[ExternalBroker]]:
    pair = [ExternalBroker(hub_dir, name="broker-a"), ExternalBroker(hub_dir, name="broker-b")]
    yield pair
    for b in pair:
        b.stop()


def log_of(run: KioskRun) -> str:
    return run.log_path.read_text(errors="replace")


def assert_every_tap_stored_once(hub_dir: Path, tmp_path: Path, kiosks: dict[str, Path]) -> None:
    """0 lost and 0 double counted, in ratings and rollups; each kiosk's outbox all acknowledged."""
    for kid, cfg in kiosks.items():
        st = kiosk_status(cfg, tmp_path / f"{kid}-data")
        assert (st["pending"], st["last_seq"], st["acked_through"]) == (0, TAPS, TAPS)
        with hub_store(hub_dir) as store:
            assert (stored(hub_dir, kiosk_id=kid), store.ops.max_seq(kid)) == (TAPS, TAPS)
    assert stored(hub_dir) == rolled_up(hub_dir) == len(kiosks) * TAPS
    with hub_store(hub_dir) as store:
        assert {k["id"]: k["acked_through"] for k in store.registry.kiosks()} == dict.fromkeys(kiosks, TAPS)
        assert store.ops.rejected_count() == 0


def start_fleet(
    hub_dir: Path, brokers: list[ExternalBroker], tmp_path: Path
) -> tuple[dict[str, Path], list[IngestWorker]]:
    """Three kiosks listing both brokers (a first; TLS kiosks with certificates for TLS brokers), both brokers
    up, two workers each on both."""
    urls = [b.kiosk_url for b in brokers]
    tls = all(b.tls_port for b in brokers)
    kiosks = provision(
        hub_dir, location="sto", kiosks=["a", "b", "c"], broker_url=urls, out_dir=tmp_path, uplink=UPLINK, tls=tls
    )
    for b in brokers:
        b.start()
    hub_urls = [b.hub_url() for b in brokers]
    workers = [IngestWorker(tmp_path, mqtt_url=hub_urls, client_id=f"w{i}").start() for i in (1, 2)]
    wait_until(lambda: all(w.connections() >= 2 for w in workers), timeout=30, message="both workers on both brokers")
    return kiosks, workers


def test_kiosks_fail_over_when_a_broker_is_sigkilled_and_every_tap_is_stored_once(
    hub_dir: Path, brokers: list[ExternalBroker], tmp_path: Path
) -> None:
    """Three kiosks tap through broker A; A is SIGKILLed mid-stream: each moves to B, sends its birth there and
    replays; every tap is stored exactly once (ratings and rollups) and every outbox is acknowledged."""
    kiosks, workers = start_fleet(hub_dir, brokers, tmp_path)
    a, b = brokers
    runs: list[KioskRun] = []
    try:
        runs += [
            KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", str(TAPS), "--rate", "600", "--wait-acked", "150", *INFO)
            for kid, cfg in kiosks.items()
        ]
        wait_until(
            lambda: all(f"connected to 127.0.0.1:{a.port}" in log_of(r) for r in runs), message="kiosks on broker A"
        )
        wait_until(lambda: stored(hub_dir) > 1500, timeout=60, message="ratings flowing")
        a.kill()
        assert stored(hub_dir) < len(kiosks) * TAPS, "killed while work was left"
        assert [r.wait(180) for r in runs] == [0, 0, 0]
        for r in runs:
            text = log_of(r)
            assert f"moving on to 127.0.0.1:{b.port}" in text and f"connected to 127.0.0.1:{b.port}" in text
        assert_every_tap_stored_once(hub_dir, tmp_path, kiosks)
    finally:
        for r in runs:
            r.kill()
        for w in workers:
            w.stop()


def test_tls_kiosks_fail_over_to_the_second_mqtts_broker_and_every_tap_is_stored_once(
    hub_dir: Path, tmp_path: Path
) -> None:
    """Two brokers with the kiosks' TLS listener (client certificates from the hub's kiosk CA; the kiosks verify
    the brokers' certificates against it): three TLS kiosks tap through A, A is SIGKILLed, each moves on to B's
    ``mqtts://`` address, and every tap is stored exactly once."""
    brokers = [ExternalBroker(hub_dir, name=f"tls-broker-{n}", is_tls=True) for n in "ab"]
    runs: list[KioskRun] = []
    workers: list[IngestWorker] = []
    try:
        kiosks, workers = start_fleet(hub_dir, brokers, tmp_path)
        a, b = brokers
        broker = tomllib.loads(kiosks["a"].read_text())["broker"]
        assert broker["urls"] == [a.kiosk_url, b.kiosk_url] and all(u.startswith("mqtts://") for u in broker["urls"])
        assert broker["ca_pem"] and broker["cert_pem"], "the kiosk verifies brokers and presents its certificate"
        runs += [
            KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", str(TAPS), "--rate", "600", "--wait-acked", "150", *INFO)
            for kid, cfg in kiosks.items()
        ]
        wait_until(
            lambda: all(f"connected to localhost:{a.tls_port}" in log_of(r) for r in runs),
            message="kiosks on broker A over TLS",
        )
        wait_until(lambda: stored(hub_dir) > 1500, timeout=60, message="ratings flowing")
        a.kill()
        assert stored(hub_dir) < len(kiosks) * TAPS, "killed while work was left"
        assert [r.wait(180) for r in runs] == [0, 0, 0]
        for r in runs:
            text = log_of(r)
            assert f"moving on to localhost:{b.tls_port}" in text and f"connected to localhost:{b.tls_port}" in text
            assert "certificate verify failed" not in text
        assert_every_tap_stored_once(hub_dir, tmp_path, kiosks)
    finally:
        for r in runs:
            r.kill()
        for w in workers:
            w.stop()
        for br in brokers:
            br.stop()


def test_a_hung_broker_is_noticed_within_one_and_a_half_keepalives(
    hub_dir: Path, brokers: list[ExternalBroker], tmp_path: Path
) -> None:
    """Broker A is frozen (SIGSTOP: its connections stay open, nothing is answered, no RST) while kiosks tap:
    each kiosk gives the link up within 1.5x its keep-alive, moves to B, and every tap is stored once."""
    kiosks, workers = start_fleet(hub_dir, brokers, tmp_path)
    a, b = brokers
    runs: list[KioskRun] = []
    try:
        runs += [
            KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", str(TAPS), "--rate", "300", "--wait-acked", "150", *INFO)
            for kid, cfg in kiosks.items()
        ]
        wait_until(lambda: stored(hub_dir) > 600, timeout=60, message="ratings flowing through A")
        assert a.proc is not None
        os.kill(a.proc.pid, signal.SIGSTOP)
        frozen = time.monotonic()
        wait_until(
            lambda: all("link dead" in log_of(r) for r in runs),
            timeout=1.5 * KEEPALIVE_S,
            interval=0.02,
            message=f"every kiosk to notice the dead link within {1.5 * KEEPALIVE_S} s",
        )
        noticed_s = time.monotonic() - frozen
        assert KEEPALIVE_S / 2 <= noticed_s <= 1.5 * KEEPALIVE_S
        assert [r.wait(180) for r in runs] == [0, 0, 0]
        assert all(f"connected to 127.0.0.1:{b.port}" in log_of(r) for r in runs)
        assert_every_tap_stored_once(hub_dir, tmp_path, kiosks)
    finally:
        for r in runs:
            r.kill()
        for w in workers:
            w.stop()


def test_retained_settings_and_hub_status_reach_every_broker(tmp_path: Path) -> None:
    """``hub serve`` with two ``--mqtt-url``: a kiosk's retained settings and the hub's retained "online" are on
    each broker, so a kiosk finds them on whichever it fails over to."""
    data = tmp_path / "hub"
    data.mkdir()
    brokers = [ExternalBroker(data, name="broker-a"), ExternalBroker(data, name="broker-b")]
    hub: HubProcess | None = None
    try:
        for b in brokers:
            b.start()
        hub = HubProcess(data, mqtt_url=[b.hub_url() for b in brokers]).start()
        kiosks = provision(data, location="sto", kiosks=["k1"], broker_url=[], out_dir=tmp_path)
        written = kiosks["k1"].read_text()
        urls = ", ".join(f'"{b.kiosk_url}"' for b in brokers)
        assert f"urls = [{urls}]" in written, "kiosk add writes every broker serve recorded"
        hub_cmd("config", "set", "--kiosk", "k1", "--set", "faces=5", "--data-dir", str(data))
        for b in brokers:
            b.reload()  # the new kiosk's password (the hub reloads only a broker it manages)

        def published() -> bool:
            with hub_store(data) as store:
                return not store.settings.publications(only_unpublished=True)

        wait_until(published, message="the settings acknowledged by both brokers")
        for b in brokers:
            got = retained_on(b.port, kiosks["k1"], [p.kiosk_topic("k1", p.CONFIG), p.HUB_STATUS_TOPIC])
            assert json.loads(got[p.kiosk_topic("k1", p.CONFIG)])["ui"]["faces"] == 5
            assert p.decode_status(got[p.HUB_STATUS_TOPIC]).state == "online"
    finally:
        if hub is not None:
            hub.stop()
        for b in brokers:
            b.stop()


def retained_on(port: int, config: Path, topics: list[str]) -> dict[str, bytes]:
    """The retained messages a kiosk finds on the broker at ``port`` when it subscribes to ``topics``."""
    raw = RawClient.for_kiosk(config, port)
    got: dict[str, bytes] = {}

    def all_in() -> bool:
        while not raw.messages.empty():
            m = raw.messages.get()
            if m.retain:
                got[m.topic] = bytes(m.payload)
        return len(got) == len(topics)

    try:
        assert not raw.connect().is_failure
        for topic in topics:
            raw.subscribe(topic)
        wait_until(all_in, timeout=20, message=f"retained {topics} on the broker at {port} (got {got})")
    finally:
        raw.close()
    return got


def test_an_idle_kiosk_keeps_a_healthy_quiet_link(tmp_path: Path) -> None:
    """A kiosk tapping once every 4 s with a 2 s keep-alive (silence well past half a keep-alive, again and again)
    probes its link and gets answers: it never gives a healthy broker up and stays on its one connection."""
    hub = HubProcess(tmp_path / "hub").start()
    try:
        uplink = "keepalive_s = 2\nheartbeat_s = 60\nreplay_jitter_s = 0.1"
        kiosks = provision(
            hub.data_dir, location="sto", kiosks=["q"], broker_url=hub.broker_url, out_dir=tmp_path, uplink=uplink
        )
        run = KioskRun(kiosks["q"], tmp_path / "q-data", "--taps", "4", "--rate", "0.25", "--wait-acked", "30", *INFO)
        assert run.wait(60) == 0
        text = log_of(run)
        assert text.count("connected to") == 1 and "link dead" not in text and "moving on" not in text, text
        assert stored(hub.data_dir, kiosk_id="q") == 4
    finally:
        hub.stop()


def test_broker_address_set_takes_several_brokers_and_kiosk_add_writes_them_all(tmp_path: Path) -> None:
    """``broker-address set A B`` records both, in order; ``kiosk add`` writes them as ``broker.urls`` and the kiosk
    reads them back; mixed schemes and a repeated address are refused with one line."""
    from hub import cli as hub_cli
    from kiosk.config import BrokerAddress, load_config

    data = str(tmp_path / "hub")
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", data)
    hub_cmd("broker-address", "set", "mqtt://a.example:1883", "mqtt://b.example:1884", "--data-dir", data)
    assert json.loads(hub_cmd("broker-address", "show", "--data-dir", data))["broker_url"] == (
        "mqtt://a.example:1883 mqtt://b.example:1884"
    )
    hub_cmd("kiosk", "add", "k1", "--location", "sto", "--out", str(tmp_path / "k1.toml"), "--data-dir", data)
    assert load_config(tmp_path / "k1.toml").broker.addresses == (
        BrokerAddress("a.example", 1883),
        BrokerAddress("b.example", 1884),
    )
    for urls in (["mqtt://a:1", "mqtts://b:2"], ["mqtt://a:1", "mqtt://a:1"]):
        assert hub_cli.main(["broker-address", "set", *urls, "--data-dir", data]) == 2


FAILBACK_S = 2.0


def test_a_kiosk_moves_back_to_its_first_broker_once_it_returns_and_every_tap_is_stored_once(tmp_path: Path) -> None:
    """A kiosk tapping through broker A (first in its list): A is SIGKILLed, the kiosk fails over to B and keeps
    sending; A is restarted on its port, and within failback_s (+ a connect and the reconnect delay) the kiosk
    checks it (a check while A is down changes nothing), leaves B with a clean DISCONNECT and connects to A again,
    still tapping. Every tap is stored exactly once (ratings
    and rollups), the outbox all acknowledged: what B's acks never brought back the birth on A settled."""
    data = tmp_path / "hub"
    data.mkdir()
    taps = 600
    brokers = [ExternalBroker(data, name="broker-a"), ExternalBroker(data, name="broker-b")]
    a, b = brokers
    kiosks = provision(
        data, location="sto", kiosks=["fb"], broker_url=[x.kiosk_url for x in brokers], out_dir=tmp_path, uplink=UPLINK
    )
    cfg = kiosks["fb"]
    cfg.write_text(cfg.read_text().replace("[broker]\n", f"[broker]\nfailback_s = {FAILBACK_S}\n", 1))
    hub: HubProcess | None = None
    run: KioskRun | None = None
    try:
        for x in brokers:
            x.start()
        hub = HubProcess(data, mqtt_url=[x.hub_url() for x in brokers])  # set before start: stopped if it fails
        hub.start()
        run = KioskRun(cfg, tmp_path / "fb-data", "--taps", str(taps), "--rate", "30", "--wait-acked", "60", *INFO)
        on_a, on_b = f"connected to 127.0.0.1:{a.port}", f"connected to 127.0.0.1:{b.port}"
        wait_until(lambda: on_a in log_of(run), timeout=30, message="the kiosk on broker A")
        wait_until(lambda: stored(data, kiosk_id="fb") >= 30, timeout=30, message="ratings flowing through A")
        a.kill()
        wait_until(lambda: on_b in log_of(run), timeout=20, message="the kiosk failed over to B")
        through_b = stored(data, kiosk_id="fb")
        wait_until(lambda: stored(data, kiosk_id="fb") > through_b + 30, timeout=20, message="taps stored via B")
        checked_a = f"fail-back check of 127.0.0.1:{a.port}: "
        wait_until(lambda: checked_a in log_of(run), timeout=FAILBACK_S + 8, message="A checked while it is down")
        assert on_a not in log_of(run).split(checked_a, 1)[1], "a broker that is down is not gone back to"
        a.start()  # the same port, its saved state
        restarted = time.monotonic()
        wait_until(
            lambda: log_of(run).count(on_a) == 2,
            timeout=FAILBACK_S + 8,
            message=f"the kiosk back on A within failback_s ({FAILBACK_S} s) + 8 s",
        )
        back_after_s = time.monotonic() - restarted
        back_at = stored(data, kiosk_id="fb")
        assert back_at < taps, "moved back while taps were still coming"
        assert run.wait(90) == 0
        text = log_of(run)
        assert f"127.0.0.1:{a.port} accepts connections again: moving back from 127.0.0.1:{b.port}" in text
        assert text.count(on_b) == 1 and "link dead" not in text, text
        assert "Client kiosk-fb disconnected." in (b.dir / "mosquitto.log").read_text(), "a clean DISCONNECT: no will"
        st = kiosk_status(cfg, tmp_path / "fb-data")
        assert (st["pending"], st["last_seq"], st["acked_through"]) == (0, taps, taps)
        assert stored(data, kiosk_id="fb") == rolled_up(data, kiosk_id="fb") == taps  # 0 lost, 0 counted twice
        with hub_store(data) as store:
            assert store.ops.max_seq("fb") == taps and store.ops.rejected_count() == 0
        print(f"fail-back {back_after_s:.1f} s after A returned (failback_s {FAILBACK_S})")
    finally:
        if run is not None:
            run.kill()
        if hub is not None:
            hub.stop()
        for x in brokers:
            x.stop()


def test_the_failback_check_leaves_the_live_session_alone_and_disconnects_cleanly(tmp_path: Path) -> None:
    """The check connects with the kiosk's credentials but its own client id: a live ``kiosk-<id>`` session on the
    same broker is not kicked (it still gets PUBACKs), the broker logs a clean DISCONNECT of the check, and a
    wrong password or a closed port is "not accepted"."""
    from kiosk.broker_check import broker_accepts, check_client_id
    from kiosk.config import load_config

    data = tmp_path / "hub"
    data.mkdir()
    broker = ExternalBroker(data, name="broker-a")
    cfg = provision(data, location="sto", kiosks=["k1"], broker_url=broker.kiosk_url, out_dir=tmp_path)["k1"]
    config = load_config(cfg)
    live: RawClient | None = None
    try:
        broker.start()
        user, password = config.broker.username, config.broker.password
        live = RawClient(broker.port, client_id="kiosk-k1", username=user, password=password)
        assert not live.connect().is_failure
        address = config.broker.addresses[0]
        assert broker_accepts(config.broker, address, kiosk_id="k1", tls_context=None, timeout_s=5)
        mosquitto_log = broker.dir / "mosquitto.log"
        wait_until(
            lambda: f"Client {check_client_id('k1')} disconnected." in mosquitto_log.read_text(),
            message="the broker logging the check's clean DISCONNECT",
        )
        status = p.encode_status(p.Status("online", kind="heartbeat"))
        assert not live.publish(p.kiosk_topic("k1", p.STATUS), status).is_failure, "the live session still works"
        assert "already connected, closing old connection" not in mosquitto_log.read_text()
        wrong = replace(config.broker, password="wrong")
        assert not broker_accepts(wrong, address, kiosk_id="k1", tls_context=None, timeout_s=5)
        closed = BrokerAddress("127.0.0.1", free_port())
        assert not broker_accepts(config.broker, closed, kiosk_id="k1", tls_context=None, timeout_s=5)
    finally:
        if live is not None:
            live.close()
        broker.stop()

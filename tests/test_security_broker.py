"""Broker security against a real Mosquitto running the hub's generated config: the kiosks' TLS listener
with client certificates from the hub's kiosk CA, per-kiosk passwords, pattern ACLs, revocation at once."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from feedback import protocol as p
from tests.harness import HubProcess, KioskRun, free_port, hub_cmd, hub_store, require_binary, stored, wait_until
from tests.tls_fleet import KioskClient, TlsHub, foreign_cert_files, pem_files, provision_tls

NOT_AUTHORIZED = 0x87


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TlsHub, dict[str, Path], Path]]:
    """One TLS hub for the module with kiosks ``a`` and ``b`` provisioned before it started."""
    root = tmp_path_factory.mktemp("security")
    hub = TlsHub(root / "hub")
    configs = provision_tls(hub, location="sto", kiosks=["a", "b"], out_dir=root)
    hub.start()
    yield hub, configs, root
    hub.stop()


def forged_statuses(hub: HubProcess) -> int:
    """How many of b's stored statuses carry the forger's mark."""
    return sum("forged" in json.dumps(k["status"]) for k in hub.api("/api/kiosks") if k["id"] == "b")


def config_status(data_dir: Path, kiosk_id: str) -> list[dict[str, Any]]:
    with hub_store(data_dir) as store:
        return store.settings.status(kiosk_id=kiosk_id)


def can_connect(host: str, port: int) -> bool:
    """A TCP connection to ``host:port`` opens (raises OSError while nothing listens)."""
    with socket.create_connection((host, port), timeout=1):
        return True


def one_rating(seq: int) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "ratings": [
                {
                    "seq": seq,
                    "uuid": str(uuid.uuid4()),
                    "face": 2,
                    "scale": 4,
                    "question": "q1",
                    "reason": None,
                    "time_ms": int(time.time() * 1000),
                    "boot_id": "raw",
                    "mono_ms": 1,
                    "misuse": False,
                }
            ],
        }
    ).encode()


def test_hub_and_two_tls_kiosks_deliver_through_the_generated_config(
    fleet: tuple[TlsHub, dict[str, Path], Path],
) -> None:
    """Two kiosks provisioned with --tls reach the hub over the TLS listener and every tap is stored once."""
    hub, configs, root = fleet
    conf = (hub.data_dir / "broker" / "mosquitto.conf").read_text()
    assert "allow_anonymous false" in conf and "require_certificate true" in conf
    assert f"listener {hub.mqtt_port} 127.0.0.1" in conf
    runs = [
        KioskRun(configs[k], root / f"{k}-data", "--taps", str(n), "--wait-acked", "60")
        for k, n in (("a", 12), ("b", 7))
    ]
    assert [r.wait() for r in runs] == [0, 0]
    assert stored(hub.data_dir, kiosk_id="a") == 12
    assert stored(hub.data_dir, kiosk_id="b") == 7


@pytest.mark.parametrize("kind", [p.RATINGS, p.STATUS, p.REPORT])
def test_kiosk_publishing_on_another_kiosks_topic_gets_0x87_and_nothing_is_stored(
    fleet: tuple[TlsHub, dict[str, Path], Path], kind: str
) -> None:
    """Kiosk a publishing on b's ratings/status/report topic gets PUBACK 0x87; the hub stores nothing for b."""
    hub, configs, root = fleet
    before = stored(hub.data_dir, kiosk_id="b")
    status_before = forged_statuses(hub)
    a = KioskClient.as_kiosk(hub.tls_port, configs["a"], root / "pems", client_id=f"raw-a-{kind}")
    try:
        assert not a.connect().is_failure
        forged = (
            one_rating(10_000)
            if kind == p.RATINGS
            else json.dumps(
                {"v": 1, "state": "online", "version": "forged", "config_version": 1, "result": "applied"}
            ).encode()
        )
        rc = a.publish(p.kiosk_topic("b", kind), forged)
        assert rc.is_failure and int(rc.value) == NOT_AUTHORIZED
        # a's own topic still works, and once its message is stored, b's forged one has had every chance
        a.subscribe(p.kiosk_topic("a", p.ACK))
        seq = 50_000 + hash(kind) % 1000
        assert not a.publish(p.kiosk_topic("a", p.RATINGS), one_rating(seq)).is_failure
        wait_until(
            lambda: stored(hub.data_dir, kiosk_id="a", seq=seq) == 1,
            message="a's own rating stored",
        )
    finally:
        a.close()
    assert stored(hub.data_dir, kiosk_id="b") == before
    assert stored(hub.data_dir, seq=10000) == 0
    assert forged_statuses(hub) == status_before


def test_kiosk_subscribed_to_another_kiosks_topics_or_to_all_ratings_receives_none_of_them(
    fleet: tuple[TlsHub, dict[str, Path], Path],
) -> None:
    """a's subscriptions to b's ack/config, to all ratings and to the whole tree deliver nothing of b's.

    Mosquitto 2.0.11's acl_file does not check SUBSCRIBE (its SUBACK grants, eclipse/mosquitto#803); it
    checks read access on every delivery, which is what this test holds it to.
    """
    hub, configs, root = fleet
    hub_cmd("config", "set", "--kiosk", "b", "--set", 'thank_you.en="Thanks, b"', "--data-dir", str(hub.data_dir))
    wait_until(
        lambda: any(s["version"] == s["published_version"] for s in config_status(hub.data_dir, "b")),
        message="b's retained config published",
    )
    a = KioskClient.as_kiosk(hub.tls_port, configs["a"], root / "pems", client_id="raw-a-sub")
    b = KioskClient.as_kiosk(hub.tls_port, configs["b"], root / "pems", client_id="raw-b-sub")
    try:
        assert not a.connect().is_failure and not b.connect().is_failure
        for topic in (
            p.kiosk_topic("b", p.ACK),
            p.kiosk_topic("b", p.CONFIG),
            p.kiosk_topic("b", p.COMMAND),
            f"{p.ROOT}/k/+/{p.RATINGS}",
            f"{p.ROOT}/k/+/{p.ACK}",
            f"{p.ROOT}/#",
            "#",
            p.kiosk_topic("a", p.ACK),
        ):
            a.subscribe(topic)
        b.subscribe(p.kiosk_topic("b", p.ACK))
        b.subscribe(p.kiosk_topic("b", p.CONFIG))
        assert not b.publish(p.kiosk_topic("b", p.RATINGS), one_rating(20_000)).is_failure
        seen_by_b = [b.messages.get(timeout=10).topic for _ in range(2)]
        assert sorted(seen_by_b) == [p.kiosk_topic("b", p.ACK), p.kiosk_topic("b", p.CONFIG)]
        # a's own rating and ack come after b's traffic: once a holds its ack, b's would have arrived too
        assert not a.publish(p.kiosk_topic("a", p.RATINGS), one_rating(20_001)).is_failure
        seen_by_a: list[str] = []

        def a_has_its_ack() -> bool:
            seen_by_a.append(a.messages.get(timeout=5).topic)
            return p.kiosk_topic("a", p.ACK) in seen_by_a

        wait_until(a_has_its_ack, message="a's own ack")
        while not a.messages.empty():
            seen_by_a.append(a.messages.get().topic)
        assert [t for t in seen_by_a if "/k/b/" in t or t.endswith("/ratings")] == []
    finally:
        a.close()
        b.close()


def test_anonymous_wrong_password_and_foreign_or_missing_certificates_are_refused(
    fleet: tuple[TlsHub, dict[str, Path], Path],
) -> None:
    """No anonymous access, no wrong password, and the TLS handshake fails without a cert from the kiosk CA."""
    hub, configs, root = fleet
    tls = pem_files(configs["a"], root / "pems")
    cases = {
        "anonymous": KioskClient(hub.tls_port, username=None, password=None, tls=tls),
        "wrong password": KioskClient(hub.tls_port, username="a", password="not-the-password", tls=tls),
        "b's password with a's cert": KioskClient(hub.tls_port, username="b", password="guess", tls=tls),
    }
    for what, client in cases.items():
        try:
            assert client.connect().is_failure, what
        finally:
            client.close()
    a_password = tomllib.loads(configs["a"].read_text())["broker"]["password"]
    for what, files in {
        "foreign CA": {**tls, **foreign_cert_files(root, "a")},
        "no client certificate": {"ca_certs": tls["ca_certs"]},
    }.items():
        client = KioskClient(hub.tls_port, username="a", password=a_password, tls=files)
        try:
            client.client.connect("localhost", hub.tls_port)
        except (ssl.SSLError, OSError):
            continue  # TLS 1.2: the handshake itself fails
        try:  # TLS 1.3: the server checks the client certificate after the client's side of the handshake
            client.client.loop_start()

            def dropped_or_answered(c: KioskClient = client) -> bool:
                return c.disconnected.is_set() or c.connack is not None

            wait_until(
                dropped_or_answered,
                timeout=10,
                message=f"{what}: dropped or answered",
            )
            assert client.connack is None, f"{what}: got CONNACK {client.connack}"
        finally:
            client.close()
    assert "certificate verify failed" in (hub.data_dir / "broker" / "mosquitto.log").read_text()


def is_admitted(hub: TlsHub, config: Path, pems: Path, client_id: str) -> bool:
    client = KioskClient.as_kiosk(hub.tls_port, config, pems, client_id=client_id)
    try:
        return not client.connect().is_failure
    finally:
        client.close()


def test_disable_drops_a_connected_kiosk_at_once_and_enable_restores_it(
    fleet: tuple[TlsHub, dict[str, Path], Path],
) -> None:
    """`kiosk disable` disconnects the live kiosk within seconds and refuses it; others stay connected."""
    hub, _, root = fleet
    pems = root / "pems"
    configs = provision_tls(hub, location="sto", kiosks=["c"], out_dir=root)
    wait_until(
        lambda: is_admitted(hub, configs["c"], pems, "raw-c-probe"),
        timeout=10,
        message="new kiosk admitted after the broker reload",
    )
    victim = KioskClient.as_kiosk(hub.tls_port, configs["c"], pems, client_id="raw-c")
    bystander = KioskClient.as_kiosk(hub.tls_port, root / "b.toml", pems, client_id="raw-b-bystander")
    try:
        assert not victim.connect().is_failure
        assert not bystander.connect().is_failure
        hub_cmd("kiosk", "disable", "c", "--data-dir", str(hub.data_dir))
        started = time.monotonic()
        assert victim.disconnected.wait(10), "a disabled kiosk stayed connected"
        assert time.monotonic() - started < 5
        assert not is_admitted(hub, configs["c"], pems, "raw-c-again")
        assert not bystander.disconnected.is_set()
        with hub_store(hub.data_dir) as store:
            assert store.registry.kiosk("c").is_disabled
        hub_cmd("kiosk", "enable", "c", "--data-dir", str(hub.data_dir))
        wait_until(
            lambda: is_admitted(hub, configs["c"], pems, "raw-c-back"), timeout=10, message="re-enabled kiosk admitted"
        )
    finally:
        victim.close()
        bystander.close()


def test_moving_a_kiosk_counts_later_ratings_for_the_new_location_with_the_same_credentials(
    fleet: tuple[TlsHub, dict[str, Path], Path],
) -> None:
    """After `kiosk move`, new ratings count for the new location; earlier ones stay with the old one."""
    hub, _, root = fleet
    configs = provision_tls(hub, location="sto", kiosks=["m"], out_dir=root)
    hub_cmd(
        "location",
        "add",
        "gbg",
        "--name",
        "Gothenburg",
        "--timezone",
        "Europe/Stockholm",
        "--data-dir",
        str(hub.data_dir),
    )
    data = root / "m-data"
    wait_until(
        lambda: KioskRun(configs["m"], data, "--taps", "4", "--wait-acked", "30").wait() == 0,
        timeout=60,
        message="m's first taps acknowledged",
    )
    hub_cmd("kiosk", "move", "m", "--location", "gbg", "--data-dir", str(hub.data_dir))
    assert KioskRun(configs["m"], data, "--taps", "6", "--wait-acked", "30").wait() == 0
    by_location = {loc: stored(hub.data_dir, kiosk_id="m", location_id=loc) for loc in ("sto", "gbg")}
    assert by_location == {"sto": 4, "gbg": 6}
    assert hub.api("/api/locations/gbg/summary", include_misuse="true")["total"] == 6


def test_broker_config_with_tls_runs_an_external_mosquitto_for_hub_and_tls_kiosks(
    tmp_path: Path, hubs: Callable[..., HubProcess]
) -> None:
    """`broker-config --tls-port` output runs a real Mosquitto: the hub on loopback, a --tls kiosk over TLS."""
    data = tmp_path / "hub"
    port, tls_port = free_port(), free_port()
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", str(data))
    config = tmp_path / "ext1.toml"
    hub_cmd(
        "kiosk",
        "add",
        "ext1",
        "--location",
        "sto",
        "--tls",
        "--broker-url",
        f"mqtts://localhost:{tls_port}",
        "--out",
        str(config),
        "--data-dir",
        str(data),
    )
    out = tmp_path / "broker"
    hub_cmd(
        "broker-config",
        "--out",
        str(out),
        "--mqtt-port",
        str(port),
        "--tls-port",
        str(tls_port),
        "--tls-bind",
        "127.0.0.1",
        "--public-host",
        "localhost",
        "--data-dir",
        str(data),
    )
    assert {p.name for p in (out / "tls").iterdir()} == {"ca.crt", "server.crt", "server.key"}
    log = open(out / "mosquitto.log", "ab")  # noqa: SIM115 - the child writes to it
    broker = subprocess.Popen([require_binary("mosquitto"), "-c", str(out / "mosquitto.conf")], stdout=log, stderr=log)
    log.close()
    secret = json.loads((data / "secrets.json").read_text())["hub_mqtt_password"]
    hub = hubs(data, mqtt_url=f"mqtt://hub:{secret}@127.0.0.1:{port}")
    try:
        wait_until(
            lambda: can_connect("127.0.0.1", tls_port),
            timeout=10,
            message="external mosquitto's TLS listener",
        )
        hub.start()
        assert KioskRun(config, tmp_path / "ext1-data", "--taps", "5", "--wait-acked", "30").wait() == 0
        assert stored(data, kiosk_id="ext1") == 5
        anonymous = KioskClient(tls_port, username=None, password=None, tls=pem_files(config, tmp_path / "pems"))
        try:
            assert anonymous.connect().is_failure
        finally:
            anonymous.close()
    finally:
        hub.stop()
        broker.terminate()
        broker.wait(10)

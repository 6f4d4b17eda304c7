"""Bad input over a real broker: refused per rating with a reason (logged, counted), valid data kept,
the ingest loop alive; and the broker's own refusals (ACL, anonymous, wrong password)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from feedback import protocol as p
from tests.harness import HubProcess, KioskRun, kiosk_status, oracle_count, provision, stored, wait_until
from tests.mqtt_client import RawClient


def rating(seq: int, **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "seq": seq,
        "uuid": str(uuid.uuid4()),
        "face": 3,
        "scale": 4,
        "question": "q1",
        "reason": None,
        "time_ms": int(time.time() * 1000),
        "boot_id": "raw",
        "mono_ms": 1,
        "misuse": False,
    }
    doc.update(over)
    return doc


def message(*ratings: dict[str, Any], **over: Any) -> bytes:
    return json.dumps({"v": 1, "ratings": list(ratings), **over}).encode()


def test_bad_input_is_refused_with_reasons_and_valid_ratings_survive(hub: HubProcess, tmp_path: Path) -> None:
    """Each kind of bad input is refused with its reason; valid ratings beside it are stored; the hub goes on."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    raw = RawClient.for_kiosk(kiosks["a"], hub.mqtt_port)
    assert not raw.connect().is_failure
    raw.subscribe(p.kiosk_topic("a", p.ACK))
    topic = p.kiosk_topic("a", p.RATINGS)
    day_ms = 86_400_000
    bad_messages = [
        b"{not json",
        b"\xff\xfe\x00",
        b"[1, 2, 3]",
        json.dumps({"v": 99, "ratings": [rating(1)]}).encode(),
        message(rating(1), kiosk="b"),  # a payload naming another kiosk
        message(),  # no ratings
        message(rating(1, reason="x" * 70_000)),  # over 64 KB, under the broker's limit
    ]
    for payload in bad_messages:
        assert not raw.publish(topic, payload).is_failure
    mixed = message(
        rating(1),
        rating(2, face=9),  # face out of range
        rating(3, face="3"),  # wrong type
        rating(4, time_ms=int(time.time() * 1000) + 2 * day_ms),  # in the future
        rating(5, time_ms=978_307_200_000),  # 2001: ancient
        rating(6, uuid="not-a-uuid", scale=4),
        rating(7, misuse=True, reason="queue"),
    )
    assert not raw.publish(topic, mixed).is_failure

    def final_ack() -> p.Ack | None:
        while not raw.messages.empty():
            ack = p.decode_ack(bytes(raw.messages.get().payload))
            if ack.acked_through == 7:
                return ack
        return None

    ack = wait_until(final_ack, timeout=20, message="ack through seq 7")
    raw.close()
    assert {seq for seq, _ in ack.rejected} == {2, 3, 6}

    n_stored = stored(hub.data_dir, kiosk_id="a")
    assert n_stored == 4  # seqs 1, 4, 5, 7
    flags = oracle_count(
        hub.data_dir,
        "SELECT count(*) FROM ratings WHERE time_flag IN"
        " ('time_in_future', 'time_too_old') AND abs(time_ms - received_ms) < 1000",
    )
    assert flags == 2, "implausible device times are kept, flagged, and bucketed at the receive time"

    rejections = hub.api("/api/rejections")
    for reason in (
        "malformed_json",
        "not_an_object",
        "unsupported_version",
        "kiosk_mismatch",
        "no_ratings",
        "payload_too_large",
        "invalid_rating",
    ):
        assert rejections["by_reason"].get(reason, 0) >= 1, reason
    assert rejections["by_reason"]["invalid_rating"] == 3
    metrics = httpx.get(hub.url + "/metrics").text
    assert 'hub_rejected_total{reason="malformed_json"} 2' in metrics
    assert 'hub_rejected_total{reason="invalid_rating"} 3' in metrics

    # the ingest loop is alive: a well-behaved kiosk is still counted
    assert KioskRun(kiosks["b"], tmp_path / "b-data", "--taps", "20", "--wait-acked", "30").wait() == 0
    assert stored(hub.data_dir, kiosk_id="b") == 20


def test_a_message_refused_whole_is_answered_with_its_reason_seqs_and_correlation(
    hub: HubProcess, tmp_path: Path
) -> None:
    """A device learns why a whole message was refused, which seqs it carried (when readable) and which of its
    messages it was (its MQTT 5 Correlation Data echoed); nothing of it is acknowledged."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    raw = RawClient.for_kiosk(kiosks["a"], hub.mqtt_port)
    assert not raw.connect().is_failure
    raw.subscribe(p.kiosk_topic("a", p.ACK))
    cases = [
        (b"{not json", "malformed_json", []),
        (message(rating(5), rating(6), kiosk="b"), "kiosk_mismatch", [5, 6]),
        (json.dumps({"v": 99, "ratings": [rating(7)]}).encode(), "unsupported_version", [7]),
        (message(*[rating(seq) for seq in range(1, 102)]), "batch_too_large", list(range(1, 102))),
    ]
    try:
        for n, (payload, reason, seqs) in enumerate(cases):
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
            props.CorrelationData = f"msg-{n}".encode()
            assert not raw.publish(p.kiosk_topic("a", p.RATINGS), payload, properties=props).is_failure
            msg = raw.messages.get(timeout=20)
            ack = p.decode_ack(bytes(msg.payload))
            assert ack.error is not None, reason
            assert (ack.error.reason, ack.error.correlation) == (reason, f"msg-{n}")
            assert [seq for seq, _ in ack.rejected] == seqs
            assert {why for _, why in ack.rejected} <= {reason}
            assert ack.acked_through == 0, "a refused message acknowledges none of its seqs"
    finally:
        raw.close()
    assert stored(hub.data_dir) == 0


def test_ratings_from_unknown_kiosks_are_quarantined_then_promoted(hub: HubProcess, tmp_path: Path) -> None:
    """Ratings on an unregistered kiosk's topic are kept aside, visible via the API, and counted once it is added."""
    provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    secret = json.loads((hub.data_dir / "secrets.json").read_text())["hub_mqtt_password"]
    raw = RawClient(hub.mqtt_port, username="hub", password=secret, client_id="raw-ghost")
    assert not raw.connect().is_failure
    assert not raw.publish(p.kiosk_topic("ghost", p.RATINGS), message(rating(1), rating(2))).is_failure
    raw.close()
    quarantine = wait_until(lambda: hub.api("/api/quarantine"), message="quarantine listed")
    assert quarantine[0]["kiosk_id"] == "ghost" and quarantine[0]["ratings"] == 2
    assert stored(hub.data_dir) == 0
    provision(hub.data_dir, location="sto", kiosks=["ghost"], broker_url=hub.broker_url, out_dir=tmp_path)
    assert stored(hub.data_dir, kiosk_id="ghost") == 2
    assert hub.api("/api/quarantine") == []


def test_kiosk_cannot_publish_under_another_kiosks_id(hub: HubProcess, tmp_path: Path) -> None:
    """Kiosk a publishing on b's topic gets PUBACK 0x87 (not authorized) and nothing is stored for b."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    raw = RawClient.for_kiosk(kiosks["a"], hub.mqtt_port)
    assert not raw.connect().is_failure
    rc = raw.publish(p.kiosk_topic("b", p.RATINGS), message(rating(1)))
    own = raw.publish(p.kiosk_topic("a", p.RATINGS), message(rating(1)))
    raw.close()
    assert rc.is_failure and rc.value == 0x87
    assert not own.is_failure
    wait_until(
        lambda: stored(hub.data_dir, kiosk_id="a") == 1,
        message="a's own rating stored",
    )
    assert stored(hub.data_dir, kiosk_id="b") == 0


def test_anonymous_and_wrong_password_are_refused(hub: HubProcess, tmp_path: Path) -> None:
    """The broker admits no anonymous client and no wrong password."""
    provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    anonymous = RawClient(hub.mqtt_port, client_id="anon")
    wrong = RawClient(hub.mqtt_port, username="a", password="guess", client_id="wrong")
    try:
        assert anonymous.connect().is_failure
        assert wrong.connect().is_failure
    finally:
        anonymous.close()
        wrong.close()


def test_uplink_notices_a_denied_publish_and_backs_off(hub: HubProcess, tmp_path: Path) -> None:
    """A kiosk publishing with credentials that do not match its id sees PUBACK 0x87, logs it loudly, keeps every
    tap pending and reports failure instead of pretending it was delivered."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    wrong = tmp_path / "b-with-a-credentials.toml"
    doc = kiosks["b"].read_text()
    a_password = next(line for line in kiosks["a"].read_text().splitlines() if line.startswith("password"))
    doc = "\n".join(
        a_password if line.startswith("password") else 'username = "a"' if line.startswith("username") else line
        for line in doc.splitlines()
    )
    wrong.write_text(doc)
    run = KioskRun(wrong, tmp_path / "b-data", "--taps", "3", "--wait-acked", "5", "--log-level", "info")
    assert run.wait(60) == 1
    log = run.log_path.read_text()
    assert "broker refused a publish" in log and "0x87" in log
    assert kiosk_status(wrong, tmp_path / "b-data")["pending"] == 3
    assert stored(hub.data_dir) == 0

"""The hub's own connections over ``mqtts://``: a Mosquitto with the kiosks' TLS listener (client certificates
from the kiosk CA), ``hub ingest`` and ``hub serve`` with ``--mqtt-ca``/``--mqtt-cert``/``--mqtt-key`` from
``hub broker-client-cert``, TLS kiosks, PostgreSQL; and the refusals of bad TLS flags."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hub import cli as hub_cli
from hub.cli.common import check_mqtt_tls
from hub.config import MqttTls, parse_mqtt_urls
from hub.mqtt.tls import client_context
from tests.harness import (
    ROOT,
    ExternalBroker,
    HubProcess,
    IngestWorker,
    KioskRun,
    child_env,
    hub_cmd,
    hub_store,
    kiosk_status,
    provision,
    rolled_up,
    stored,
    wait_until,
)

TAPS = 600
UPLINK = "batch_size = 20\nreplay_jitter_s = 0.2\nack_timeout_s = 3"


@pytest.fixture
def hub_dir(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub data dir (secrets, kiosk CA, broker files) whose store is a fresh PostgreSQL database."""
    monkeypatch.setenv("HUB_DATABASE", pg_url)
    path = tmp_path / "hub"
    path.mkdir()
    return path


@pytest.fixture
def tls_broker(hub_dir: Path) -> Iterator[ExternalBroker]:
    """``broker-config --tls-port``: the kiosks' listener, a server certificate for localhost from the kiosk CA."""
    b = ExternalBroker(hub_dir, name="tls-broker", is_tls=True)
    yield b
    b.stop()


def hub_tls_url(broker: ExternalBroker) -> str:
    """The hub's user on the broker's TLS listener (the kiosks' one), by the name in its certificate."""
    secret = json.loads((broker.hub_data_dir / "secrets.json").read_text())["hub_mqtt_password"]
    return f"mqtts://hub:{secret}@localhost:{broker.tls_port}"


def client_cert(hub_dir: Path, out: Path) -> dict[str, Path]:
    hub_cmd("broker-client-cert", "--out", str(out), "--data-dir", str(hub_dir))
    return {"ca": out / "ca.crt", "cert": out / "hub.crt", "key": out / "hub.key"}


def tls_args(files: dict[str, Path], *, with_ca: bool = True) -> list[str]:
    ca = ["--mqtt-ca", str(files["ca"])] if with_ca else []
    return [*ca, "--mqtt-cert", str(files["cert"]), "--mqtt-key", str(files["key"])]


def test_broker_client_cert_issues_the_hub_a_client_certificate_from_the_kiosk_ca(tmp_path: Path) -> None:
    """The certificate names the hub's broker user, chains to the kiosk CA, is good for clientAuth only; the key
    is 0600; the issue is in the audit log."""
    data = tmp_path / "hub"
    files = client_cert(data, tmp_path / "hub-tls")
    cert = x509.load_pem_x509_certificate(files["cert"].read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate((data / "pki" / "ca.crt").read_bytes()))
    assert files["ca"].read_bytes() == (data / "pki" / "ca.crt").read_bytes()
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "hub"
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert files["key"].stat().st_mode & 0o777 == 0o600
    assert client_context(MqttTls(files["ca"], files["cert"], files["key"])).verify_mode == ssl.CERT_REQUIRED
    with hub_store(data) as store:
        assert [(e.action, e.target) for e in store.audit.entries()] == [("broker_client_cert.issue", "user:hub")]


def test_an_ingest_worker_over_mqtts_with_the_hub_certificate_stores_every_tls_tap_once(
    hub_dir: Path, tls_broker: ExternalBroker, tmp_path: Path
) -> None:
    """A worker on only the kiosks' TLS listener (it verifies the broker against the kiosk CA and presents the hub's
    certificate); two TLS kiosks tap through it; every tap is stored exactly once and every outbox acknowledged."""
    kiosks = provision(
        hub_dir, location="sto", kiosks=["a", "b"], broker_url=tls_broker.kiosk_url, out_dir=tmp_path, uplink=UPLINK,
        tls=True,
    )  # fmt: skip
    tls_broker.start()
    files = client_cert(hub_dir, tmp_path / "hub-tls")
    worker = IngestWorker(tmp_path, mqtt_url=hub_tls_url(tls_broker), client_id="w1", extra_args=tls_args(files))
    runs: list[KioskRun] = []
    try:
        worker.start()
        wait_until(lambda: worker.connections() >= 1, timeout=30, message="the worker on the TLS listener")
        assert f"hub: connected to localhost:{tls_broker.tls_port}" in worker.log_path.read_text()
        runs += [
            KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", str(TAPS), "--rate", "600", "--wait-acked", "120")
            for kid, cfg in kiosks.items()
        ]
        assert [r.wait(150) for r in runs] == [0, 0]
        for kid, cfg in kiosks.items():
            st = kiosk_status(cfg, tmp_path / f"{kid}-data")
            assert (st["pending"], st["last_seq"], st["acked_through"]) == (0, TAPS, TAPS)
            assert stored(hub_dir, kiosk_id=kid) == TAPS
        assert stored(hub_dir) == rolled_up(hub_dir) == len(kiosks) * TAPS
        assert "certificate verify failed" not in worker.log_path.read_text()
    finally:
        for r in runs:
            r.kill()
        worker.stop()


def test_without_mqtt_ca_the_kiosk_ca_is_not_trusted_and_nothing_falls_back_to_plain(
    hub_dir: Path, tls_broker: ExternalBroker, tmp_path: Path
) -> None:
    """No ``--mqtt-ca``: the system CAs do not know the kiosk CA, so the worker logs the failed verification and
    keeps retrying over TLS; it never connects, and the broker never sees the hub's user."""
    tls_broker.start()
    files = client_cert(hub_dir, tmp_path / "hub-tls")
    worker = IngestWorker(
        tmp_path, mqtt_url=hub_tls_url(tls_broker), client_id="w1", extra_args=tls_args(files, with_ca=False)
    )
    try:
        worker.start()
        log = worker.log_path
        wait_until(lambda: log.read_text().count("certificate verify failed") >= 2, timeout=30, message="retries")
        assert worker.proc is not None and worker.proc.poll() is None, "it retries; it does not give up or exit"
        assert f"hub: w1 cannot connect to broker localhost:{tls_broker.tls_port}: [SSL" in log.read_text()
        assert worker.connections() == 0
        assert "u'hub'" not in (tls_broker.dir / "mosquitto.log").read_text()
    finally:
        worker.stop()


def test_the_kiosks_listener_refuses_the_hub_without_its_client_certificate(
    hub_dir: Path, tls_broker: ExternalBroker, tmp_path: Path
) -> None:
    """``--mqtt-ca`` but no ``--mqtt-cert``: the broker verifies, the hub's password alone is not enough there;
    the worker never connects and says why."""
    tls_broker.start()
    files = client_cert(hub_dir, tmp_path / "hub-tls")
    worker = IngestWorker(
        tmp_path, mqtt_url=hub_tls_url(tls_broker), client_id="w1", extra_args=["--mqtt-ca", str(files["ca"])]
    )
    try:
        worker.start()
        log = worker.log_path
        wait_until(lambda: "without --mqtt-cert/--mqtt-key" in log.read_text(), timeout=30, message="the refusal")
        assert worker.connections() == 0
    finally:
        worker.stop()
    assert "peer did not return a certificate" in (tls_broker.dir / "mosquitto.log").read_text()


def test_hub_serve_over_mqtts_ingests_and_publishes_through_the_kiosks_tls_listener(
    hub_dir: Path, tls_broker: ExternalBroker, tmp_path: Path
) -> None:
    """``hub serve --mqtt-url mqtts://… --mqtt-ca … --mqtt-cert … --mqtt-key …``: its ingest and its config
    publisher both connect over TLS (healthy), and a TLS kiosk's taps are stored once."""
    kiosks = provision(
        hub_dir, location="sto", kiosks=["a"], broker_url=tls_broker.kiosk_url, out_dir=tmp_path, uplink=UPLINK,
        tls=True,
    )  # fmt: skip
    tls_broker.start()
    files = client_cert(hub_dir, tmp_path / "hub-tls")
    hub = HubProcess(hub_dir, mqtt_url=hub_tls_url(tls_broker), extra_args=tuple(tls_args(files)))
    run: KioskRun | None = None
    try:
        hub.start()
        assert f"hub: connected to localhost:{tls_broker.tls_port}" in hub.log_path.read_text()
        run = KioskRun(kiosks["a"], tmp_path / "a-data", "--taps", str(TAPS), "--rate", "600", "--wait-acked", "120")
        assert run.wait(150) == 0
        assert stored(hub_dir, kiosk_id="a") == rolled_up(hub_dir) == TAPS
        with hub_store(hub_dir) as store:
            wait_until(lambda: store.settings.publications(only_unpublished=True) == [], message="settings published")
    finally:
        if run is not None:
            run.kill()
        hub.stop()


def test_hub_serve_reaching_one_broker_in_plain_and_another_over_mqtts_runs_and_guesses_no_kiosk_address(
    hub_dir: Path, tls_broker: ExternalBroker, tmp_path: Path
) -> None:
    """A hub's own broker on loopback in plain and a remote one over TLS: ``serve`` runs on both (it once refused a
    mix, as kiosk addresses), a TLS kiosk's taps are stored once, and ``kiosk add`` asks for an address rather than
    being given the hub's own mix."""
    plain = ExternalBroker(hub_dir, name="plain-broker")
    kiosks = provision(
        hub_dir, location="sto", kiosks=["a"], broker_url=tls_broker.kiosk_url, out_dir=tmp_path, uplink=UPLINK,
        tls=True,
    )  # fmt: skip
    tls_broker.start()
    plain.start()
    files = client_cert(hub_dir, tmp_path / "hub-tls")
    hub = HubProcess(hub_dir, mqtt_url=[plain.hub_url(), hub_tls_url(tls_broker)], extra_args=tuple(tls_args(files)))
    run: KioskRun | None = None
    try:
        hub.start()
        log = hub.log_path.read_text()
        assert f"hub: connected to 127.0.0.1:{plain.port}" in log
        assert f"hub: connected to localhost:{tls_broker.tls_port}" in log
        run = KioskRun(kiosks["a"], tmp_path / "a-data", "--taps", "100", "--rate", "200", "--wait-acked", "120")
        assert run.wait(150) == 0
        assert stored(hub_dir, kiosk_id="a") == rolled_up(hub_dir) == 100
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = hub_cli.main(["kiosk", "add", "b", "--location", "sto", "--out", str(tmp_path / "b.toml"),
                               "--data-dir", str(hub_dir)])  # fmt: skip
        assert rc != 0 and "does not know its broker address yet" in err.getvalue()
    finally:
        if run is not None:
            run.kill()
        hub.stop()
        plain.stop()


BAD = "postgresql://nobody:x@127.0.0.1:1/none"  # never opened: the flags are refused first
MQTTS = "mqtts://hub:x@localhost:8883"


@pytest.mark.parametrize(
    ("extra", "env", "says"),
    [
        (["--mqtt-ca", "{tmp}/missing.pem"], {}, "error: --mqtt-ca {tmp}/missing.pem: not a readable file"),
        (["--mqtt-ca", "{tmp}"], {}, "error: --mqtt-ca {tmp}: not a readable file"),
        (["--mqtt-ca", "{tmp}/hub-tls/hub.key"], {}, "NO_CERTIFICATE"),
        ([], {"HUB_MQTT_CA": "{tmp}/missing.pem"}, "error: --mqtt-ca {tmp}/missing.pem: not a readable file"),
        (["--mqtt-cert", "{tmp}/hub-tls/hub.crt"], {}, "error: --mqtt-cert needs --mqtt-key"),
        ([], {"HUB_MQTT_KEY": "{tmp}/hub-tls/hub.key"}, "error: --mqtt-key needs --mqtt-cert"),
        (["--mqtt-cert", "{tmp}/hub-tls/ca.crt", "--mqtt-key", "{tmp}/hub-tls/hub.key"], {}, "KEY_VALUES_MISMATCH"),
        (["--mqtt-cert", "{tmp}/hub-tls/hub.crt", "--mqtt-key", "{tmp}/open.key"], {}, "readable by every user"),
    ],
)
def test_bad_tls_flags_are_refused_at_start_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str], env: dict[str, str], says: str
) -> None:
    """A missing, unreadable or wrong CA file, a certificate without its key (or the reverse), a mismatched pair
    and a key anyone may read: each is one ``error:`` line naming the flag and exit 2, for serve and ingest."""
    client_cert(tmp_path / "hub", tmp_path / "hub-tls")
    (tmp_path / "open.key").write_bytes((tmp_path / "hub-tls" / "hub.key").read_bytes())
    (tmp_path / "open.key").chmod(0o644)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    flags = [arg.format(tmp=tmp_path) for arg in extra]
    for argv in (
        ["ingest", "--database", BAD, "--mqtt-url", MQTTS, "--client-id", "w1", *flags],
        ["serve", "--data-dir", str(tmp_path / "hub"), "--mqtt-url", MQTTS, *flags],
    ):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = hub_cli.main(argv)
        assert (rc, err.getvalue().count("\n")) == (2, 1), err.getvalue()
        assert says.format(tmp=tmp_path) in err.getvalue()


def test_tls_files_without_an_mqtts_broker_are_refused(tmp_path: Path) -> None:
    """``--mqtt-ca`` with only plain ``mqtt://`` brokers (or the managed one) would change nothing: refused."""
    files = client_cert(tmp_path / "hub", tmp_path / "hub-tls")
    for argv in (
        ["ingest", "--database", BAD, "--mqtt-url", "mqtt://hub:x@localhost:1883", "--client-id", "w1"],
        ["serve", "--data-dir", str(tmp_path / "hub")],
    ):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = hub_cli.main([*argv, "--mqtt-ca", str(files["ca"])])
        assert rc == 2 and "no --mqtt-url is mqtts://" in err.getvalue()


def test_a_password_sent_in_clear_to_another_machine_is_warned_of(caplog: pytest.LogCaptureFixture) -> None:
    """A plain ``mqtt://`` broker on another host is logged as a warning; one on loopback or ``mqtts://`` is not."""
    urls = ["mqtt://hub:x@broker.example.org:1883", "mqtt://hub:x@127.0.0.1:1884", "mqtts://hub:x@b.example.org:8883"]
    with caplog.at_level(logging.WARNING):
        check_mqtt_tls(MqttTls(), parse_mqtt_urls(urls))
    assert [r.getMessage().split(" is reached")[0] for r in caplog.records] == ["broker broker.example.org:1883"]
    assert "use mqtts://" in caplog.records[0].getMessage()


def test_a_worker_given_a_missing_ca_file_exits_2_with_the_line(tmp_path: Path) -> None:
    """The real process: ``hub ingest --mqtt-ca /missing`` exits 2 with one line naming the flag, no traceback."""
    missing = tmp_path / "missing.pem"
    done = subprocess.run(
        [sys.executable, "-m", "hub", "ingest", "--database", BAD, "--mqtt-url", MQTTS, "--client-id", "w1",
         "--mqtt-ca", str(missing)],
        capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert (
        done.stderr
        == f"error: --mqtt-ca {missing}: not a readable file of CA certificates (No such file or directory)\n"
    )


def test_the_hub_context_always_verifies_the_broker_and_its_host_name(tmp_path: Path) -> None:
    """With the system CAs or a given CA: certificates required and the host name checked."""
    files = client_cert(tmp_path / "hub", tmp_path / "hub-tls")
    for tls in (MqttTls(), MqttTls(ca_file=files["ca"])):
        ctx = client_context(tls)
        assert (ctx.verify_mode, ctx.check_hostname, ctx.minimum_version) == (
            ssl.CERT_REQUIRED,
            True,
            ssl.TLSVersion.TLSv1_2,
        )

"""A hub whose managed Mosquitto has the kiosks' TLS listener, kiosks provisioned with ``kiosk add --tls``,
and a raw MQTT 5 client that presents a kiosk's (or anyone's) certificate."""

from __future__ import annotations

import datetime as dt
import threading
import tomllib
from pathlib import Path
from typing import Any

from hub.fleet.pki import KioskCA
from tests.harness import HubProcess, free_port, hub_cmd
from tests.mqtt_client import RawClient


class TlsHub(HubProcess):
    """``hub serve --mqtt-tls-port``: the plain listener stays on loopback for the hub, kiosks use TLS."""

    def __init__(self, data_dir: Path, **kw: Any) -> None:
        super().__init__(data_dir, **kw)
        self.tls_port = free_port()

    @property
    def tls_url(self) -> str:
        return f"mqtts://localhost:{self.tls_port}"

    def serve_args(self) -> list[str]:
        return [
            *super().serve_args(),
            "--mqtt-tls-port",
            str(self.tls_port),
            "--mqtt-tls-bind",
            "127.0.0.1",
            "--public-mqtt-host",
            "localhost",
        ]


def provision_tls(hub: TlsHub, *, location: str, kiosks: list[str], out_dir: Path) -> dict[str, Path]:
    """Add the location (once) and TLS kiosks through the hub CLI; return each kiosk's config path."""
    if location not in hub_cmd("location", "list", "--data-dir", str(hub.data_dir)):
        hub_cmd(
            "location",
            "add",
            location,
            "--name",
            location.title(),
            "--timezone",
            "Europe/Stockholm",
            "--data-dir",
            str(hub.data_dir),
        )
    paths = {}
    for kid in kiosks:
        path = out_dir / f"{kid}.toml"
        hub_cmd(
            "kiosk",
            "add",
            kid,
            "--location",
            location,
            "--tls",
            "--broker-url",
            hub.tls_url,
            "--out",
            str(path),
            "--data-dir",
            str(hub.data_dir),
        )
        paths[kid] = path
    return paths


def pem_files(config: Path, out_dir: Path) -> dict[str, str]:
    """The PEMs embedded in a kiosk config written out as files, as ``tls_set`` keyword arguments."""
    b = tomllib.loads(config.read_text())["broker"]
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for key, name in (("ca_pem", "ca_certs"), ("cert_pem", "certfile"), ("key_pem", "keyfile")):
        path = out_dir / f"{config.stem}-{key}.pem"
        path.write_text(b[key])
        files[name] = str(path)
    return files


def foreign_cert_files(out_dir: Path, kiosk_id: str) -> dict[str, str]:
    """A certificate for ``kiosk_id`` from another CA (same code, a different CA key)."""
    now = dt.datetime.now(dt.UTC)
    issued = KioskCA(out_dir / "foreign-ca").ensure(now=now).issue_client(kiosk_id, now=now)
    cert, key = out_dir / "foreign.crt", out_dir / "foreign.key"
    cert.write_text(issued.cert_pem)
    key.write_text(issued.key_pem)
    return {"certfile": str(cert), "keyfile": str(key)}


class KioskClient(RawClient):
    """A raw client over the TLS listener that also records when the broker drops it."""

    def __init__(
        self, port: int, *, username: str | None, password: str | None, tls: dict[str, str], client_id: str = ""
    ) -> None:
        super().__init__(port, username=username, password=password, client_id=client_id, host="localhost", tls=tls)
        self.disconnected = threading.Event()
        self.client.on_disconnect = lambda *a: self.disconnected.set()
        self.client.reconnect_delay_set(30, 60)  # stay down once dropped: the test looks at the first drop

    @classmethod
    def as_kiosk(cls, port: int, config: Path, out_dir: Path, **over: Any) -> KioskClient:
        b = tomllib.loads(config.read_text())["broker"]
        args: dict[str, Any] = {
            "username": b["username"],
            "password": b["password"],
            "tls": pem_files(config, out_dir),
            "client_id": f"raw-{config.stem}",
        }
        args.update(over)
        return cls(port, **args)

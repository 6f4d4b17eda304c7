"""``python -m hub broker-config``: Mosquitto's files for running your own broker; ``broker-address``: the
address new kiosk configs get; ``broker-client-cert``: the hub's own certificate for those brokers' TLS listener."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from hub.cli.common import add_data_dir
from hub.config import DEFAULT_MQTT_PORT, check_port
from hub.fleet.addresses import TLS, recorded, set_explicit
from hub.fleet.broker import HUB_USERNAME, TlsListener, broker_tls_hosts, hub_password, write_broker_files
from hub.fleet.passwords import write_private
from hub.fleet.pki import KioskCA
from hub.store import Store


def add_broker_parser(sub: Any) -> None:
    b = sub.add_parser("broker-config", help="write mosquitto.conf, password file and ACL for a broker")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--mqtt-port", type=int, default=DEFAULT_MQTT_PORT)
    b.add_argument("--mqtt-bind", default="127.0.0.1")
    b.add_argument("--tls-port", type=int, help="add a TLS listener for kiosks (certificates from the kiosk CA)")
    b.add_argument("--tls-bind", default="0.0.0.0", help="TLS listener bind address (default 0.0.0.0)")
    b.add_argument("--public-host", help="host name kiosks use for the broker (put in its TLS certificate)")
    add_data_dir(b)


def add_broker_address_parser(sub: Any) -> None:
    a = sub.add_parser("broker-address", help="the broker address written into new kiosk configs")
    aa = a.add_subparsers(dest="action", required=True)
    s = aa.add_parser("set", help="set it (kept across restarts; `serve` then leaves it alone)")
    s.add_argument(
        "url", nargs="+", help="mqtt://HOST:PORT, or mqtts://HOST:PORT for the TLS listener; one per broker, in order"
    )
    add_data_dir(s)
    add_data_dir(aa.add_parser("show", help="print the recorded addresses as JSON"))


def add_broker_client_cert_parser(sub: Any) -> None:
    c = sub.add_parser(
        "broker-client-cert",
        help="write a client certificate for the hub's own connections to brokers' TLS listeners (mqtts://), issued"
        " by the kiosk CA, with its key and the CA: for --mqtt-ca, --mqtt-cert and --mqtt-key",
    )
    c.add_argument("--out", type=Path, required=True, help="directory to write ca.crt, hub.crt and hub.key (0600) into")
    add_data_dir(c)


def run_broker_client_cert(args: argparse.Namespace) -> None:
    now = dt.datetime.now(dt.UTC)
    ca = KioskCA(args.data_dir / "pki").ensure(now=now)
    issued = ca.issue_client(HUB_USERNAME, now=now)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = out / "ca.crt", out / "hub.crt", out / "hub.key"
    write_private(key_path, issued.key_pem)
    write_private(cert_path, issued.cert_pem)
    write_private(ca_path, ca.cert_pem)
    print(
        f"wrote {cert_path} (valid until {issued.not_after:%Y-%m-%d}), its key {key_path} and the kiosk CA {ca_path};"
        f" the hub's processes use them with: --mqtt-ca {ca_path} --mqtt-cert {cert_path} --mqtt-key {key_path}",
        file=sys.stderr,
    )


def run_broker_address(args: argparse.Namespace, store: Store) -> None:
    if args.action == "set":
        which = set_explicit(store, *args.url)
        print(f"{'TLS ' if which == TLS else ''}broker address for new kiosks: {' '.join(args.url)}", file=sys.stderr)
    else:
        print(json.dumps(recorded(store), indent=2))


def run_broker_config(args: argparse.Namespace, store: Store) -> None:
    check_port(args.mqtt_port, "--mqtt-port")
    tls = None
    if args.tls_port is not None:
        check_port(args.tls_port, "--tls-port")
        utc = dt.datetime.now(dt.UTC)
        ca = KioskCA(args.data_dir / "pki").ensure(now=utc)
        hosts = broker_tls_hosts(args.public_host, args.tls_bind)
        tls = TlsListener(args.tls_port, args.tls_bind, *ca.server_files(args.out / "tls", hosts, now=utc))
    files = write_broker_files(
        args.out,
        hub_secret=hub_password(args.data_dir),
        kiosks=store.registry.broker_users(),
        port=args.mqtt_port,
        bind=args.mqtt_bind,
        tls=tls,
    )
    print(
        f"wrote {files.conf}, {files.passwd}, {files.acl}" + (f" and {args.out / 'tls'}" if tls else ""),
        file=sys.stderr,
    )

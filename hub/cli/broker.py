"""``python -m hub broker-config``: Mosquitto's files for running your own broker; ``broker-address``: the
address new kiosk configs get."""

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
from hub.fleet.broker import TlsListener, broker_tls_hosts, hub_password, write_broker_files
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

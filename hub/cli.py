"""``python -m hub``: the hub's command line. Adapts the library; every error becomes one clean line."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from feedback.ids import InvalidId
from hub.auth import ROLES, create_token
from hub.broker import RESERVED_USERNAMES, TlsListener, broker_tls_hosts, hub_password, write_broker_files
from hub.config import DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT, HubConfig, HubConfigError, check_port, parse_mqtt_url
from hub.config_cli import add_config_parser, run_config
from hub.db import get_meta, open_db
from hub.ledger import promote_quarantine
from hub.pki import KioskCA, PkiError
from hub.registry import Registry, RegistryError
from hub.user_cli import add_location_set_parser, add_user_parsers, run_location_set, run_user


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("hub-data"),
        help="directory holding hub.db, secrets and broker files (default: ./hub-data)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hub", description="Feedback hub: ingest, store, API.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "demo", help="run a demo: hub, managed broker, demo fleet with a month of history (see --help)", add_help=False
    )

    s = sub.add_parser("serve", help="run the hub (HTTP API + MQTT ingest, with a managed broker by default)")
    _data_dir(s)
    s.add_argument("--http-host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    s.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT, help=f"HTTP port (default {DEFAULT_HTTP_PORT})")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--mqtt-url", help="use this external broker (mqtt://user:password@host:port); start none")
    g.add_argument(
        "--mqtt-port",
        type=int,
        default=DEFAULT_MQTT_PORT,
        help=f"port of the managed broker (default {DEFAULT_MQTT_PORT}, not 1883)",
    )
    s.add_argument("--mqtt-bind", default="127.0.0.1", help="managed broker bind address (default 127.0.0.1)")
    s.add_argument("--public-mqtt-host", help="broker host name written into new kiosk configs")
    s.add_argument(
        "--mqtt-tls-port",
        type=int,
        help="also open a TLS listener for kiosks (client certificate + password) on this port",
    )
    s.add_argument("--mqtt-tls-bind", default="0.0.0.0", help="TLS listener bind address (default 0.0.0.0)")
    s.add_argument("--client-id", default="hub-ingest-1", help="stable MQTT client id of this ingest worker")
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])

    loc = sub.add_parser("location", help="manage locations").add_subparsers(dest="action", required=True)
    la = loc.add_parser("add", help="add a location")
    la.add_argument("id")
    la.add_argument("--name", required=True)
    la.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Stockholm")
    la.add_argument("--region", help="region id this location belongs to")
    _data_dir(la)
    ll = loc.add_parser("list", help="list locations as JSON")
    _data_dir(ll)
    add_location_set_parser(loc, _data_dir)

    k = sub.add_parser("kiosk", help="manage kiosks").add_subparsers(dest="action", required=True)
    ka = k.add_parser("add", help="register a kiosk and write its config file (with its credentials)")
    ka.add_argument("id")
    ka.add_argument("--location", required=True)
    ka.add_argument("--out", type=Path, help="write the kiosk config here (default: stdout)")
    ka.add_argument("--broker-url", help="broker address for the kiosk (default: the one `serve` recorded)")
    ka.add_argument(
        "--tls",
        action="store_true",
        help="issue a client certificate from the hub's kiosk CA and use the TLS listener (mqtts://)",
    )
    _data_dir(ka)
    km = k.add_parser("move", help="move a kiosk to another location (same credentials)")
    km.add_argument("id")
    km.add_argument("--location", required=True)
    _data_dir(km)
    for name, text in (("disable", "revoke a kiosk's broker access (its data stays)"), ("enable", "re-enable")):
        kd = k.add_parser(name, help=text)
        kd.add_argument("id")
        _data_dir(kd)
    kl = k.add_parser("list", help="list kiosks as JSON")
    _data_dir(kl)

    t = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    tc = t.add_parser("create", help="print a new API token")
    tc.add_argument("--role", default="admin", choices=ROLES)
    tc.add_argument("--user", help="user the token acts for (managers)")
    _data_dir(tc)
    add_user_parsers(sub, _data_dir)

    b = sub.add_parser("broker-config", help="write mosquitto.conf, password file and ACL for a broker")
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--mqtt-port", type=int, default=DEFAULT_MQTT_PORT)
    b.add_argument("--mqtt-bind", default="127.0.0.1")
    b.add_argument("--tls-port", type=int, help="add a TLS listener for kiosks (certificates from the kiosk CA)")
    b.add_argument("--tls-bind", default="0.0.0.0", help="TLS listener bind address (default 0.0.0.0)")
    b.add_argument("--public-host", help="host name kiosks use for the broker (put in its TLS certificate)")
    _data_dir(b)
    add_config_parser(sub, _data_dir)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:  # its own parser: it only orchestrates the commands below
        from hub.demo import main as demo_main

        return demo_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(_run(args) or 0)
    except (RegistryError, InvalidId, HubConfigError, ValueError, PkiError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int | None:
    if args.command == "serve":
        return _serve(args)
    db = open_db(args.data_dir / "hub.db")
    reg = Registry(db)
    now = _now_ms()
    if args.command == "location":
        if args.action == "add":
            loc = reg.add_location(args.id, name=args.name, timezone=args.timezone, now_ms=now, region_id=args.region)
            print(f"location {loc.id} added ({loc.timezone})", file=sys.stderr)
        elif args.action == "set":
            run_location_set(args, db, now)
        else:
            print(json.dumps([dataclasses.asdict(loc) for loc in reg.locations()], indent=2))
    elif args.command == "kiosk":
        return _kiosk(args, db, reg, now)
    elif args.command == "token":
        print(create_token(db, role=args.role, now_ms=now, user_id=args.user))
    elif args.command in ("user", "region"):
        run_user(args, db, now)
    elif args.command == "config":
        run_config(args, db, now)
    elif args.command == "broker-config":
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
            kiosks=reg.broker_users(),
            port=args.mqtt_port,
            bind=args.mqtt_bind,
            tls=tls,
        )
        print(
            f"wrote {files.conf}, {files.passwd}, {files.acl}" + (f" and {args.out / 'tls'}" if tls else ""),
            file=sys.stderr,
        )
    return None


def _kiosk(args: argparse.Namespace, db: object, reg: Registry, now: int) -> int | None:
    if args.action == "add":
        if args.id in RESERVED_USERNAMES:
            raise RegistryError(f"kiosk id {args.id!r} is reserved")
        url = args.broker_url or get_meta(reg.db, "broker_tls_url" if args.tls else "broker_url")
        if args.tls and not (url or "").startswith("mqtts://"):
            raise RegistryError(
                "--tls needs the broker's TLS address: pass --broker-url mqtts://HOST:PORT"
                " or start `serve --mqtt-tls-port` once so the hub records it"
            )
        ca = KioskCA(args.data_dir / "pki").ensure(now=dt.datetime.now(dt.UTC)) if args.tls else None
        password = reg.add_kiosk(args.id, location_id=args.location, now_ms=now)
        promoted = promote_quarantine(reg.db.conn, args.id, now_ms=now)
        if promoted:
            print(f"moved {promoted} quarantined ratings of {args.id} into its location", file=sys.stderr)
        url = url or f"mqtt://127.0.0.1:{DEFAULT_MQTT_PORT}"
        tls_pems = None
        if ca is not None:
            issued = ca.issue_client(args.id, now=dt.datetime.now(dt.UTC))
            tls_pems = (ca.cert_pem, issued.cert_pem, issued.key_pem)
        text = kiosk_config_text(args.id, args.location, url, password, tls_pems=tls_pems)
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.touch(mode=0o600)
            args.out.write_text(text)
            print(f"kiosk {args.id} added; config written to {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    elif args.action == "move":
        reg.move_kiosk(args.id, location_id=args.location, now_ms=now)
        print(f"kiosk {args.id} now counts for {args.location}", file=sys.stderr)
    elif args.action in ("disable", "enable"):
        reg.set_disabled(args.id, is_disabled=args.action == "disable")
        print(f"kiosk {args.id} {args.action}d", file=sys.stderr)
    else:
        print(json.dumps(reg.kiosks(), indent=2))
    return None


def kiosk_config_text(
    kiosk_id: str, location_id: str, broker_url: str, password: str, *, tls_pems: tuple[str, str, str] | None = None
) -> str:
    """The kiosk's TOML file; with ``tls_pems`` (CA, client cert, client key) the PEMs are embedded."""
    tls = ""
    if tls_pems is not None:
        ca_pem, cert_pem, key_pem = (pem.strip() for pem in tls_pems)
        tls = f"""# TLS: trust only the hub's kiosk CA; this kiosk's client certificate and its private key.
ca_pem = '''
{ca_pem}'''
cert_pem = '''
{cert_pem}'''
key_pem = '''
{key_pem}'''
"""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""# Kiosk configuration written by `python -m hub kiosk add` on {stamp}.
# It holds this kiosk's broker password: keep it readable by the kiosk's user only.

[kiosk]
id = "{kiosk_id}"
location = "{location_id}"

[broker]
url = "{broker_url}"
username = "{kiosk_id}"
password = "{password}"
{tls}
[ui]
faces = 4
language = "sv"
languages = ["sv", "en"]
followup_faces = [0, 1]
"""


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hub.app import create_app

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    check_port(args.http_port, "--http-port")
    check_port(args.mqtt_port, "--mqtt-port")
    config = HubConfig(
        data_dir=args.data_dir.resolve(),
        http_host=args.http_host,
        http_port=args.http_port,
        mqtt_port=args.mqtt_port,
        mqtt_bind=args.mqtt_bind,
        external_mqtt=parse_mqtt_url(args.mqtt_url) if args.mqtt_url else None,
        public_mqtt_host=args.public_mqtt_host,
        client_id=args.client_id,
        mqtt_tls_port=check_port(args.mqtt_tls_port, "--mqtt-tls-port") if args.mqtt_tls_port else None,
        mqtt_tls_bind=args.mqtt_tls_bind,
    )
    uvicorn.run(create_app(config), host=config.http_host, port=config.http_port, log_level=args.log_level)
    return 0

"""``python -m hub serve``: the HTTP API and dashboard, the MQTT ingest and (by default) a managed broker."""

from __future__ import annotations

import argparse
import contextlib
import logging
from typing import Any

from feedback.abuse import DEFAULT_TAPS_PER_MINUTE, TapLimit
from hub.alerts.delivery import parse_smtp_url
from hub.cli.common import (
    add_data_dir,
    add_mqtt_keepalive,
    add_mqtt_tls,
    check_mqtt_tls,
    mqtt_keepalive_s,
    mqtt_tls,
    mqtt_urls,
)
from hub.client_ids import claim_client_id, client_lease
from hub.clock import wall_ms
from hub.config import DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT, HubConfig, check_port, check_tap_limit, parse_mqtt_urls
from hub.errors import ConfigError, StoreUnavailable
from hub.leadership import DEFAULT_LEASE_S, LeaseTerms, process_holder
from hub.store import open_store


def add_serve_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="run the hub (HTTP API + MQTT ingest, with a managed broker by default)")
    add_data_dir(s)
    s.add_argument("--http-host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    s.add_argument("--http-port", type=int, default=DEFAULT_HTTP_PORT, help=f"HTTP port (default {DEFAULT_HTTP_PORT})")
    g = s.add_mutually_exclusive_group()
    g.add_argument(
        "--mqtt-url",
        action="append",
        help="use this external broker (mqtt://user:password@host:port, or mqtts://… for TLS, see --mqtt-ca), start"
        " none; once per broker: the hub ingests from each and publishes to all (default: $HUB_MQTT_URLS, separated"
        " by spaces)",
    )
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
    s.add_argument(
        "--client-id",
        default="hub-ingest-1",
        help="stable MQTT client id of this process's ingest (its publisher's: ID-config); each process on one store"
        " needs its own: one given an id in use refuses to start (default hub-ingest-1)",
    )
    add_mqtt_keepalive(s)
    add_mqtt_tls(s)
    s.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host name the dashboard is reached by (repeatable; '*' allows any); requests naming another "
        "host get 400. Default: the addresses the hub serves (every interface and host name with 0.0.0.0)",
    )
    s.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help="a reverse proxy in front of the hub, IP or CIDR (repeatable): only from it are X-Forwarded-For "
        "(the client's address) and X-Forwarded-Proto (https) believed. Default: none",
    )
    s.add_argument(
        "--kiosk-taps-per-minute",
        type=int,
        default=DEFAULT_TAPS_PER_MINUTE,
        metavar="N",
        help=f"taps per minute of tap time over which a kiosk is flagged and the excess refused (default "
        f"{DEFAULT_TAPS_PER_MINUTE}; 0: no limit)",
    )
    s.add_argument(
        "--no-kiosk-throttle",
        action="store_true",
        help="flag kiosks over the limit but store their taps anyway (for load tests with simulated kiosks)",
    )
    s.add_argument(
        "--smtp-url",
        help="send alert and report e-mails here: smtp://USER:PASS@HOST:PORT (STARTTLS when"
        " the server offers it) or smtps://… (TLS)",
    )
    s.add_argument("--mail-from", default="hub@localhost", help="sender address of e-mails (default hub@localhost)")
    s.add_argument(
        "--alert-interval-s", type=float, default=60.0, help="evaluate alert rules every N seconds (default 60)"
    )
    s.add_argument("--public-url", help="the dashboard's address in e-mails (default http://HTTP_HOST:HTTP_PORT)")
    s.add_argument(
        "--no-ingest",
        action="store_true",
        help="serve HTTP only: no MQTT ingest in this process (another hub process on the same --database ingests)",
    )
    s.add_argument(
        "--lease-s",
        type=float,
        default=DEFAULT_LEASE_S,
        help=f"several hub serve processes on one --database: one at a time evaluates alerts and one publishes kiosk"
        f" configs, each under a lease of this many seconds; a dead one's work moves on within this plus a second"
        f" (default {DEFAULT_LEASE_S:g})",
    )
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn  # imported here: the other commands start faster without it

    from hub.app import create_app
    from hub.guard.proxies import trusted_proxies

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    check_port(args.http_port, "--http-port")
    check_port(args.mqtt_port, "--mqtt-port")
    if args.smtp_url:
        parse_smtp_url(args.smtp_url)  # refuse a bad URL before starting anything
    if not 0.1 <= args.alert_interval_s <= 86400:
        raise ConfigError(f"--alert-interval-s must be 0.1-86400, got {args.alert_interval_s}")
    if not 1 <= args.lease_s <= 3600:
        raise ConfigError(f"--lease-s must be 1-3600, got {args.lease_s}")
    if "@" not in args.mail_from:
        raise ConfigError(f"--mail-from {args.mail_from!r} is not an e-mail address")
    tls = mqtt_tls(args)
    external_mqtt = parse_mqtt_urls(mqtt_urls(args), tls)
    check_mqtt_tls(tls, external_mqtt)
    config = HubConfig(
        data_dir=args.data_dir.resolve(),
        http_host=args.http_host,
        http_port=args.http_port,
        mqtt_port=args.mqtt_port,
        mqtt_bind=args.mqtt_bind,
        external_mqtt=external_mqtt,
        public_mqtt_host=args.public_mqtt_host,
        client_id=args.client_id,
        mqtt_keepalive_s=mqtt_keepalive_s(args),
        mqtt_tls_port=check_port(args.mqtt_tls_port, "--mqtt-tls-port") if args.mqtt_tls_port else None,
        mqtt_tls_bind=args.mqtt_tls_bind,
        allowed_hosts=tuple(args.allowed_host),
        trusted_proxies=trusted_proxies(args.trusted_proxy),
        tap_limit=TapLimit(check_tap_limit(args.kiosk_taps_per_minute), is_throttling=not args.no_kiosk_throttle),
        smtp_url=args.smtp_url,
        mail_from=args.mail_from,
        alert_interval_s=args.alert_interval_s,
        public_url=args.public_url,
        database=args.database,
        ingest_enabled=not args.no_ingest,
        lease_s=args.lease_s,
    )
    holder = process_holder()
    lease = client_lease(config.client_id)
    with open_store(config.store_target) as store:  # refuse a client id in use before starting anything
        claim_client_id(
            store, config.client_id, holder=holder, terms=LeaseTerms(round(config.lease_s * 1000)), now_ms=wall_ms
        )
    try:
        # open event streams (GET /api/events) never end by themselves: on shutdown they get 3 s, then are closed
        uvicorn.run(
            create_app(config, holder=holder),
            host=config.http_host,
            port=config.http_port,
            log_level=args.log_level,
            server_header=False,  # no "Server: uvicorn" banner
            proxy_headers=False,  # uvicorn would trust X-Forwarded-* from 127.0.0.1: hub.guard.proxies decides
            timeout_graceful_shutdown=3,
        )
    finally:  # also when uvicorn gave up before the runtime started (its stop released it then)
        with contextlib.suppress(StoreUnavailable), open_store(config.store_target) as store:
            store.leases.release(lease, holder)
    return 0

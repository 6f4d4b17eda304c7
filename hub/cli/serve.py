"""``python -m hub serve``: the HTTP API and dashboard, the MQTT ingest and (by default) a managed broker."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from hub.cli.common import add_data_dir
from hub.config import DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT, HubConfig, check_port, parse_mqtt_url


def add_serve_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="run the hub (HTTP API + MQTT ingest, with a managed broker by default)")
    add_data_dir(s)
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
    s.add_argument(
        "--no-ingest",
        action="store_true",
        help="serve HTTP only: no MQTT ingest in this process (run `python -m hub ingest` workers instead)",
    )
    s.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn  # imported here: the other commands start faster without it

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
        database=args.database,
        ingest_enabled=not args.no_ingest,
    )
    uvicorn.run(create_app(config), host=config.http_host, port=config.http_port, log_level=args.log_level)
    return 0

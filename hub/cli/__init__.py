"""``python -m hub``: the hub's command line, one module per command group. It adapts the library: every
``HubError`` (and a bad id) becomes one ``error: …`` line and exit 2; anything else is a bug and stays loud. Every
command that changes administration is recorded in the audit log (``hub.cli.audit``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from feedback.ids import InvalidId
from hub.cli.alerts import add_alert_parsers, run_alert, run_report
from hub.cli.audit import record_cli_change
from hub.cli.broker import (
    add_broker_address_parser,
    add_broker_client_cert_parser,
    add_broker_parser,
    run_broker_address,
    run_broker_client_cert,
    run_broker_config,
)
from hub.cli.common import add_data_dir, store_of
from hub.cli.db import add_db_parser, run_db
from hub.cli.imports import add_import_parser, run_import
from hub.cli.ingest import add_ingest_parser, run_ingest
from hub.cli.kiosks import add_kiosk_parser, run_kiosk
from hub.cli.locations import add_location_parser, add_token_parser, run_location, run_token
from hub.cli.serve import add_serve_parser, run_serve
from hub.cli.settings import add_config_parser, run_config
from hub.cli.users import add_user_parsers, run_user
from hub.clock import wall_ms
from hub.errors import HubError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m hub", description="Feedback hub: ingest, store, API.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "demo", help="run a demo: hub, managed broker, demo fleet with a month of history (see --help)", add_help=False
    )
    add_serve_parser(sub)
    add_location_parser(sub)
    add_kiosk_parser(sub)
    add_token_parser(sub)
    add_user_parsers(sub, add_data_dir)
    add_broker_parser(sub)
    add_broker_address_parser(sub)
    add_broker_client_cert_parser(sub)
    add_config_parser(sub, add_data_dir)
    add_alert_parsers(sub, add_data_dir)
    add_import_parser(sub)
    add_db_parser(sub)
    add_ingest_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:  # its own parser: it only orchestrates the commands below
        from hub.demo import main as demo_main

        return demo_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (HubError, InvalidId) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        return run_serve(args)
    if args.command == "db":
        return run_db(args)
    if args.command == "ingest":
        return run_ingest(args)
    with store_of(args) as store:
        now = wall_ms()
        if args.command == "location":
            run_location(args, store, now)
        elif args.command == "kiosk":
            run_kiosk(args, store, now)
        elif args.command == "token":
            run_token(args, store, now)
        elif args.command in ("user", "region"):
            run_user(args, store, now)
        elif args.command == "config":
            run_config(args, store, now)
        elif args.command == "alert":
            run_alert(args, store, now)
        elif args.command == "report":
            run_report(args, store, now)
        elif args.command == "broker-config":
            run_broker_config(args, store)
        elif args.command == "broker-address":
            run_broker_address(args, store)
        elif args.command == "broker-client-cert":
            run_broker_client_cert(args)
        elif args.command == "import":
            run_import(args, store, now)
        record_cli_change(store, args, now_ms=now)  # only after the command succeeded; only changes
    return 0

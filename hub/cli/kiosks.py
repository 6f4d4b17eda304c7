"""``python -m hub kiosk …``: register, move, disable, retire and list kiosks; a new kiosk's config file; a new
staff PIN."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from hub.cli.common import add_data_dir
from hub.errors import Invalid
from hub.fleet.addresses import for_new_kiosk, tls_hint
from hub.fleet.kiosks import change_staff_pin, check_new_kiosk, kiosk_config_text, register_kiosk
from hub.fleet.pki import KioskCA
from hub.store import Store


def add_kiosk_parser(sub: Any) -> None:
    k = sub.add_parser("kiosk", help="manage kiosks").add_subparsers(dest="action", required=True)
    ka = k.add_parser("add", help="register a kiosk and write its config file (with its credentials)")
    ka.add_argument("id")
    ka.add_argument("--location", required=True)
    ka.add_argument("--out", type=Path, help="write the kiosk config here (default: stdout)")
    ka.add_argument(
        "--broker-url",
        action="append",
        help="broker address for the kiosk, once per broker (default: those recorded by `serve` or"
        " `broker-address set`)",
    )
    ka.add_argument(
        "--tls",
        action="store_true",
        help="issue a client certificate from the hub's kiosk CA and use the TLS listener (mqtts://)",
    )
    add_data_dir(ka)
    km = k.add_parser("move", help="move a kiosk to another location (same credentials)")
    km.add_argument("id")
    km.add_argument("--location", required=True)
    add_data_dir(km)
    for name, text in (
        ("disable", "revoke a kiosk's broker access (its data stays)"),
        ("enable", "re-enable"),
        ("retire", "take a kiosk out of service for good: disabled, left out of the fleet (its data stays)"),
    ):
        kd = k.add_parser(name, help=text)
        kd.add_argument("id")
        add_data_dir(kd)
    kl = k.add_parser("list", help="list kiosks as JSON")
    add_data_dir(kl)
    kp = k.add_parser(
        "pin",
        help="give a kiosk a new random staff PIN: printed once, pushed to the kiosk as a hash (the old one stops)",
    )
    kp.add_argument("id")
    add_data_dir(kp)


def run_kiosk(args: argparse.Namespace, store: Store, now: int) -> None:
    reg = store.registry
    if args.action == "add":
        check_new_kiosk(store, args.id, location_id=args.location)
        urls = for_new_kiosk(store, given=args.broker_url, tls=args.tls)
        hint = tls_hint(store, tls=args.tls, given=args.broker_url)
        if hint:
            print(hint, file=sys.stderr)
        ca = KioskCA(args.data_dir / "pki").ensure(now=dt.datetime.now(dt.UTC)) if args.tls else None
        registered = register_kiosk(store, args.id, location_id=args.location, now_ms=now)
        if registered.promoted:
            print(f"moved {registered.promoted} quarantined ratings of {args.id} into its location", file=sys.stderr)
        tls_pems = None
        if ca is not None:
            issued = ca.issue_client(args.id, now=dt.datetime.now(dt.UTC))
            tls_pems = (ca.cert_pem, issued.cert_pem, issued.key_pem)
        text = kiosk_config_text(
            args.id,
            args.location,
            urls,
            registered.password,
            tls_pems=tls_pems,
            staff_pin_hash=registered.staff_pin_hash,
        )
        print(f"staff PIN of kiosk {args.id}: {registered.staff_pin} (shown once; its config holds only a hash)",
              file=sys.stderr)  # fmt: skip
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.touch(mode=0o600)
            args.out.write_text(text)
            print(f"kiosk {args.id} added; config written to {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    elif args.action in ("move", "enable") and reg.kiosk(args.id).is_retired:
        raise Invalid(f"kiosk {args.id} is retired: it cannot be moved or enabled; register a new one")
    elif args.action == "move":
        reg.move_kiosk(args.id, location_id=args.location, now_ms=now)
        print(f"kiosk {args.id} now counts for {args.location}", file=sys.stderr)
    elif args.action == "retire":
        reg.retire_kiosk(args.id, now_ms=now)
        print(f"kiosk {args.id} retired (its answers stay)", file=sys.stderr)
    elif args.action == "pin":
        pin = change_staff_pin(store, args.id, now_ms=now)
        print(pin)
        print(
            f"new staff PIN of kiosk {args.id} (shown once; the hub keeps only its hash): the kiosk takes it when the"
            " running hub publishes its settings, and its old PIN stops working then (`hub config status`)",
            file=sys.stderr,
        )
    elif args.action in ("disable", "enable"):
        reg.set_disabled(args.id, is_disabled=args.action == "disable")
        print(f"kiosk {args.id} {args.action}d", file=sys.stderr)
    else:
        print(json.dumps(reg.kiosks(), indent=2))

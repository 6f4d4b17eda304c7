"""``python -m hub location add|list`` and ``token create``."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from hub.access import ROLES
from hub.accounts import create_token
from hub.cli.common import add_data_dir
from hub.cli.users import add_location_set_parser, run_location_set
from hub.store import Store


def add_location_parser(sub: Any) -> None:
    loc = sub.add_parser("location", help="manage locations").add_subparsers(dest="action", required=True)
    la = loc.add_parser("add", help="add a location")
    la.add_argument("id")
    la.add_argument("--name", required=True)
    la.add_argument("--timezone", required=True, help="IANA zone, e.g. Europe/Stockholm")
    la.add_argument("--region", help="region id this location belongs to")
    add_data_dir(la)
    ll = loc.add_parser("list", help="list locations as JSON")
    add_data_dir(ll)
    add_location_set_parser(loc, add_data_dir)


def add_token_parser(sub: Any) -> None:
    t = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    tc = t.add_parser("create", help="print a new API token")
    tc.add_argument("--role", default="admin", choices=ROLES)
    tc.add_argument("--user", help="user the token acts for (managers)")
    add_data_dir(tc)


def run_location(args: argparse.Namespace, store: Store, now: int) -> None:
    reg = store.registry
    if args.action == "add":
        loc = reg.add_location(args.id, name=args.name, timezone=args.timezone, now_ms=now, region_id=args.region)
        print(f"location {loc.id} added ({loc.timezone})", file=sys.stderr)
    elif args.action == "set":
        run_location_set(args, store, now)
    else:
        print(json.dumps([dataclasses.asdict(loc) for loc in reg.locations()], indent=2))


def run_token(args: argparse.Namespace, store: Store, now: int) -> None:
    print(create_token(store, role=args.role, now_ms=now, user_id=args.user))

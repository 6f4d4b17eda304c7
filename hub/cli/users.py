"""``python -m hub user|region`` and ``location set``: dashboard accounts, regions and location details.

Passwords come from a prompt (asked twice) or, for scripts, the first line of stdin with ``--password-stdin``;
never from the command line, where other users could read them in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

from hub.access import ROLES
from hub.accounts import add_user, check_email
from hub.alerts.texts import LANGUAGES
from hub.errors import AccountError
from hub.fleet.misuse_rule import set_response_interval
from hub.fleet.settings import RemoteSettings
from hub.reports.localtime import check_timezone
from hub.reports.opening_hours import opening_hours_json
from hub.store import Store


def add_user_parsers(sub: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    u = sub.add_parser("user", help="dashboard accounts").add_subparsers(dest="action", required=True)
    ua = u.add_parser("add", help="add a dashboard user (or replace their password, role and locations)")
    ua.add_argument("name", help="user name (a-z, 0-9, -)")
    ua.add_argument("--role", required=True, choices=ROLES)
    ua.add_argument(
        "--location", action="append", default=[], metavar="ID", help="a location a manager may see (repeatable)"
    )
    ua.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="ID",
        help="a region whose locations a manager may see (repeatable)",
    )
    ua.add_argument("--email", help="where alerts and reports go")
    ua.add_argument("--language", choices=LANGUAGES, default="sv", help="of e-mails and reports (default sv)")
    ua.add_argument(
        "--timezone", default="Europe/Stockholm", help="IANA zone reports are scheduled in (default Europe/Stockholm)"
    )
    ua.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    data_dir(ua)
    ul = u.add_parser("list", help="list users as JSON (no password hashes)")
    data_dir(ul)

    r = sub.add_parser("region", help="regions that group locations").add_subparsers(dest="action", required=True)
    ra = r.add_parser("add", help="add or rename a region")
    ra.add_argument("id")
    ra.add_argument("--name", required=True)
    data_dir(ra)
    rl = r.add_parser("list", help="list regions as JSON")
    data_dir(rl)


def add_location_set_parser(loc: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    ls = loc.add_parser("set", help="change a location's region, opening hours or misuse response interval")
    ls.add_argument("id")
    ls.add_argument("--region", help="move the location into this region")
    ls.add_argument("--opening-hours", metavar="SPEC", help="e.g. 'mon-fri 8-21, sat 10-18, sun closed'")
    ls.add_argument(
        "--response-interval",
        type=float,
        metavar="SECONDS",
        help="taps closer than this count as misuse: pushed to the location's kiosks, and the"
        " location's scores recomputed from the raw taps",
    )
    data_dir(ls)


def read_password(*, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def run_user(args: argparse.Namespace, store: Store, now_ms: int) -> None:
    if args.command == "region":
        reg = store.registry
        if args.action == "add":
            reg.add_region(args.id, name=args.name)
            print(f"region {args.id} saved", file=sys.stderr)
        else:
            print(json.dumps([{"id": rid, "name": name} for rid, name in reg.regions()], indent=2))
        return
    if args.action == "list":
        print(json.dumps(store.accounts.users(), indent=2))
        return
    if args.role == "admin" and (args.location or args.region):
        raise AccountError("an admin sees every location: --location/--region are for managers")
    if args.role == "manager" and not (args.location or args.region):
        print(f"warning: manager {args.name} has no --location or --region and will see nothing", file=sys.stderr)
    email = check_email(args.email) if args.email is not None else None
    check_timezone(args.timezone)
    add_user(
        store,
        args.name,
        role=args.role,
        password=read_password(from_stdin=args.password_stdin),
        now_ms=now_ms,
        location_ids=args.location,
        region_ids=args.region,
    )
    store.deliveries.set_profile(args.name, email=email, language=args.language, timezone=args.timezone)
    print(f"user {args.name} saved ({args.role})", file=sys.stderr)


def run_location_set(args: argparse.Namespace, store: Store, now_ms: int) -> None:
    reg = store.registry
    remote = RemoteSettings(store)
    if args.region is not None:
        remote.check_location_move(args.id, region_id=args.region)
    reg.set_location_details(
        args.id,
        region_id=args.region,
        opening_hours_json=opening_hours_json(args.opening_hours) if args.opening_hours is not None else None,
    )
    if args.region is not None:
        remote.plan(now_ms=now_ms)  # its kiosks get the new region's settings (a running hub publishes them)
    if args.response_interval is not None:
        done = set_response_interval(store, args.id, interval_s=args.response_interval, now_ms=now_ms)
        print(
            f"location {args.id}: response interval {done.response_interval_s:g} s; {done.misuse} of "
            f"{done.ratings} ratings count as misuse ({done.changed} changed)",
            file=sys.stderr,
        )
    print(f"location {args.id} updated", file=sys.stderr)

"""``python -m hub config ...``: remote kiosk settings from the command line (an adapter over
:mod:`hub.fleet.settings`; the running hub publishes what changes within a second)."""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.errors import InvalidSettings
from hub.fleet.misuse_rule import recompute_for_scope
from hub.fleet.settings import RemoteSettings, merge, parse_assignments
from hub.store import Store


def _scope(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--all", action="store_true", help="every kiosk (the organisation's defaults)")
    g.add_argument("--region", metavar="ID", help="the kiosks of the locations in one region")
    g.add_argument("--location", metavar="ID", help="the kiosks of one location")
    g.add_argument("--kiosk", metavar="ID", help="one kiosk")


def add_config_parser(sub: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    c = sub.add_parser("config", help="remote kiosk settings (questions, faces, texts, timeouts, hours)")
    cs = c.add_subparsers(dest="action", required=True)
    s = cs.add_parser("set", help="change settings for all kiosks, a region, a location or a kiosk")
    _scope(s)
    s.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help='a setting, value in TOML: faces=5, questions.en="How was it?", language=en',
    )
    s.add_argument(
        "--unset",
        action="append",
        default=[],
        metavar="KEY",
        help="drop a setting at this scope (questions.en drops one language)",
    )
    s.add_argument("--file", type=Path, help="TOML file of settings (a [ui]-style table at top level)")
    s.add_argument("--replace", action="store_true", help="replace this scope's settings instead of merging")
    data_dir(s)
    sh = cs.add_parser("show", help="print the settings of a scope (for a kiosk: also effective + state)")
    _scope(sh)
    data_dir(sh)
    st = cs.add_parser("status", help="per kiosk: config version planned, published, applied or refused")
    st.add_argument("--kiosk", metavar="ID", help="only this kiosk")
    data_dir(st)


def _scope_of(args: argparse.Namespace) -> tuple[str, str]:
    if args.all:
        return "all", ""
    if args.region:
        return "region", args.region
    if args.location:
        return "location", args.location
    return "kiosk", args.kiosk


def _recompute_misuse(store: Store, scope: str, scope_id: str, interval_s: float) -> None:
    """The hub's reports follow the same rule as the kiosks: re-flag stored taps."""
    if scope == "kiosk":
        print(
            "note: reports use each location's interval; set it for the location to re-flag stored taps",
            file=sys.stderr,
        )
    for done in recompute_for_scope(store, scope, scope_id, interval_s=interval_s):
        print(
            f"location {done.location_id}: {done.ratings} stored taps re-flagged under {interval_s:g} s"
            f" ({done.misuse} misuse, {done.changed} changed)",
            file=sys.stderr,
        )


def run_config(args: argparse.Namespace, store: Store, now_ms: int) -> None:
    remote = RemoteSettings(store)
    if args.action == "status":
        print(json.dumps(remote.status(kiosk_id=args.kiosk), indent=2))
        return
    scope, scope_id = _scope_of(args)
    if args.action == "set":
        changes: dict[str, Any] = {}
        if args.file is not None:
            try:
                changes = tomllib.loads(args.file.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise InvalidSettings(f"--file {args.file}: {exc}") from None
            changes = changes.get("ui", changes)
        changes = merge(changes, parse_assignments(args.assignments))
        new = remote.set(scope, scope_id, changes=changes, unset=args.unset, replace=args.replace, now_ms=now_ms)
        print(json.dumps(new, indent=2, ensure_ascii=False))
        affected = [s for s in remote.status() if scope == "all" or s[f"{scope}_id"] == scope_id]
        print(
            f"{scope} {scope_id} settings saved; {len(affected)} kiosk(s) affected".replace("  ", " "), file=sys.stderr
        )
        if "response_interval_s" in changes:
            _recompute_misuse(store, scope, scope_id, float(changes["response_interval_s"]))
        return
    out: dict[str, Any] = {"scope": scope, "id": scope_id, "settings": remote.settings(scope, scope_id)}
    if scope != "kiosk":
        out["effective"] = remote.effective_at(scope, scope_id)
    if scope == "kiosk":
        out["effective"] = remote.effective(scope_id)
        out["state"] = remote.status(kiosk_id=scope_id)[0]
    print(json.dumps(out, indent=2, ensure_ascii=False))

"""``python -m hub alert rule add|list|remove``, ``alert list`` and ``report send``: alert rules (set here with
admin rights), the alerts they opened, and a scheduled report sent now."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from hub.alerts.delivery import Senders, deliver_due, parse_smtp_url
from hub.alerts.messages import Outgoing
from hub.alerts.report import last_period, queue_report
from hub.alerts.rules import KINDS, checked_rule
from hub.alerts.schedule import PERIODS
from hub.alerts.texts import describe
from hub.alerts.unsubscribe import signing_key
from hub.api.alerts import rule_doc
from hub.clock import wall_ms
from hub.errors import DeliveryError, Invalid, UnknownRule, UnknownUser
from hub.store import Store


def add_alert_parsers(sub: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    a = sub.add_parser("alert", help="alert rules and alerts").add_subparsers(dest="action", required=True)
    rule = a.add_parser("rule", help="alert rules").add_subparsers(dest="rule_action", required=True)
    ra = rule.add_parser("add", help="add an alert rule (as admin)")
    ra.add_argument("--kind", required=True, choices=list(KINDS))
    scope = ra.add_mutually_exclusive_group(required=True)
    scope.add_argument("--all", action="store_true", help="every store")
    scope.add_argument("--region", metavar="ID", help="the stores of a region")
    scope.add_argument("--location", metavar="ID", help="one store")
    ra.add_argument("--threshold", type=float, help="index/% 0-100, answers, minutes or seconds (see README)")
    ra.add_argument("--window", help="score rules: '2h', 'today' or '7d'")
    ra.add_argument("--min-answers", type=int, help="score rules: hold only with this many answers (default 30)")
    ra.add_argument("--include-misuse", action="store_true", help="count taps flagged as misuse")
    data_dir(ra)
    data_dir(rule.add_parser("list", help="rules as JSON"))
    rr = rule.add_parser("remove", help="remove a rule; its live alerts close")
    rr.add_argument("id", type=int)
    data_dir(rr)
    al = a.add_parser("list", help="alerts as JSON, newest first")
    al.add_argument("--state", action="append", choices=["open", "acknowledged", "closed"], help="repeatable")
    al.add_argument("--location", action="append", metavar="ID", help="repeatable")
    al.add_argument("--limit", type=int, default=100)
    data_dir(al)

    r = sub.add_parser("report", help="scheduled e-mail reports").add_subparsers(dest="action", required=True)
    rs = r.add_parser("send", help="send a user's report for the last complete period now")
    rs.add_argument("--user", required=True)
    rs.add_argument("--period", required=True, choices=PERIODS)
    rs.add_argument("--smtp-url", help="send through this server now (else the running hub sends it)")
    rs.add_argument("--mail-from", default="hub@localhost")
    data_dir(rs)


def run_alert(args: argparse.Namespace, store: Store, now_ms: int) -> None:
    if args.action == "rule":
        if args.rule_action == "add":
            scope = "all" if args.all else "region" if args.region else "location"
            spec = checked_rule(
                kind=args.kind,
                scope=scope,
                scope_id=args.region or args.location,
                threshold=args.threshold,
                window=args.window,
                min_answers=args.min_answers,
                include_misuse=args.include_misuse,
            )
            if scope == "location" and store.registry.find_location(str(spec.scope_id)) is None:
                raise Invalid(f"--location: no location {spec.scope_id!r}")
            if scope == "region" and not any(rid == spec.scope_id for rid, _ in store.registry.regions()):
                raise Invalid(f"--region: no region {spec.scope_id!r}")
            added = store.alerts.add_rule(
                kind=spec.kind,
                scope=spec.scope,
                scope_id=spec.scope_id,
                threshold=spec.threshold,
                window=spec.window,
                min_answers=spec.min_answers,
                include_misuse=spec.include_misuse,
                owner="cli",
                owner_role="admin",
                now_ms=now_ms,
            )
            print(added.id)
        elif args.rule_action == "list":
            print(json.dumps([rule_doc(r) for r in store.alerts.rules()], indent=2))
        else:
            if store.alerts.find_rule(args.id) is None:
                raise UnknownRule(f"no rule {args.id}")
            store.alerts.remove_rule(args.id, now_ms=now_ms)
            print(f"rule {args.id} removed", file=sys.stderr)
        return
    names = {loc.id: loc.name for loc in store.registry.locations()}
    rows = store.alerts.select(
        location_ids=args.location, states=args.state or ("open", "acknowledged", "closed"), limit=args.limit
    )
    print(
        json.dumps(
            [
                {
                    "id": a.id,
                    "rule_id": a.rule_id,
                    "location_id": a.location_id,
                    "location_name": names.get(a.location_id),
                    "kiosk_id": a.subject or None,
                    "state": a.state,
                    "text": describe(a.detail, "en"),
                    "opened_ms": a.opened_ms,
                    "closed_ms": a.closed_ms,
                    "ack_by": a.ack_by,
                    "ack_comment": a.ack_comment,
                }
                for a in rows
            ],
            indent=2,
        )
    )


def run_report(args: argparse.Namespace, store: Store, now_ms: int) -> None:
    contacts = store.deliveries.contacts(args.user)
    if not contacts:
        raise UnknownUser(f"no user {args.user!r}")
    contact = contacts[0]
    if not contact.email:
        raise Invalid(f"--user: {args.user} has no e-mail address (hub user add {args.user} --email …)")
    smtp = parse_smtp_url(args.smtp_url) if args.smtp_url else None
    public_url = store.ops.get_meta("public_url") or "http://127.0.0.1:8470"
    out = Outgoing(args.mail_from, public_url, signing_key(store))
    first, last = last_period(contact, args.period, now_ms=now_ms)
    queue_report(store, contact, args.period, first, last, out, now_ms=now_ms, force=True)
    if smtp is None:
        print(f"report {args.period} {first}..{last} for {args.user} queued: the running hub sends it", file=sys.stderr)
        return
    deliver_due(store, Senders(args.mail_from, smtp), now_ms=wall_ms)
    state = store.deliveries.recent(user_ids=[args.user], limit=1)[0]
    if state["state"] != "sent":
        raise DeliveryError(f"report queued but not sent yet ({state['last_error']}); the running hub retries it")
    print(f"report {args.period} {first}..{last} sent to {contact.email}", file=sys.stderr)

"""Every command that changes administration lands in the audit log, like the API's writes: one entry after the
command succeeded, with the actor ``cli:<OS user name>`` and the command's options as the detail (secrets taken
out by :func:`hub.audit.without_secrets`; a password is read from a prompt or stdin and never reaches it).

The one place: ``hub.cli._run`` calls :func:`record_cli_change` after every command; ``AUDITED`` names the
commands that change something (a new such command gets a line here, or it is not audited).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from hub.audit import cli_actor, without_secrets
from hub.fleet.broker import HUB_USERNAME
from hub.store import Store

# (command, action) → the audit action, named as the API names it where the API does the same
AUDITED: dict[tuple[str, str], str] = {
    ("location", "add"): "location.create",
    ("location", "set"): "location.update",
    ("region", "add"): "region.create",
    ("kiosk", "add"): "kiosk.create",
    ("kiosk", "move"): "kiosk.update",
    ("kiosk", "disable"): "kiosk.update",
    ("kiosk", "enable"): "kiosk.update",
    ("kiosk", "retire"): "kiosk.update",
    ("kiosk", "pin"): "kiosk.pin",
    ("user", "add"): "user.create",
    ("token", "create"): "token.create",
    ("config", "set"): "settings.update",
    ("alert", "rule add"): "alert_rule.create",
    ("alert", "rule remove"): "alert_rule.remove",
    ("broker-address", "set"): "broker_address.set",
    ("broker-client-cert", ""): "broker_client_cert.issue",
    ("import", "happyornot"): "import.happyornot",
}
# not part of the detail: how the command ran, not what it changed
_NOT_DETAIL = frozenset({"command", "action", "rule_action", "source", "data_dir", "password_stdin", "out", "id"})
_RENAMED = {"assignments": "set"}  # config set --set KEY=VALUE


def _action(args: argparse.Namespace) -> str | None:
    sub = getattr(args, "action", None) or getattr(args, "source", None) or ""
    if args.command == "alert" and sub == "rule":
        sub = f"rule {args.rule_action}"
    return AUDITED.get((args.command, str(sub)))


def _target(args: argparse.Namespace) -> str:
    if args.command == "config":
        for scope in ("location", "region", "kiosk"):
            if getattr(args, scope, None):
                return f"{scope}:{getattr(args, scope)}"
        return "all"
    if args.command == "alert" and args.rule_action == "add":
        for scope in ("location", "region"):
            if getattr(args, scope, None):
                return f"{scope}:{getattr(args, scope)}"
        return "all"
    if args.command == "token":
        return str(args.user or f"role:{args.role}")
    if args.command == "user":
        return str(args.name)
    if args.command == "broker-address":
        return "broker"
    if args.command == "broker-client-cert":
        return f"user:{HUB_USERNAME}"
    if args.command == "import":
        return str(args.source)
    return str(args.id)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _is_unset(value: Any) -> bool:
    """An option not given: None, a flag left off, an empty list (a 0 is a value)."""
    return value is None or value is False or (isinstance(value, list | str) and not value)


def record_cli_change(store: Store, args: argparse.Namespace, *, now_ms: int) -> None:
    """Record a command that changed administration (any other command records nothing)."""
    action = _action(args)
    if action is None:
        return
    detail = {
        _RENAMED.get(key, key): _plain(value)
        for key, value in sorted(vars(args).items())
        if key not in _NOT_DETAIL and not _is_unset(value)
    }
    if args.command == "kiosk" and args.action in ("disable", "enable"):
        detail["is_disabled"] = args.action == "disable"
    if args.command == "kiosk" and args.action == "retire":
        detail["is_retired"] = True
    if args.command in ("config", "alert"):  # the scope is the target
        for scope in ("all", "location", "region", "kiosk"):
            detail.pop(scope, None)
    target = _target(args)
    if action == "settings.update":  # what the scope holds now, also when it came from --file or --replace
        scope, _, scope_id = target.partition(":")
        detail["settings"] = store.settings.get(scope, scope_id)
    store.audit.record(actor=cli_actor(), action=action, target=target, detail=without_secrets(detail), now_ms=now_ms)

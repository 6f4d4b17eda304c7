"""Administrative changes made on the command line land in the audit log with a ``cli:<OS user>`` actor and no
secret (real ``python -m hub`` commands over a real store)."""

from __future__ import annotations

import getpass
import io
import json
from contextlib import redirect_stderr
from pathlib import Path

from hub import cli as hub_cli
from hub.audit import cli_actor, without_secrets
from tests.dashboard.test_browser import PASSWORD, add_user
from tests.harness import hub_cmd, hub_store

PIN = "482913"


def audit_log(data_dir: Path) -> list[tuple[str, str, str, dict[str, object]]]:
    with hub_store(data_dir) as store:
        return [(e.actor, e.action, e.target, e.detail) for e in reversed(store.audit.entries(limit=100))]


def test_every_administrative_cli_command_is_audited_without_secrets(tmp_path: Path) -> None:
    """Regions, stores, kiosks, users, tokens, kiosk settings, alert rules and the broker address changed by CLI
    each leave one entry naming the OS user; read-only and failed commands leave none; no password, PIN or token
    appears."""
    d = ["--data-dir", str(tmp_path / "hub")]
    hub_cmd("region", "add", "north", "--name", "Norr", *d)
    hub_cmd("location", "add", "lul", "--name", "Luleå", "--timezone", "Europe/Stockholm", "--region", "north", *d)
    hub_cmd("location", "set", "lul", "--opening-hours", "mon-fri 8-21", "--response-interval", "0", *d)
    err = io.StringIO()
    with redirect_stderr(err):
        assert hub_cli.main(["kiosk", "add", "lul-1", "--location", "lul", "--broker-url", "mqtt://hub.example:1883",
                             "--out", str(tmp_path / "lul-1.toml"), *d]) == 0  # fmt: skip
    staff_pin = err.getvalue().split("staff PIN of kiosk lul-1: ")[1].split()[0]
    kiosk_password = (tmp_path / "lul-1.toml").read_text().split('password = "')[1].split('"')[0]
    hub_cmd("kiosk", "move", "lul-1", "--location", "lul", *d)
    hub_cmd("kiosk", "disable", "lul-1", *d)
    hub_cmd("kiosk", "enable", "lul-1", *d)
    hub_cmd("kiosk", "add", "lul-2", "--location", "lul", "--broker-url", "mqtt://hub.example:1883", *d)
    hub_cmd("kiosk", "retire", "lul-2", *d)
    add_user(tmp_path / "hub", "lena", "--role", "manager", "--location", "lul")  # a subprocess: password on stdin
    token = hub_cmd("token", "create", "--role", "manager", "--user", "lena", *d).strip()
    hub_cmd("config", "set", "--all", "--set", "faces=5", "--set", f'staff_pin="{PIN}"', *d)
    (tmp_path / "north.toml").write_text("[ui]\nthank_you_s = 2\n")
    hub_cmd("config", "set", "--region", "north", "--file", str(tmp_path / "north.toml"), *d)
    rule = hub_cmd(
        "alert",
        "rule",
        "add",
        "--kind",
        "responses_below",
        "--location",
        "lul",
        "--threshold",
        "1",
        "--window",
        "7d",
        *d,
    )
    hub_cmd("alert", "rule", "remove", rule.strip(), *d)
    hub_cmd("broker-address", "set", "mqtt://broker.example:18830", *d)
    new_pin = hub_cmd("kiosk", "pin", "lul-1", *d).strip()
    for read_only in (["location", "list"], ["kiosk", "list"], ["user", "list"], ["config", "status"]):
        hub_cmd(*read_only, *d)
    with redirect_stderr(io.StringIO()):
        assert hub_cli.main(["kiosk", "move", "lul-1", "--location", "nowhere", *d]) == 2  # refused: not audited
        assert hub_cli.main(["kiosk", "enable", "lul-2", *d]) == 2  # retired for good

    log = audit_log(tmp_path / "hub")
    me = f"cli:{getpass.getuser()}"
    assert {actor for actor, *_ in log} == {me}
    assert [(action, target) for _, action, target, _ in log] == [
        ("region.create", "north"),
        ("location.create", "lul"),
        ("location.update", "lul"),
        ("kiosk.create", "lul-1"),
        ("kiosk.update", "lul-1"),
        ("kiosk.update", "lul-1"),
        ("kiosk.update", "lul-1"),
        ("kiosk.create", "lul-2"),
        ("kiosk.update", "lul-2"),
        ("user.create", "lena"),
        ("token.create", "lena"),
        ("settings.update", "all"),
        ("settings.update", "region:north"),
        ("alert_rule.create", "location:lul"),
        ("alert_rule.remove", rule.strip()),
        ("broker_address.set", "broker"),
        ("kiosk.pin", "lul-1"),
    ]
    by_action = {action: detail for _, action, _, detail in log}
    assert by_action["location.update"] == {"opening_hours": "mon-fri 8-21", "response_interval": 0.0}
    assert by_action["kiosk.create"] == {"broker_url": ["mqtt://hub.example:1883"], "location": "lul"}
    assert log[5][3] == {"is_disabled": True} and log[6][3] == {"is_disabled": False}
    assert log[8][3] == {"is_retired": True}
    settings = [detail for _, action, _, detail in log if action == "settings.update"]
    assert settings[0] == {"set": ["faces=5", "staff_pin=[hidden]"], "settings": {"faces": 5, "staff_pin": "[hidden]"}}
    assert settings[1] == {"file": str(tmp_path / "north.toml"), "settings": {"thank_you_s": 2}}
    assert by_action["user.create"]["role"] == "manager" and by_action["user.create"]["location"] == ["lul"]
    text = json.dumps(log)
    for secret in (PASSWORD, PIN, staff_pin, kiosk_password, token, new_pin):
        assert secret not in text


def test_secrets_are_taken_out_of_audit_details() -> None:
    """Secret keys at any depth, ``KEY=VALUE`` texts naming one, and URL passwords are hidden; the rest is kept."""
    detail = {
        "set": {"staff_pin": "1234", "questions": {"en": "Pin the tail?"}, "faces": 5},
        "password": "hunter22",
        "reset_password": True,
        "assignments": ["staff_pin_hash=abc", "spinning=yes"],
        "url": "mqtt://hub:s3cret@broker.example:1883",
    }
    assert without_secrets(detail) == {
        "set": {"staff_pin": "[hidden]", "questions": {"en": "Pin the tail?"}, "faces": 5},
        "password": "[hidden]",
        "reset_password": True,
        "assignments": ["staff_pin_hash=[hidden]", "spinning=yes"],
        "url": "mqtt://hub:[hidden]@broker.example:1883",
    }
    assert cli_actor() in (f"cli:{getpass.getuser()}", "cli")

"""The command lines users script: every command has --help; bad input is one clean error line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT, child_env

COMMANDS = [
    "hub demo",
    "hub serve",
    "hub location add",
    "hub location list",
    "hub kiosk add",
    "hub kiosk move",
    "hub kiosk disable",
    "hub kiosk enable",
    "hub kiosk list",
    "hub token create",
    "hub broker-config",
    "hub import happyornot",
    "kiosk run",
    "kiosk simulate",
    "kiosk status",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=60
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    """`--help` prints a usage line naming the command and exits 0."""
    done = run(*command.split(), "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {command}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hub", "location", "add", "x", "--name", "X", "--timezone", "Mars/Olympus"], "not an IANA zone"),
        (["hub", "location", "add", "Bad+Id", "--name", "X", "--timezone", "UTC"], "location id 'Bad+Id' is not valid"),
        (["hub", "kiosk", "add", "k1", "--location", "nowhere"], "no location 'nowhere'"),
        (["hub", "kiosk", "add", "hub", "--location", "x"], "reserved"),
        (["hub", "kiosk", "move", "ghost", "--location", "x"], "no kiosk 'ghost'"),
    ],
)
def test_hub_cli_refuses_bad_input_with_one_clean_line(tmp_path: Path, args: list[str], message: str) -> None:
    """Registry refusals exit 2 with a single `error:` line, no traceback."""
    done = run(*args, "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (None, "does not exist"),
        ("[kiosk]\nid = 'k1'\n", "[broker] table is missing"),
        ("[kiosk]\nid = 'K 1'\n[broker]\nurl='mqtt://h:1'\npassword='p'\n", "kiosk.id"),
        ("[kiosk]\nid = 'k1'\n[broker]\nurl='http://h'\npassword='p'\n", "broker.url"),
        (
            "[kiosk]\nid = 'k1'\n[broker]\nurl='mqtt://h:1'\npassword='p'\n[uplink]\nbatch_size = 500\n",
            "uplink.batch_size must be <= 100",
        ),
        ("[kiosk]\nid = 'k1'\n[broker]\nurl='mqtt://h:1'\npassword='p'\n[ui]\nfaces = 'four'\n", "ui.faces"),
        ("not toml ===", "not valid TOML"),
    ],
)
def test_kiosk_cli_names_the_bad_config_key(tmp_path: Path, toml: str | None, message: str) -> None:
    """A bad kiosk config fails at start with one line naming the key."""
    cfg = tmp_path / "k.toml"
    if toml is not None:
        cfg.write_text(toml)
    done = run("kiosk", "status", "--config", str(cfg), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr, done.stderr


def test_config_set_response_interval_also_reflags_stored_taps(tmp_path: Path) -> None:
    """`hub config set --location X --set response_interval_s=N` re-flags the hub's stored taps under N, like the
    dashboard's rule edit, so reports and kiosks follow one rule."""
    import time
    import uuid

    from feedback.rating import Rating
    from hub.store import open_store
    from hub.store.records import Incoming
    from tests.harness import hub_cmd, rolled_up, stored

    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", str(tmp_path))
    hub_cmd("kiosk", "add", "k1", "--location", "sto", "--data-dir", str(tmp_path), "--out", str(tmp_path / "k1.toml"))
    t0 = int(time.time() * 1000) - 3_600_000
    ratings = [Rating("k1", i + 1, str(uuid.uuid4()), 3, 4, "q1", t0 + i * 10_000, "b", i) for i in range(6)]
    with open_store(tmp_path / "hub.db") as store:
        store.ledger.store_batch([Incoming("k1", t0, ratings)], now_ms=t0)
    assert stored(tmp_path, misuse=True) == 0
    hub_cmd("config", "set", "--location", "sto", "--set", "response_interval_s=30", "--data-dir", str(tmp_path))
    assert stored(tmp_path, misuse=True) == 5  # 10 s apart, rule 30 s
    assert rolled_up(tmp_path, misuse=True) == 5

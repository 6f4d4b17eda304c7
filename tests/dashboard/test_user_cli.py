"""``python -m hub user|region|location set`` as a real process: accounts that can log in, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys

from fastapi.testclient import TestClient

from tests.dashboard.conftest import Store, bearer, get_json, login
from tests.harness import ROOT, child_env
from tests.postgres import both_engines

pytestmark = both_engines


def hub(store: Store, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "hub", *args, "--data-dir", str(store.data_dir)),
            *(("--database", store.database) if store.database else ()),
        ],
        input=stdin,
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=60,
    )


def test_user_add_from_stdin_creates_a_manager_who_can_log_in(store: Store, client: TestClient) -> None:
    """A manager added with --password-stdin and a region logs in and sees that region's stores."""
    r = hub(
        store,
        "user",
        "add",
        "maja",
        "--role",
        "manager",
        "--region",
        "east",
        "--location",
        "nyc",
        "--password-stdin",
        stdin="maja's long password\n",
    )
    assert r.returncode == 0, r.stderr
    assert login(client, "maja", "maja's long password").headers["location"] == "/"
    assert get_json(client, "/api/me")["location_ids"] == ["nyc", "sto", "upp"]
    listed = {u["name"]: u for u in json.loads(hub(store, "user", "list").stdout)}
    assert listed["maja"] == {
        "name": "maja",
        "role": "manager",
        "is_disabled": False,
        "locations": ["nyc"],
        "regions": ["east"],
    }
    assert "argon2" not in hub(store, "user", "list").stdout


def test_user_add_refuses_bad_input_with_one_clean_line(store: Store) -> None:
    """Unknown locations, short passwords, bad names and admin scoping end with exit 2 and one error line."""
    cases = [
        (["user", "add", "ola", "--role", "manager", "--location", "nowhere"], "long enough pw", "no location"),
        (["user", "add", "ola", "--role", "manager", "--region", "north"], "long enough pw", "no region"),
        (["user", "add", "ola", "--role", "manager", "--location", "sto"], "short", "8-256"),
        (["user", "add", "Ola Nordmann", "--role", "admin"], "long enough pw", "user name"),
        (["user", "add", "ola", "--role", "admin", "--location", "sto"], "long enough pw", "admin sees every"),
    ]
    for args, password, message in cases:
        r = hub(store, *args, "--password-stdin", stdin=password + "\n")
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.startswith("error: ") and message in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert store.sql.execute("SELECT count(*) FROM users WHERE id = 'ola'").fetchone()[0] == 0


def test_region_and_location_set_change_what_the_api_shows(store: Store, client: TestClient) -> None:
    """Regions, opening hours and a new response interval set from the CLI show up in the API."""
    assert hub(store, "region", "add", "north", "--name", "Norr").returncode == 0
    r = hub(
        store,
        "location",
        "set",
        "nyc",
        "--region",
        "north",
        "--opening-hours",
        "mon-fri 8-21, sat 10-18",
        "--response-interval",
        "3",
    )
    assert r.returncode == 0, r.stderr
    report = get_json(client, "/api/locations/nyc/report", bearer(store, "admin"))["location"]
    assert report["region_id"] == "north" and report["response_interval_s"] == 3.0
    assert report["opening_hours"]["1"] == [8, 21] and report["opening_hours"]["6"] == [10, 18]
    assert report["opening_hours"]["7"] is None
    regions = {r["id"]: r for r in get_json(client, "/api/regions", bearer(store, "admin"))}
    assert regions["north"]["name"] == "Norr" and [x["id"] for x in regions["north"]["locations"]] == ["nyc"]
    bad = hub(store, "location", "set", "nyc", "--opening-hours", "weekdays 9-5")
    assert bad.returncode == 2 and "cannot read" in bad.stderr


def test_session_of_a_user_changed_by_the_cli_ends(store: Store, client: TestClient) -> None:
    """Re-adding a user (new password or locations) signs their browsers out."""
    login(client, "anna")
    assert client.get("/api/me").status_code == 200
    assert (
        hub(
            store,
            "user",
            "add",
            "anna",
            "--role",
            "manager",
            "--location",
            "gbg",
            "--password-stdin",
            stdin="another long password\n",
        ).returncode
        == 0
    )
    assert client.get("/api/me").status_code == 401

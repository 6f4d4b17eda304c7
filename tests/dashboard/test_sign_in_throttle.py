"""The sign-in throttle: per client and name with growing delays, per client across names, kept in the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import HubConfig
from hub.web.login_throttle import FREE_PER_CLIENT, FREE_PER_NAME, Rule, client_key
from tests.dashboard.conftest import BASE_URL, NOW_MS, Store, bearer, get_json, login
from tests.postgres import both_engines

pytestmark = both_engines


@contextmanager
def hub_client(store: Store, clock: list[int], address: str) -> Iterator[TestClient]:
    """The app over ``store`` as seen from the client ``address`` (a fresh app each time: like another process)."""
    app = create_app(
        HubConfig(data_dir=store.data_dir, ingest_enabled=False, database=store.database),
        now_ms=lambda: clock[0],
        run_services=False,
    )
    with TestClient(app, base_url=BASE_URL, client=(address, 40000)) as c:
        yield c


def test_guesses_from_one_client_never_refuse_another_clients_correct_password(store: Store) -> None:
    """After 20 wrong passwords for ``boss`` from one address, that address waits, but boss signs in from another."""
    clock = [NOW_MS]
    with hub_client(store, clock, "203.0.113.9") as attacker:
        outcomes = [login(attacker, "boss", "wrong password").headers["location"] for _ in range(20)]
        assert any("failed=3" in o for o in outcomes), "the guessing client was never slowed"
        assert "failed=3" in login(attacker, "boss").headers["location"]  # even the right password waits
    with hub_client(store, clock, "198.51.100.7") as office:
        assert login(office, "boss").headers["location"] == "/"


def test_spraying_one_password_across_many_names_is_slowed_per_client(store: Store) -> None:
    """One client trying a password on 20 made-up names is refused before it gets to try them all."""
    clock = [NOW_MS]
    with hub_client(store, clock, "203.0.113.10") as sprayer:
        outcomes = [login(sprayer, f"user{i}", "Summer2026!").headers["location"] for i in range(20)]
    refused = sum("failed=3" in o for o in outcomes)
    assert refused >= 20 - FREE_PER_CLIENT, outcomes


def test_delays_grow_and_end_and_survive_a_restart(store: Store) -> None:
    """The wait doubles with each failure, is kept by a restarted hub (the store), and ends when it is over."""
    clock = [NOW_MS]
    rule = Rule()
    with hub_client(store, clock, "203.0.113.11") as c:
        for _ in range(FREE_PER_NAME + 2):
            assert "failed=1" in login(c, "anna", "wrong password").headers["location"]
            clock[0] += 60_000  # past any wait so far: every try is checked
    wait = rule.delay_ms(FREE_PER_NAME + 2, FREE_PER_NAME)
    assert wait == 4 * rule.first_delay_ms
    with hub_client(store, clock, "203.0.113.11") as restarted:
        clock[0] += -60_000 + wait - 1  # just before the last failure's wait is over
        assert "failed=3&wait=1" in login(restarted, "anna").headers["location"]
        clock[0] += 1
        assert login(restarted, "anna").headers["location"] == "/"


def test_admins_see_failed_sign_ins_and_managers_do_not(store: Store) -> None:
    """``/api/sign-in-failures`` lists each failure with client and name for an admin; a manager gets 403."""
    clock = [NOW_MS]
    with hub_client(store, clock, "2001:db8:1:2:3:4:5:6") as c:
        login(c, "erik", "wrong password")
        body = get_json(c, "/api/sign-in-failures", headers=bearer(store, "admin"))
        assert body["recent"] == [{"client": "2001:db8:1:2::/64", "name": "erik", "at_ms": NOW_MS}]
        assert body["by_client"] == {"2001:db8:1:2::/64": 1}
        assert body["by_client_and_name"] == [
            {"client": "2001:db8:1:2::/64", "name": "erik", "count": 1, "first_ms": NOW_MS, "last_ms": NOW_MS}
        ]
        assert c.get("/api/sign-in-failures", headers=bearer(store, "manager", "anna")).status_code == 403


def test_the_failure_table_stays_bounded(store: Store) -> None:
    """Failures beyond the row cap or older than the window are dropped as new ones are written."""
    for i in range(30):
        store.db.sign_ins.failed(f"10.0.0.{i}", "x", now_ms=NOW_MS + i, keep_ms=60_000, max_rows=10)
    assert store.db.sign_ins.count(since_ms=0) == 10
    store.db.sign_ins.failed("10.0.1.1", "x", now_ms=NOW_MS + 120_000, keep_ms=60_000, max_rows=10)
    assert store.db.sign_ins.count(since_ms=0) == 1


def test_client_keys() -> None:
    """IPv4 addresses count as themselves, IPv6 per /64 (IPv4-mapped as IPv4), a missing address as one key."""
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key("2001:db8::1") == client_key("2001:db8::ffff") == "2001:db8::/64"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key(None) == "unknown"

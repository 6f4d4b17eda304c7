"""A new response interval re-flags misuse from the raw taps and rebuilds the rollups; nothing is deleted."""

from __future__ import annotations

from fastapi.testclient import TestClient

from feedback.misuse import flag_misuse
from tests.dashboard.conftest import Store, bearer, get_json, local_ms, login, page_csrf
from tests.postgres import both_engines

pytestmark = both_engines


def _burst(store: Store, kiosk_id: str, start: str, gaps_s: list[float], face: int = 0) -> None:
    """Taps with the given gaps, flagged as the kiosk itself would under the default 5 s rule."""
    times = [local_ms(start)]
    for gap in gaps_s:
        times.append(times[-1] + int(gap * 1000))
    flags = list(flag_misuse(times, interval_s=5.0))
    for t, flag in zip(times, flags, strict=True):
        store.ingest(kiosk_id, [(t, face)], misuse=flag)


def _rollup_matches_raw(store: Store, location_id: str) -> bool:
    raw = store.sql.execute(
        "SELECT local_day, local_hour, kiosk_id, face, misuse, count(*) FROM ratings WHERE location_id = ?"
        " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
        (location_id,),
    ).fetchall()
    rolled = store.sql.execute(
        "SELECT local_day, local_hour, kiosk_id, face, misuse, n FROM rollup_hourly WHERE location_id = ?"
        " ORDER BY 1, 2, 3, 4, 5",
        (location_id,),
    ).fetchall()
    daily = store.sql.execute(
        "SELECT sum(f0 + f1 + f2 + f3 + f4) FROM rollup_daily WHERE location_id = ?", (location_id,)
    ).fetchone()[0]
    return raw == rolled and daily == sum(r[5] for r in raw)


def test_recompute_under_a_shorter_and_back_to_the_default_interval(store: Store, client: TestClient) -> None:
    """3 s apart is misuse under 5 s but not under 2 s; going back to 5 s restores the kiosk's own flags."""
    _burst(store, "sto-1", "2026-04-08 12:00", [3, 3, 3, 3, 30, 4])  # 7 taps: 5 within 5 s of the previous
    store.faces("sto-2", "2026-04-08", [0, 0, 5, 5])
    h = bearer(store, "admin")
    before = get_json(client, "/api/locations/sto/report", h, range="last_7_days")["summary"]
    assert (before["total"], before["misuse_excluded"]) == (12, 5)
    rows_before = store.sql.execute("SELECT count(*) FROM ratings").fetchone()[0]

    r = client.put("/api/locations/sto/response-interval", json={"response_interval_s": 2.0}, headers=h)
    assert r.status_code == 200
    assert r.json() == {"location_id": "sto", "response_interval_s": 2.0, "ratings": 17, "misuse": 0, "changed": 5}
    after = get_json(client, "/api/locations/sto/report", h, range="last_7_days")
    assert (after["summary"]["total"], after["summary"]["misuse_excluded"]) == (17, 0)
    assert after["location"]["response_interval_s"] == 2.0
    assert store.sql.execute("SELECT count(*) FROM ratings").fetchone()[0] == rows_before
    assert _rollup_matches_raw(store, "sto")

    r = client.put("/api/locations/sto/response-interval", json={"response_interval_s": 5.0}, headers=h)
    assert r.json()["misuse"] == 5
    assert store.sql.execute("SELECT count(*) FROM ratings WHERE misuse != misuse_device").fetchone()[0] == 0
    assert get_json(client, "/api/locations/sto/report", h, range="last_7_days")["summary"]["total"] == 12
    assert _rollup_matches_raw(store, "sto")


def test_a_longer_interval_flags_more_and_leaves_other_locations_alone(store: Store, client: TestClient) -> None:
    """Under 60 s the 30 s gap becomes misuse too; another location's numbers do not move."""
    _burst(store, "sto-1", "2026-04-08 12:00", [3, 3, 3, 3, 30, 4])
    _burst(store, "gbg-1", "2026-04-08 12:00", [3, 30])
    h = bearer(store, "admin")
    gbg_before = get_json(client, "/api/locations/gbg/summary", h)
    r = client.put("/api/locations/sto/response-interval", json={"response_interval_s": 60.0}, headers=h)
    assert r.json()["misuse"] == 6
    assert get_json(client, "/api/locations/gbg/summary", h) == gbg_before
    assert _rollup_matches_raw(store, "sto") and _rollup_matches_raw(store, "gbg")


def test_admin_changes_the_interval_through_the_location_page_form(store: Store, client: TestClient) -> None:
    """The settings form posts with the session's CSRF token and comes back with the recomputed figures."""
    _burst(store, "sto-1", "2026-04-08 12:00", [3, 3])
    login(client, "boss")
    page = client.get("/locations/sto")
    assert 'name="response_interval_s"' in page.text
    r = client.post(
        "/locations/sto/response-interval",
        data={"csrf": page_csrf(client, "/locations/sto"), "response_interval_s": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/locations/sto?recomputed=0-3"
    assert "0 av 3 tryck" in client.get(r.headers["location"]).text
    forged = client.post("/locations/sto/response-interval", data={"csrf": "x", "response_interval_s": "9"})
    assert forged.status_code == 403
    assert store.registry.location("sto").response_interval_s == 1.0


def test_managers_cannot_change_the_rule_and_bad_intervals_are_refused(store: Store, client: TestClient) -> None:
    """Only admins change the rule; negative, huge or non-numeric intervals are 422."""
    login(client, "anna")
    assert 'name="response_interval_s"' not in client.get("/locations/sto").text
    r = client.post("/locations/sto/response-interval", data={"csrf": page_csrf(client), "response_interval_s": "1"})
    assert r.status_code == 403
    h = bearer(store, "admin")
    for raw in (
        '{"response_interval_s": -1}',
        '{"response_interval_s": 1e9}',
        '{"response_interval_s": "abc"}',
        '{"response_interval_s": null}',
        '{"response_interval_s": NaN}',
        "{}",
        "not json",
    ):
        r = client.put(
            "/api/locations/sto/response-interval", content=raw, headers={**h, "Content-Type": "application/json"}
        )
        assert r.status_code == 422, raw
    assert store.registry.location("sto").response_interval_s == 5.0


def test_the_new_interval_is_pushed_to_the_locations_kiosks(store: Store, client: TestClient) -> None:
    """Kiosks of the location get the new response interval in their remote settings, others keep theirs."""
    from hub.fleet.settings import RemoteSettings

    h = bearer(store, "admin")
    assert (
        client.put("/api/locations/sto/response-interval", json={"response_interval_s": 2.5}, headers=h).status_code
        == 200
    )
    remote = RemoteSettings(store.db)
    assert remote.effective("sto-1")["response_interval_s"] == 2.5
    assert remote.effective("sto-2")["response_interval_s"] == 2.5
    assert "response_interval_s" not in remote.effective("gbg-1")
    planned = dict(store.sql.execute("SELECT kiosk_id, version FROM kiosk_config").fetchall())
    assert {"sto-1", "sto-2"} <= set(planned) and "gbg-1" not in planned

"""The administration contract for scripts: regions, locations, kiosks, users, kiosk settings and the audit log."""

from __future__ import annotations

import tomllib

from fastapi.testclient import TestClient

from feedback.staff_pin import hash_pin
from kiosk.config import parse_config
from tests.dashboard.conftest import BASE_URL, PASSWORD, Store, bearer, get_json, login, page_csrf
from tests.postgres import both_engines

pytestmark = both_engines

HOURS = {"mon": [8, 21], "tue": [8, 21], "wed": [8, 21], "thu": [8, 21], "fri": [8, 21], "sat": [10, 18]}


def test_an_admin_sets_up_a_store_its_kiosk_and_its_manager_over_the_api(store: Store, client: TestClient) -> None:
    """Region, store with hours and a holiday, kiosk with its config returned once, and a manager who sees only it."""
    h = bearer(store, "admin")
    assert client.post("/api/regions", json={"id": "north", "name": "Norr"}, headers=h).status_code == 201
    r = client.post(
        "/api/locations",
        json={
            "id": "lul",
            "name": "Luleå",
            "timezone": "Europe/Stockholm",
            "region_id": "north",
            "opening_hours": HOURS,
            "opening_exceptions": [{"date": "2026-12-24", "hours": [10, 14], "note": "Julafton"}],
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert r.json()["opening_hours"]["sat"] == [10, 18] and r.json()["opening_hours"]["sun"] is None
    assert r.json()["opening_exceptions"] == [{"date": "2026-12-24", "hours": [10, 14], "note": "Julafton"}]
    k = client.post("/api/kiosks", json={"id": "lul-1", "location_id": "lul", "name": "Entrance"}, headers=h)
    assert k.status_code == 201, k.text
    doc = tomllib.loads(k.json()["config_toml"])
    assert doc["kiosk"] == {"id": "lul-1", "location": "lul"} and len(doc["broker"]["password"]) >= 16
    config = parse_config(doc)
    assert config.kiosk_id == "lul-1" and config.broker.password == doc["broker"]["password"]
    assert doc["broker"]["password"] not in client.get("/api/kiosks", headers=h).text
    stored = store.sql.execute("SELECT password_hash FROM kiosks WHERE id = 'lul-1'").fetchone()[0]
    assert doc["broker"]["password"] not in stored
    u = client.post("/api/users", json={"name": "lena", "role": "manager", "location_ids": ["lul"]}, headers=h)
    assert u.status_code == 201 and u.json()["locations"] == ["lul"]
    login(client, "lena", u.json()["password"])
    assert [loc["id"] for loc in get_json(client, "/api/locations")] == ["lul"]
    fleet = get_json(client, "/api/fleet")["kiosks"]
    assert [(k["id"], k["name"]) for k in fleet] == [("lul-1", "Entrance")]


def test_kiosks_are_renamed_moved_disabled_and_retired_for_good(store: Store, client: TestClient) -> None:
    """PATCH renames, moves (taps from now count at the new store), disables and retires; retired stays retired."""
    h = bearer(store, "admin")

    def patch(**body: object) -> tuple[int, dict[str, object]]:
        r = client.patch("/api/kiosks/upp-1", json=body, headers=h)
        return r.status_code, r.json()

    assert patch(name="Kassa 2") == (
        200,
        {"id": "upp-1", "name": "Kassa 2", "location_id": "upp", "is_disabled": False, "is_retired": False},
    )
    assert patch(location_id="sto")[1]["location_id"] == "sto"
    assert store.sql.execute("SELECT count(*) FROM kiosk_moves WHERE kiosk_id = 'upp-1'").fetchone()[0] == 1
    assert patch(is_disabled=True)[1]["is_disabled"] is True
    assert "upp-1" not in dict(store.db.registry.broker_users())
    assert patch(is_disabled=False)[1]["is_disabled"] is False
    assert patch(is_retired=True)[1] == {**patch(name="Kassa 2")[1], "is_retired": True, "is_disabled": True}
    assert patch(is_disabled=False)[0] == 422
    assert patch(is_retired=False)[0] == 422
    assert "upp-1" not in [k["id"] for k in get_json(client, "/api/fleet", h)["kiosks"]]
    assert client.patch("/api/kiosks/nope", json={"name": "x"}, headers=h).status_code == 404
    assert client.post("/api/kiosks", json={"id": "upp-1", "location_id": "upp"}, headers=h).status_code == 409


def test_users_get_roles_stores_new_passwords_and_can_be_disabled(store: Store, client: TestClient) -> None:
    """A reset password (shown once) replaces the old one; disabling ends sessions and tokens; one admin remains."""
    h = bearer(store, "admin")
    anna_token = bearer(store, "manager", "anna")
    r = client.patch("/api/users/anna", json={"reset_password": True, "region_ids": ["west"]}, headers=h)
    assert r.status_code == 200 and r.json()["regions"] == ["west"] and r.json()["locations"] == ["sto"]
    new = r.json()["password"]
    with TestClient(client.app, base_url=BASE_URL) as browser:
        assert "failed=1" in login(browser, "anna", PASSWORD).headers["location"]
        assert login(browser, "anna", new).headers["location"] == "/"
        assert sorted(get_json(browser, "/api/me")["location_ids"]) == ["gbg", "sto"]
        assert client.patch("/api/users/anna", json={"is_disabled": True}, headers=h).status_code == 200
        assert browser.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=anna_token).status_code == 401
    last = client.patch("/api/users/boss", json={"role": "manager"}, headers=h)
    assert last.status_code == 422 and "only enabled admin" in last.json()["detail"]
    assert client.post("/api/users", json={"name": "anna", "role": "manager"}, headers=h).status_code == 409
    bad = client.post("/api/users", json={"name": "x1", "role": "manager", "location_ids": ["nowhere"]}, headers=h)
    assert bad.status_code == 422 and "nowhere" in bad.json()["detail"]
    assert client.post("/api/users", json={"name": "x2", "role": "king"}, headers=h).status_code == 422


def test_kiosk_settings_per_scope_are_checked_merged_and_show_each_kiosks_rollout(
    store: Store, client: TestClient
) -> None:
    """Organisation and store settings merge into what a kiosk gets; a value a kiosk would refuse changes nothing."""
    h = bearer(store, "admin")
    body = {"set": {"questions": {"en": "How was your visit?", "sv": "Hur var besöket?"}, "faces": 5}}
    assert client.patch("/api/kiosk-settings/all", json=body, headers=h).status_code == 200
    store_body = {"set": {"questions": {"en": "Was it clean?"}}}
    r = client.patch("/api/kiosk-settings/locations/sto", json=store_body, headers=h)
    assert r.status_code == 200
    kiosk = get_json(client, "/api/kiosk-settings/kiosks/sto-1", h)
    assert kiosk["effective"]["questions"] == {"en": "Was it clean?", "sv": "Hur var besöket?"}
    assert kiosk["effective"]["faces"] == 5
    assert [(x["kiosk_id"], x["state"]) for x in kiosk["rollout"]] == [("sto-1", "planned")]
    refused = client.patch("/api/kiosk-settings/all", json={"set": {"faces": 7}}, headers=h)
    assert refused.status_code == 422 and "faces" in refused.json()["detail"]
    assert get_json(client, "/api/kiosk-settings/all", h)["settings"]["faces"] == 5
    unknown = client.patch("/api/kiosk-settings/all", json={"set": {"self_destruct": True}}, headers=h)
    assert unknown.status_code == 422 and "self_destruct" in unknown.json()["detail"]
    states = {x["kiosk_id"]: x["state"] for x in get_json(client, "/api/kiosk-settings/rollout", h)}
    assert states == dict.fromkeys(("gbg-1", "nyc-1", "sto-1", "sto-2", "upp-1"), "planned")


def test_region_settings_reach_the_regions_kiosks_under_their_locations_and_follow_a_moved_store(
    store: Store, client: TestClient
) -> None:
    """A region's settings reach the kiosks of its stores only, a store's own settings beat the region's, moving a
    store into another region re-plans its kiosks, and managers cannot read or change a region's settings."""
    h = bearer(store, "admin")
    r = client.patch("/api/kiosk-settings/regions/east", json={"set": {"faces": 5, "thank_you_s": 2}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["effective"]["faces"] == 5
    assert sorted(x["kiosk_id"] for x in r.json()["rollout"]) == ["sto-1", "sto-2", "upp-1"]
    assert client.patch("/api/kiosk-settings/locations/sto", json={"set": {"faces": 3}}, headers=h).status_code == 200
    effective = {k: get_json(client, f"/api/kiosk-settings/kiosks/{k}", h)["effective"] for k in ("sto-1", "upp-1")}
    assert effective["sto-1"] == {"faces": 3, "thank_you_s": 2}  # the store's own setting wins
    assert effective["upp-1"] == {"faces": 5, "thank_you_s": 2}
    assert get_json(client, "/api/kiosk-settings/kiosks/gbg-1", h)["effective"] == {}  # region west
    assert {x["kiosk_id"]: x["state"] for x in get_json(client, "/api/kiosk-settings/rollout", h)}["gbg-1"] == "none"

    before = {row["kiosk_id"]: row["version"] for row in store.db.settings.status()}
    moved = client.patch("/api/locations/gbg", json={"region_id": "east"}, headers=h)
    assert moved.status_code == 200, moved.text
    after = {row["kiosk_id"]: row for row in store.db.settings.status()}
    assert after["gbg-1"]["version"] is not None and before["gbg-1"] is None
    assert after["gbg-1"]["region_id"] == "east"
    assert get_json(client, "/api/kiosk-settings/kiosks/gbg-1", h)["effective"] == {"faces": 5, "thank_you_s": 2}

    refused = client.patch("/api/kiosk-settings/regions/east", json={"set": {"faces": 9}}, headers=h)
    assert refused.status_code == 422 and "faces" in refused.json()["detail"]
    assert client.get("/api/kiosk-settings/regions/nowhere", headers=h).status_code == 404
    assert [(e.action, e.target) for e in store.db.audit.entries()][-1] == ("settings.update", "region:east")
    for user in ("anna", "erik"):
        m = bearer(store, "manager", user)
        assert client.get("/api/kiosk-settings/regions/east", headers=m).status_code == 403
        assert (
            client.patch("/api/kiosk-settings/regions/east", json={"set": {"faces": 4}}, headers=m).status_code == 403
        )
    assert get_json(client, "/api/kiosk-settings/regions/east", h)["settings"] == {"faces": 5, "thank_you_s": 2}


def test_locations_refuse_bad_hours_unknown_regions_and_a_late_time_zone_change(
    store: Store, client: TestClient
) -> None:
    """Bad hours name the field; a store's zone can change only before its first answer."""
    h = bearer(store, "admin")
    bad = client.patch("/api/locations/upp", json={"opening_hours": {"mon": [21, 8]}}, headers=h)
    assert bad.status_code == 422 and "opening_hours.mon" in bad.json()["detail"]
    bad = client.patch("/api/locations/upp", json={"opening_hours": {"someday": [8, 9]}}, headers=h)
    assert bad.status_code == 422 and "someday" in bad.json()["detail"]
    twice = [{"date": "2026-12-24", "hours": None}, {"date": "2026-12-24", "hours": None}]
    assert client.patch("/api/locations/upp", json={"opening_exceptions": twice}, headers=h).status_code == 422
    assert client.patch("/api/locations/upp", json={"region_id": "nowhere"}, headers=h).status_code == 404
    assert client.patch("/api/locations/upp", json={"timezone": "Mars/Olympus"}, headers=h).status_code == 422
    ok = client.patch("/api/locations/upp", json={"timezone": "Europe/Helsinki", "name": "Uppsala C"}, headers=h)
    assert ok.status_code == 200 and ok.json()["timezone"] == "Europe/Helsinki"
    store.faces("sto-1", "2026-04-08", [1, 1, 1, 1])
    late = client.patch("/api/locations/sto", json={"timezone": "Europe/Helsinki"}, headers=h)
    assert late.status_code == 422 and "timezone" in late.json()["detail"]
    assert get_json(client, "/api/locations/sto", h)["timezone"] == "Europe/Stockholm"
    assert "Europe/Stockholm" in get_json(client, "/api/timezones", h)


def test_the_audit_log_says_who_changed_what_and_when_without_secrets(store: Store, client: TestClient) -> None:
    """Every admin write leaves an entry naming the actor, the action and the target; passwords never appear."""
    login(client, "boss")
    csrf = {"X-CSRF-Token": page_csrf(client)}
    client.post("/api/users", json={"name": "olle", "role": "manager", "password": "s3cret-pass-1"}, headers=csrf)
    client.patch("/api/users/olle", json={"password": "s3cret-pass-2"}, headers=csrf)
    client.post("/api/regions", json={"id": "south", "name": "Syd"}, headers=csrf)
    log = get_json(client, "/api/audit")
    assert [(e["actor"], e["action"], e["target"]) for e in log] == [
        ("boss", "region.create", "south"),
        ("boss", "user.update", "olle"),
        ("boss", "user.create", "olle"),
    ]
    assert log[1]["detail"] == {"password": "set"} and all(e["at_ms"] > 0 for e in log)
    assert "s3cret" not in str(log) and "s3cret" not in str(store.sql.execute("SELECT * FROM audit_log").fetchall())


def test_a_staff_pin_pushed_as_a_kiosk_setting_stays_out_of_the_audit_log(store: Store, client: TestClient) -> None:
    """The settings change is audited with the PIN and its hash hidden; the other settings are shown as set."""
    h = bearer(store, "admin")
    pin_hash = hash_pin("482913", salt=b"0123456789abcdef")
    body = {"set": {"faces": 5, "staff_pin": "482913", "staff_pin_hash": pin_hash}}
    assert client.patch("/api/kiosk-settings/all", json=body, headers=h).status_code == 200
    entry = get_json(client, "/api/audit", h)[0]
    assert entry["action"] == "settings.update"
    assert entry["detail"]["set"] == {"faces": 5, "staff_pin": "[hidden]", "staff_pin_hash": "[hidden]"}
    stored = str(store.sql.execute("SELECT detail_json FROM audit_log").fetchall())
    assert "482913" not in stored and pin_hash not in stored


def test_every_admin_route_refuses_managers_and_cookie_writes_without_csrf(store: Store, client: TestClient) -> None:
    """Each administration operation answers 403 to a manager (own store or not) and to a session without CSRF."""
    paths = client.get("/openapi.json").json()["paths"]
    admin_ops = [(p, m) for p, ops in paths.items() for m, spec in ops.items() if "administration" in spec["tags"]]
    assert len(admin_ops) >= 15
    for user in ("anna", "erik"):
        h = bearer(store, "manager", user)
        for path, method in admin_ops:
            if (path == "/api/locations/{location_id}" and method == "get") or path == "/api/timezones":
                continue  # readable by managers, for their own stores (below)
            for filled in ("sto", "gbg", "anna"):
                url = path.replace("{location_id}", filled).replace("{kiosk_id}", filled + "-1")
                url = url.replace("{region_id}", "east").replace("{name}", filled)
                r = client.request(method.upper(), url, json={}, headers=h)
                assert r.status_code == 403, f"{user}: {method} {url} -> {r.status_code}"
    anna = bearer(store, "manager", "anna")
    assert client.get("/api/locations/sto", headers=anna).status_code == 200
    assert client.get("/api/locations/gbg", headers=anna).status_code == 404
    login(client, "boss")
    for path, method in admin_ops:
        if method != "get":
            url = path.replace("{location_id}", "sto").replace("{kiosk_id}", "sto-1")
            url = url.replace("{region_id}", "east").replace("{name}", "anna")
            assert client.request(method.upper(), url, json={}).status_code == 403, f"{method} {url} without CSRF"
    assert store.db.audit.entries() == []


def test_an_admin_gives_a_kiosk_a_new_staff_pin_shown_once_and_a_manager_cannot(
    store: Store, client: TestClient
) -> None:
    """POST /api/kiosks/{id}/pin returns a new 6-digit PIN once, keeps only its hash as that kiosk's pushed
    staff_pin_hash and audits the change without it; a manager, even of the kiosk's own store, gets 403."""
    from feedback.staff_pin import pin_matches
    from hub.fleet.settings import RemoteSettings

    remote = RemoteSettings(store.db)
    for manager in ("anna", "erik"):  # anna manages sto, erik does not
        r = client.post("/api/kiosks/sto-1/pin", headers=bearer(store, "manager", manager))
        assert r.status_code == 403 and "staff_pin" not in r.text
    assert remote.settings("kiosk", "sto-1") == {} and store.db.audit.entries() == []
    h = bearer(store, "admin")
    r = client.post("/api/kiosks/sto-1/pin", headers=h)
    assert r.status_code == 200, r.text
    pin = r.json()["staff_pin"]
    assert r.json()["kiosk_id"] == "sto-1" and len(pin) == 6 and pin.isdigit()
    kept = remote.settings("kiosk", "sto-1")
    assert list(kept) == ["staff_pin_hash"] and pin_matches(pin, pin=None, pin_hash=kept["staff_pin_hash"])
    assert remote.effective("sto-2").get("staff_pin_hash") is None  # that kiosk only
    entries = store.db.audit.entries()
    assert [(e.action, e.target, e.detail) for e in entries] == [("kiosk.pin", "sto-1", {})]
    assert pin not in str(entries) and kept["staff_pin_hash"] not in str(entries)
    assert pin not in client.get("/api/kiosk-settings/kiosks/sto-1", headers=h).text
    assert client.post("/api/kiosks/nope/pin", headers=h).status_code == 404
    op = client.get("/openapi.json").json()["paths"]["/api/kiosks/{kiosk_id}/pin"]["post"]
    assert "administration" in op["tags"] and "staff_pin" in str(client.get("/openapi.json").json()["components"])

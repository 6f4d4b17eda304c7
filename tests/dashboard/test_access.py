"""Who may see what: every route's permission boundary, sessions, CSRF, tokens."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.dashboard.conftest import BASE_URL, Store, bearer, get_json, local_ms, login, make_client, page_csrf
from tests.postgres import both_engines

pytestmark = both_engines

PUBLIC = {"/healthz", "/metrics"}


def _fill(path: str, location_id: str) -> str:
    return re.sub(r"\{[^}]+\}", location_id, path)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str] | None = None) -> int:
    body = {"response_interval_s": 5.0} if method == "put" else None
    status: int = client.request(method.upper(), path, json=body, headers=headers or {}).status_code
    return status


def test_every_api_route_refuses_anonymous_callers(store: Store, client: TestClient) -> None:
    """Every operation in the OpenAPI document except health and metrics answers 401 without credentials."""
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for path, ops in paths.items():
        for method in ops:
            if path in PUBLIC:
                continue
            assert _call(client, method, _fill(path, "sto")) == 401, f"{method} {path}"
            checked += 1
    assert checked >= 12


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/"),
        ("get", "/compare"),
        ("get", "/fleet"),
        ("get", "/locations/sto"),
        ("post", "/locations/sto/response-interval"),
        ("post", "/logout"),
    ],
)
def test_every_page_sends_anonymous_visitors_to_the_login(
    store: Store, client: TestClient, method: str, path: str
) -> None:
    """Without a session every dashboard page (and form target) redirects to the login page."""
    r = client.request(
        method.upper(),
        path,
        data={"csrf": "x", "response_interval_s": "1"} if method == "post" else None,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


def test_every_location_route_hides_another_stores_data_from_a_manager(store: Store, client: TestClient) -> None:
    """For each route taking a location, anna (sto only) gets her store but 404 for gbg — like an unknown id."""
    paths = client.get("/openapi.json").json()["paths"]
    h = bearer(store, "manager", "anna")
    routes = [(p, m) for p, ops in paths.items() for m in ops if "{location_id}" in p]
    assert len(routes) >= 3
    for path, method in routes:
        own = _call(client, method, _fill(path, "sto"), h)
        is_admin_only = method != "get" or path.startswith("/api/kiosk-settings/")
        assert own == (403 if is_admin_only else 200), f"{method} {path} own store: {own}"
        assert _call(client, method, _fill(path, "gbg"), h) in (403, 404), f"{method} {path} foreign store"
        assert _call(client, method, _fill(path, "no-such"), h) in (403, 404), f"{method} {path} unknown"
    foreign = client.get("/api/locations/gbg/report", headers=h)
    unknown = client.get("/api/locations/no-such/report", headers=h)
    assert foreign.status_code == unknown.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/overview",
        "/api/compare",
        "/api/regions",
        "/api/fleet",
        "/api/kiosks",
        "/api/locations",
        "/api/me",
        "/api/exports/ratings.csv",
        "/api/exports/daily.csv",
    ],
)
def test_list_routes_show_a_manager_only_their_locations(store: Store, client: TestClient, path: str) -> None:
    """Lists, rankings, fleet and exports mention only the manager's locations and kiosks."""
    store.faces("sto-1", "2026-04-08", [1, 2, 3, 4])
    store.faces("gbg-1", "2026-04-08", [4, 3, 2, 1])
    from feedback import protocol as p

    for kid in ("sto-1", "gbg-1"):
        store.db.ledger.store_status(
            kid, p.Status("online"), received_ms=local_ms("2026-04-10 11:00"), is_retained=False
        )
    for user, mine, other in (("anna", "sto", "gbg"), ("erik", "gbg", "sto")):
        text = client.get(path, headers=bearer(store, "manager", user)).text
        assert mine in text and other not in text, f"{user}: {text[:300]}"
        assert "nyc" not in text and "upp" not in text
    admin = client.get(path, headers=bearer(store, "admin")).text
    assert path == "/api/me" or ("sto" in admin and "gbg" in admin)


def test_manager_without_locations_sees_nothing(store: Store, client: TestClient) -> None:
    """A manager with no assignment gets empty lists, not everything."""
    h = bearer(store, "manager", "nobody")
    assert get_json(client, "/api/overview", h)["locations"] == []
    assert get_json(client, "/api/fleet", h)["kiosks"] == []
    assert client.get("/api/exports/ratings.csv", headers=h).text.count("\n") == 1


@pytest.mark.parametrize("path", ["/api/rejections", "/api/quarantine"])
def test_admin_only_routes_refuse_managers(store: Store, client: TestClient, path: str) -> None:
    """Operational lists are for admins only."""
    assert client.get(path, headers=bearer(store, "manager", "anna")).status_code == 403
    assert client.get(path, headers=bearer(store, "admin")).status_code == 200


def test_exports_refuse_foreign_locations_and_regions(store: Store, client: TestClient) -> None:
    """Asking an export for a store or region that is not yours is a 404, not a silent empty file."""
    h = bearer(store, "manager", "anna")
    for params in ({"location": "gbg"}, {"location": ["sto", "gbg"]}, {"region": "west"}):
        for kind in ("ratings", "daily"):
            assert client.get(f"/api/exports/{kind}.csv", params=params, headers=h).status_code == 404


def test_login_sets_a_hardened_session_cookie_and_the_api_accepts_it(store: Store, client: TestClient) -> None:
    """A correct login gives an HttpOnly SameSite cookie; the JSON API then knows the user without a token."""
    r = login(client, "anna")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("hub_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert get_json(client, "/api/me") == {"name": "anna", "role": "manager", "location_ids": ["sto"]}
    assert client.get("/api/locations/gbg/report").status_code == 404
    stored = store.sql.execute("SELECT password_hash FROM users WHERE id = 'anna'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "horse" not in stored


@pytest.mark.parametrize(
    ("user", "password", "csrf", "failed"),
    [
        ("anna", "wrong password", True, "1"),
        ("ghost", "correct horse battery", True, "1"),
        ("anna", "correct horse battery", False, "2"),
    ],
)
def test_bad_logins_get_no_session(
    store: Store, client: TestClient, user: str, password: str, csrf: bool, failed: str
) -> None:
    """Wrong password, unknown user or a missing login CSRF token all end on the login page without a session."""
    client.get("/login")
    token = client.cookies.get("hub_login_csrf") if csrf else "forged"
    r = client.post("/login", data={"username": user, "password": password, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and f"failed={failed}" in r.headers["location"]
    assert "hub_session" not in r.headers.get("set-cookie", "")
    assert client.get("/api/me").status_code == 401


def test_pages_redirect_to_login_and_back_but_never_off_site(store: Store, client: TestClient) -> None:
    """Pages need a session; after login the user lands where they wanted, never on another host."""
    r = client.get("/compare?range=today", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fcompare%3Frange%3Dtoday"
    for target, lands in (
        ("/compare?range=today", "/compare?range=today"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
    ):
        client.get("/login")
        csrf = client.cookies.get("hub_login_csrf")
        r = client.post(
            "/login",
            data={"username": "anna", "password": "correct horse battery", "csrf": csrf, "next": target},
            follow_redirects=False,
        )
        assert r.headers["location"] == lands


def test_another_stores_page_is_not_found(store: Store, client: TestClient) -> None:
    """A manager opening another store's page sees a 404 page; their own store's page renders."""
    login(client, "anna")
    other = client.get("/locations/gbg")
    assert other.status_code == 404 and "Göteborg" not in other.text
    own = client.get("/locations/sto")
    assert own.status_code == 200 and "Stockholm City" in own.text
    assert "content-security-policy" in own.headers and own.headers["x-frame-options"] == "DENY"


def test_session_writes_need_the_csrf_token_but_bearer_writes_do_not(store: Store, client: TestClient) -> None:
    """A cookie-authenticated PUT without X-CSRF-Token is refused; with it, or with a bearer token, it works."""
    login(client, "boss")
    body = {"response_interval_s": 4.0}
    assert client.put("/api/locations/sto/response-interval", json=body).status_code == 403
    csrf = page_csrf(client)
    ok = client.put("/api/locations/sto/response-interval", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    with TestClient(client.app, base_url=BASE_URL) as other:
        assert (
            other.put("/api/locations/sto/response-interval", json=body, headers=bearer(store, "admin")).status_code
            == 200
        )


def test_logout_needs_csrf_and_ends_the_session(store: Store, client: TestClient) -> None:
    """Logging out is a CSRF-protected form post; afterwards the old cookie opens nothing."""
    login(client, "anna")
    assert client.post("/logout", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    assert client.get("/api/me").status_code == 200
    r = client.post("/logout", data={"csrf": page_csrf(client)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/api/me").status_code == 401


def test_language_follows_the_browser_and_the_switch(store: Store, client: TestClient) -> None:
    """Pages speak Swedish by default, English for an English browser, and whatever the user switched to."""
    login(client, "anna")
    assert "Översikt" in client.get("/").text
    assert ">Overview<" in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    client.get("/lang/en?next=/", follow_redirects=False)
    assert ">Overview<" in client.get("/").text


def test_a_session_made_by_one_hub_process_works_on_another_sharing_the_store(store: Store, client: TestClient) -> None:
    """Two hub apps on one store behave as one: a login and its CSRF token from the first are honoured by the
    second, and a logout on the second ends the session on the first."""
    login(client, "boss")
    csrf = page_csrf(client)
    with make_client(store) as second:
        second.cookies.update(dict(client.cookies))
        assert get_json(second, "/api/me")["name"] == "boss"
        body = {"response_interval_s": 4.0}
        r = second.put("/api/locations/sto/response-interval", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200
        assert second.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/me").status_code == 401

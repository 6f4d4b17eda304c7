"""The HTTP edge in front of every route: headers on every authenticated answer, allowed hosts, body limits."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import HubConfig
from tests.dashboard.conftest import NOW_MS, Store, bearer, login, page_csrf
from tests.postgres import both_engines

pytestmark = both_engines

PATH_VALUES = {
    "location_id": "sto",
    "id": "sto",
    "kiosk_id": "sto-1",
    "region_id": "east",
    "name": "anna",
    "rule_id": "1",
    "alert_id": "1",
    "fmt": "json",
}
NO_SUCH: set[str] = set()  # paths naming an alert or rule the fixture does not have (404, private all the same)
PAGES = ["/", "/compare", "/fleet", "/locations/sto"]


def _operations(client: TestClient) -> list[tuple[str, str]]:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    ops = []
    for path, methods in spec["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path)
        ops += [(method.upper(), concrete) for method in methods]
        if "{alert_id}" in path or "{rule_id}" in path or path == "/api/me/alert-settings":
            NO_SUCH.add(concrete)  # (a token is no dashboard user: it has no alert settings)
    return ops


def _assert_private(response: httpx.Response, what: str, *, may_refuse: bool = False) -> None:
    # a write without a body, or an id that does not exist, is refused (4xx): its answer is private all the same
    limit = 500 if may_refuse else 400
    assert response.status_code < limit, f"{what}: {response.status_code} {response.text[:200]}"
    assert response.headers.get("cache-control") == "no-store", f"{what}: {response.headers}"
    assert response.headers.get("x-content-type-options") == "nosniff", what
    assert response.headers.get("x-frame-options") == "DENY", what
    assert "server" not in response.headers, what


def test_every_authenticated_route_in_the_openapi_document_is_not_cached(store: Store, client: TestClient) -> None:
    """Each operation of /openapi.json, called with a token and with a session, answers Cache-Control: no-store."""
    ops = _operations(client)
    assert len(ops) >= 10 and ("GET", "/api/exports/ratings.csv") in ops
    body = {"response_interval_s": 5.0}
    for method, path in ops:
        token = {**bearer(store, "admin"), "X-HON-API-Token": store.token("admin")}  # /v2 takes its own header
        r = client.request(method, path, headers=token, json=body if method == "PUT" else None)
        _assert_private(r, f"{method} {path} (token)", may_refuse=method != "GET" or path in NO_SUCH)
    login(client, "boss")
    csrf = {"X-CSRF-Token": page_csrf(client)}
    for method, path in ops:
        r = client.request(method, path, headers=csrf, json=body if method == "PUT" else None)
        # (/v2, HappyOrNot's shape, takes tokens only: a session is refused there, privately)
        _assert_private(
            r, f"{method} {path} (session)", may_refuse=method != "GET" or path in NO_SUCH or path.startswith("/v2/")
        )
    for page in PAGES:
        r = client.get(page)
        _assert_private(r, page)
        assert "script-src 'self';" in r.headers["content-security-policy"]


def test_static_files_may_be_cached_but_docs_have_a_csp_of_their_own(client: TestClient) -> None:
    """Static assets carry no no-store; /docs has a CSP allowing only the hub's scripts and its hashed inline one."""
    assert "cache-control" not in client.get("/static/dashboard.css").headers
    docs = client.get("/docs")
    csp = docs.headers["content-security-policy"]
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]{44}';", csp), csp
    assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert docs.headers["cache-control"] == "no-store"


def test_a_foreign_host_header_is_refused(store: Store, client: TestClient) -> None:
    """``Host: evil.example`` (DNS rebinding) gets 400 on pages, the sign-in form and the API; served names work."""
    for path in ("/login", "/", "/api/me", "/healthz"):
        assert client.get(path, headers={"Host": "evil.example"}).status_code == 400, path
    assert client.post("/login", headers={"Host": "evil.example:8470"}, data={}).status_code == 400
    for host in ("127.0.0.1", "127.0.0.1:8470", "localhost", "LOCALHOST:1"):
        assert client.get("/healthz", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_can_be_named(store: Store) -> None:
    """With ``allowed_hosts`` set, exactly those names are served (case-insensitive, any port)."""
    app = create_app(
        HubConfig(
            data_dir=store.data_dir, ingest_enabled=False, allowed_hosts=("hub.example.org",), database=store.database
        ),
        now_ms=lambda: NOW_MS,
        run_services=False,
    )
    with TestClient(app, base_url="http://Hub.Example.org:8470") as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/healthz", headers={"Host": "127.0.0.1"}).status_code == 400


def test_bodies_over_the_limit_are_refused_before_parsing(store: Store, client: TestClient) -> None:
    """Anonymous bodies over 16 KiB get 413 (also chunked ones); a signed-in caller may send more, up to 1 MiB."""
    big = b'{"response_interval_s": 5.0' + b" " * 20_000 + b"}"
    r = client.post("/login", content=b"x" * 20_000, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413
    chunks = iter([b"a" * 10_000] * 3)  # no Content-Length: counted as it arrives
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.post("/login", content=chunks, headers=form).status_code == 413
    put = "/api/locations/sto/response-interval"
    assert client.put(put, content=big, headers={"Content-Type": "application/json"}).status_code == 413
    ok = client.put(put, content=big, headers={"Content-Type": "application/json", **bearer(store, "admin")})
    assert ok.status_code == 200
    huge = b" " * (1024 * 1024 + 1)
    assert client.put(put, content=huge, headers=bearer(store, "admin")).status_code == 413
    forged = client.put(put, content=big, headers={"Authorization": "Bearer fbt_made_up"})
    assert forged.status_code == 413  # an unknown token is anonymous

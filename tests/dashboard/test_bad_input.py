"""Bad input gets a clear 4xx, never a 5xx: hand-picked cases, then schemathesis over the whole OpenAPI spec."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import product
from typing import Any
from urllib.parse import quote

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from hub.reports.ranges import MAX_RANGE_DAYS
from tests.dashboard.conftest import Store, bearer, make_client

INJECTIONS = [
    "' OR 1=1 --",
    "sto'; DROP TABLE ratings; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "sto\x00",
    "😀",
    "a" * 5000,
    "{{7*7}}",
    "${jndi:ldap://x}",
]
ROUTES = [
    "/api/overview",
    "/api/compare",
    "/api/locations/sto/report",
    "/api/locations/sto/summary",
    "/api/exports/ratings.csv",
    "/api/exports/daily.csv",
]
BAD_RANGES: list[dict[str, Any]] = [
    {"from": "2026-13-01", "to": "2026-12-31"},
    {"from": "2026-02-30", "to": "2026-03-01"},
    {"from": "yesterday", "to": "2026-03-01"},
    {"from": "2026-03-02", "to": "2026-03-01"},
    {"from": "1000-01-01", "to": "2026-01-01"},
    {"from": "0001-01-01", "to": "0001-01-02"},
    {"from": "9999-12-30", "to": "9999-12-31"},
    {"from": "2026-01-01"},
    {"to": "2026-01-01"},
    {"range": "last_century"},
    {"range": "custom"},
    {"include_misuse": "maybe"},
    {"from": "2026-1-1", "to": "2026-01-02"},
]


def test_malformed_and_huge_ranges_are_refused_with_a_reason(store: Store, client: TestClient) -> None:
    """Malformed, reversed, ancient, far-future or half-given ranges answer 422 with a message saying why."""
    for route in (r for r in ROUTES if not r.endswith("/summary")):  # the pipeline's summary knows no presets
        for params in BAD_RANGES:
            r = client.get(route, params=params, headers=bearer(store, "admin"))
            assert r.status_code == 422, f"{route} {params}: {r.status_code} {r.text[:200]}"
            assert r.json()["detail"]


def test_injection_attempts_in_every_parameter_are_4xx(store: Store, client: TestClient) -> None:
    """Hostile text in any path or query parameter of the dashboard API is refused or not found, never a 5xx."""
    store.faces("sto-1", "2026-04-08", [1, 1, 1, 1])
    h = bearer(store, "admin")
    paths = client.get("/openapi.json").json()["paths"]
    tried = 0
    for value, route in ((v, r) for v in INJECTIONS for r in ROUTES):
        spec = paths[route.replace("/sto/", "/{location_id}/")]["get"]
        for param in spec.get("parameters", []):
            if param["in"] == "path":
                r = client.get(route.replace("/sto/", "/" + quote(value, safe="") + "/"), headers=h)
            else:
                r = client.get(route, params={param["name"]: value}, headers=h)
            assert 400 <= r.status_code < 500, f"{route} {param['name']}={value[:40]!r}: {r.status_code}"
            tried += 1
    assert tried >= 25 * len(INJECTIONS)
    assert store.sql.execute("SELECT count(*) FROM ratings").fetchone()[0] == 4


def test_longest_allowed_range_is_answered(store: Store, client: TestClient) -> None:
    """About ten years at once is allowed and answers from the rollups; one day more is refused."""
    store.faces("sto-1", "2026-04-08", [1, 2, 3, 4])
    h = bearer(store, "admin")
    last = date(2026, 4, 10)
    longest = (last - timedelta(days=MAX_RANGE_DAYS - 1)).isoformat()
    ok = client.get("/api/overview", params={"from": longest, "to": last.isoformat()}, headers=h)
    assert ok.status_code == 200 and ok.json()["all"]["total"] == 10
    too_long = (last - timedelta(days=MAX_RANGE_DAYS)).isoformat()
    r = client.get("/api/overview", params={"from": too_long, "to": last.isoformat()}, headers=h)
    assert r.status_code == 422 and "at most" in r.json()["detail"]


def test_schemathesis_finds_no_server_error(store: Store) -> None:
    """Generated requests (valid and invalid) against every OpenAPI operation never get a 5xx, as admin."""
    store.faces("sto-1", "2026-04-08", [3, 1, 4, 1])
    store.ingest("gbg-1", [(1775600000000, 0)], reason="queue")
    auth = {**bearer(store, "admin"), "X-HON-API-Token": store.token("admin")}  # the /v2 routes' own header
    with make_client(store, allowed_hosts=("testserver",)) as client:  # the host schemathesis' ASGI client names
        schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
        operations = []
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result.err()
            operations.append(result.ok())
        assert len(operations) >= 35  # the dashboard API and the administration API (issue 11)
        statuses: Counter[int] = Counter()
        for operation, mode in product(operations, GenerationMode):

            @given(case=operation.as_strategy(mode))
            @settings(
                max_examples=10, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
            )
            def no_server_error(case: Any) -> None:
                response = case.call_and_validate(headers=auth, checks=[not_a_server_error])
                statuses[response.status_code] += 1

            try:
                no_server_error()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to get wrong (no parameters)
    assert sum(statuses.values()) >= 12 * len(operations)
    assert statuses[200] and statuses[422] and not any(code >= 500 for code in statuses)

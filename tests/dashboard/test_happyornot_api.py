"""The HappyOrNot Customer API v2 shape: every response validated against their public OpenAPI schema, tokens,
the permission boundary, periods, paging and stable ids."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
import yaml
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import HubConfig
from hub.imports.happyornot import Importer
from hub.imports.mapping import load_mapping
from hub.reports.hon_periods import period_days, stable_id
from tests.dashboard.conftest import BASE_URL, NOW_MS, Store, local_ms
from tests.postgres import both_engines

pytestmark = both_engines

DATA = Path(__file__).resolve().parent.parent / "data" / "happyornot"
SPEC = yaml.safe_load((DATA / "openapi-v2-excerpt.yml").read_text())
EVERY_DAY = ["2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01", "2026-04-05", "2026-04-06", "2026-04-12"]


def validate(name: str, docs: list[dict[str, Any]]) -> None:
    """Fail unless ``docs`` is an array of their schema ``name`` (formats checked: uuid, date-time)."""
    schema = {
        "type": "array",
        "items": {"$ref": f"#/components/schemas/{name}"},
        "components": {"schemas": SPEC["components"]["schemas"]},
    }
    errors = [e.message for e in jsonschema_rs.Draft202012Validator(schema, validate_formats=True).iter_errors(docs)]
    assert errors == [], errors[:3]


def typed_csv(name: str, text: str, sep: str) -> list[dict[str, Any]]:
    """CSV rows as objects typed by the schema; the header must be the schema's properties in their order."""
    props = SPEC["components"]["schemas"][name]["properties"]
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    assert rows[0] == list(props)
    kinds: dict[str, Callable[[str], Any]] = {"integer": int, "boolean": {"true": True, "false": False}.__getitem__}
    kinds["string"] = str
    return [{k: kinds[props[k]["type"]](v) for k, v in zip(rows[0], r, strict=True) if v != ""} for r in rows[1:]]


def imported(store: Store) -> None:
    """The HappyOrNot fixtures imported into the dashboard's store (1003 = Uppsala, ``upp``)."""
    names = ["experience_points.json", "surveys.json", "buttons.json", "buttons_comma.csv", "followups.json"]
    Importer(store.db, load_mapping(DATA / "mapping.json"), now_ms=NOW_MS).run([DATA / n for n in names])


def hon(store: Store, role: str = "admin", user: str | None = None) -> dict[str, str]:
    return {"X-HON-API-Token": store.token(role, user)}


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
    r: httpx.Response = client.get(f"/v2/{path}", params=params, headers=headers)
    assert r.status_code == 200, r.text[:300]
    return r


@pytest.fixture
def mixed(store: Store) -> Store:
    """Kiosk taps at sto, upp and gbg in the week of 2026-04-06, a reason at sto, and the imported history."""
    store.faces("sto-1", "2026-04-06", [1, 0, 2, 3], reason="queue")
    store.faces("upp-1", "2026-04-07", [0, 1, 1, 0])
    store.faces("gbg-1", "2026-04-08", [0, 0, 0, 2, 1], scale=5)
    imported(store)
    return store


@pytest.mark.parametrize(
    ("path", "schema", "sep"),
    [
        ("results/button-feedbacks.json", "ButtonFeedback", None),
        ("results/button-feedbacks.csv", "ButtonFeedback", ","),
        ("results/button-feedbacks.csv", "ButtonFeedback", ";"),
        ("results/follow-up-feedbacks.json", "FollowupFeedback", None),
        ("results/follow-up-feedbacks.csv", "FollowupFeedback", "\t"),
        ("experience-points.json", "ExperiencePoint", None),
        ("experience-points.csv", "ExperiencePoint", ";"),
    ],
)
def test_every_response_validates_against_their_schema(
    mixed: Store, client: TestClient, path: str, schema: str, sep: str | None
) -> None:
    """JSON and CSV answers (any csvSeparator) are valid documents of HappyOrNot's public OpenAPI schema."""
    params: dict[str, Any] = {"startDate": "2026-01-01", "endDate": "2027-01-01", "includeMisuse": "true"}
    if sep is not None:
        params["csvSeparator"] = sep
    r = get(client, path, hon(mixed), **params)
    docs = r.json() if sep is None else typed_csv(schema, r.text, sep)
    assert len(docs) >= 3
    validate(schema, docs)


def test_kiosk_taps_and_imported_feedbacks_appear_alike(mixed: Store, client: TestClient) -> None:
    """Our stores, kiosks and questions wear stable int64 ids; imported ones keep HappyOrNot's; local times carry
    the store's offset."""
    docs = get(client, "results/button-feedbacks.json", hon(mixed), startDate="2026-03-28", endDate="2026-04-11").json()
    sto = [d for d in docs if d["experiencePointId"] == stable_id("location", "sto")]
    assert [d["buttonIndex"] for d in sto] == [0, 2, 2, 3, 3, 3]
    assert sto[0]["localTime"] == "2026-04-06T12:00:00+02:00"
    assert {d["smileyId"] for d in sto} == {stable_id("kiosk", "sto-1")}
    assert {d["surveyId"] for d in sto} == {stable_id("question", "visit")}
    first = docs[0]
    assert (first["feedbackId"], first["smileyId"], first["surveyId"], first["experiencePointId"]) == (
        "00000000-0000-4000-8000-000000000001",
        9001,
        501,
        1001,
    )
    assert first["localTime"] == "2026-03-28T23:30:00+01:00"
    assert {d["experiencePointId"] for d in docs if d["smileyId"] == 9003} == {1003}  # mapped onto upp
    points = {p["experiencePointId"]: p for p in get(client, "experience-points.json", hon(mixed)).json()}
    assert points[1003]["name"] == "Uppsala" and points[1001]["parent"] == 100
    assert points[stable_id("location", "sto")]["parent"] == stable_id("region", "east")
    assert points == {p["experiencePointId"]: p for p in get(client, "experience-points", hon(mixed)).json()}


def test_followups_join_their_button_feedback(mixed: Store, client: TestClient) -> None:
    """Follow-up feedbacks carry the button feedback's id and the answer: kiosk reasons and imported options."""
    h = hon(mixed)
    docs = get(client, "results/follow-up-feedbacks.json", h, startDate="2026-03-01", endDate="2026-04-11").json()
    assert [(d["followupOptionId"], d["followupOptionTextInDefaultLocale"]) for d in docs[:2]] == [
        (7001, "Lång kö"),
        (7002, "Personalen"),
    ]
    assert {d["followupOptionTextInDefaultLocale"] for d in docs[2:]} == {"queue"}
    buttons = {d["feedbackId"] for d in get(client, "results/button-feedbacks.json", h, period="2026").json()}
    assert {d["feedbackId"] for d in docs} <= buttons


def test_tokens_in_header_or_query_and_nothing_else(mixed: Store, client: TestClient) -> None:
    """The token works as X-HON-API-Token or ?auth=; none or an unknown one answers 401."""
    token = mixed.token("admin")
    by_header = client.get("/v2/experience-points.json", headers={"X-HON-API-Token": token})
    by_query = client.get("/v2/experience-points.json", params={"auth": token})
    assert by_header.status_code == by_query.status_code == 200 and by_header.json() == by_query.json()
    assert client.get("/v2/experience-points.json").status_code == 401
    assert client.get("/v2/experience-points.json", params={"auth": "fbt_nope"}).status_code == 401


def test_a_managers_token_sees_only_their_stores(mixed: Store, client: TestClient) -> None:
    """Anna (sto) and Erik (region west: gbg) see only their stores' feedbacks and experience points; asking
    for another store's experience point answers nothing."""
    anna, erik = hon(mixed, "manager", "anna"), hon(mixed, "manager", "erik")
    sto, gbg = stable_id("location", "sto"), stable_id("location", "gbg")
    week = {"startDate": "2026-04-06", "endDate": "2026-04-13"}
    assert {d["experiencePointId"] for d in get(client, "results/button-feedbacks.json", anna, **week).json()} == {sto}
    assert {d["experiencePointId"] for d in get(client, "results/button-feedbacks.json", erik, **week).json()} == {gbg}
    points = get(client, "experience-points.json", anna).json()
    assert [(p["experiencePointId"], p["type"]) for p in points] == [
        (stable_id("region", "east"), "GROUP"),
        (sto, "EXPERIENCE-POINT"),
    ]
    assert get(client, "results/button-feedbacks.json", anna, experiencePointId=1001, period="2026").json() == []
    assert get(client, "results/follow-up-feedbacks.csv", erik, period="2026").text.count("\n") == 1


def app_at(store: Store, when: datetime) -> Iterator[TestClient]:
    app = create_app(
        HubConfig(data_dir=store.data_dir, ingest_enabled=False, database=store.database),
        now_ms=lambda: int(when.timestamp() * 1000),
        run_services=False,
    )
    with TestClient(app, base_url=BASE_URL) as c:
        yield c


@pytest.mark.parametrize(
    ("params", "days"),
    [
        ({"period": "last-week"}, ["2026-04-06", "2026-04-12"]),  # asked on Monday 2026-04-13
        ({"period": "this-week"}, ["2026-04-13"]),
        ({"period": "today"}, ["2026-04-13"]),
        ({"period": "yesterday"}, ["2026-04-12"]),
        ({"period": "2026-q1"}, ["2026-01-01", "2026-03-31"]),
        ({"period": "2026-04"}, ["2026-04-01", "2026-04-05", "2026-04-06", "2026-04-12", "2026-04-13"]),
        ({"period": "last-month"}, ["2026-03-31"]),
        ({"startDate": "2026-04-06", "endDate": "2026-04-12"}, ["2026-04-06"]),  # endDate exclusive
        ({"startDate": "2026-04-06", "endDate": "2026-04-13", "period": "2026-q1"}, ["2026-04-06", "2026-04-12"]),
        ({"startDate": "2025-12-31"}, [*EVERY_DAY, "2026-04-13"]),  # no one-year cap; endDate defaults to tomorrow
    ],
)  # fmt: skip
def test_periods_and_dates(store: Store, params: dict[str, str], days: list[str]) -> None:
    """period values are local days seen from today (a Monday here; weeks start on Monday), quarters are three
    months, startDate/endDate (exclusive) win over period."""
    for day in EVERY_DAY:
        store.ingest("sto-1", [(local_ms(f"{day} 12:00"), 1)], received_ms=local_ms("2026-04-13 09:00"))
    store.ingest("sto-1", [(local_ms("2026-04-13 08:00"), 1)], received_ms=local_ms("2026-04-13 09:00"))
    for c in app_at(store, datetime(2026, 4, 13, 7, 30, tzinfo=UTC)):  # 09:30 in Stockholm, Monday
        docs = get(c, "results/button-feedbacks.json", hon(store), **params).json()
        assert [d["localTime"][:10] for d in docs] == days


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "last-fortnight"}, "period"),
        ({"startDate": "2026-04-10", "endDate": "2026-04-10"}, "endDate"),
        ({"startDate": "10/04/2026"}, "startDate"),
        ({"limit": "10001"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"order": "sideways"}, "order"),
        ({"csvSeparator": ";;"}, "csvSeparator"),
    ],
)
def test_bad_parameters_answer_422_naming_them(
    mixed: Store, client: TestClient, params: dict[str, str], field: str
) -> None:
    """A bad parameter is a 422 whose message names it."""
    r = client.get("/v2/results/button-feedbacks.json", params=params, headers=hon(mixed))
    assert r.status_code == 422 and field in r.text


def test_paging_covers_everything_once_in_order(store: Store, client: TestClient) -> None:
    """offset/limit pages neither overlap nor skip; X-More-Available and Link say when there is more; desc is
    the reverse; misuse is left out unless includeMisuse."""
    t0 = local_ms("2026-04-08 10:00")
    store.ingest("sto-1", [(t0 + 60_000 * i, i % 4) for i in range(25)])
    store.ingest("sto-2", [(t0 + 60_000 * i, 3) for i in range(0, 25, 5)])  # same instants: kiosk id breaks ties
    store.ingest("sto-2", [(t0, 0)], misuse=True)
    h, seen = hon(store), []
    params: dict[str, Any] = {"period": "this-week", "limit": 10}
    for offset in (0, 10, 20):
        r = get(client, "results/button-feedbacks.json", h, offset=offset, **params)
        more = offset + 10 < 30
        assert r.headers["X-More-Available"] == ("true" if more else "false")
        assert ("Link" in r.headers) is more
        if more:
            assert f"offset={offset + 10}" in r.headers["Link"] and r.headers["Link"].endswith('rel="next"')
        seen += r.json()
    assert len({d["feedbackId"] for d in seen}) == len(seen) == 30
    assert [d["localTime"] for d in seen] == sorted(d["localTime"] for d in seen)
    everything = get(client, "results/button-feedbacks.json", h, period="this-week", order="desc").json()
    assert [d["feedbackId"] for d in everything] == [d["feedbackId"] for d in reversed(seen)]
    with_misuse = get(client, "results/button-feedbacks.json", h, period="this-week", includeMisuse="true").json()
    assert [d["misuse"] for d in with_misuse].count(True) == 1 and len(with_misuse) == 31
    empty = get(client, "results/button-feedbacks.json", h, period="this-week", limit=0)
    assert empty.json() == [] and empty.headers["X-More-Available"] == "true"


def test_survey_filter_and_stable_ids(mixed: Store, client: TestClient) -> None:
    """surveyId and experiencePointId narrow the answer; ids are the same on every call."""
    h = hon(mixed)
    five = get(client, "results/button-feedbacks.json", h, surveyId=502, period="2026").json()
    assert {d["surveyId"] for d in five} == {502} and len(five) == 4
    upp = get(client, "results/button-feedbacks.json", h, experiencePointId=1003, period="2026").json()
    assert {d["smileyId"] for d in upp} == {9003, stable_id("kiosk", "upp-1")}
    again = get(client, "results/button-feedbacks.json", h, experiencePointId=1003, period="2026").json()
    assert again == upp


@pytest.mark.parametrize(
    ("period", "today", "first", "after"),
    [
        ("last-week", date(2026, 4, 13), date(2026, 4, 6), date(2026, 4, 13)),  # on a Monday: the week before
        ("last-week", date(2026, 4, 12), date(2026, 3, 30), date(2026, 4, 6)),  # on a Sunday
        ("this-week", date(2026, 1, 1), date(2025, 12, 29), date(2026, 1, 5)),  # across the new year
        ("last-month", date(2026, 1, 15), date(2025, 12, 1), date(2026, 1, 1)),
        ("this-month", date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1)),
        ("last-year", date(2026, 6, 1), date(2025, 1, 1), date(2026, 1, 1)),
        ("2026-q1", date(2026, 6, 1), date(2026, 1, 1), date(2026, 4, 1)),
        ("2026-q4", date(2026, 6, 1), date(2026, 10, 1), date(2027, 1, 1)),
        ("2024-02", date(2026, 6, 1), date(2024, 2, 1), date(2024, 3, 1)),
        ("2025", date(2026, 6, 1), date(2025, 1, 1), date(2026, 1, 1)),
    ],
)
def test_period_values_are_their_calendar_spans(period: str, today: date, first: date, after: date) -> None:
    """Each period value is the span HappyOrNot means: weeks from Monday, months, quarters, years (end exclusive)."""
    assert period_days(period, today) == (first, after)

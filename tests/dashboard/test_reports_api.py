"""Report API numbers on a real SQLite store fed through the ledger: totals, index, CI, heatmap, DST, misuse."""

from __future__ import annotations

from fastapi.testclient import TestClient
from pydantic import BaseModel

from feedback.scores import intervals_overlap, score
from hub.reports.scoring import MIN_RESPONSES
from tests.dashboard.conftest import NOW_MS, Store, bearer, get_json, local_ms
from tests.postgres import both_engines, sql_of

pytestmark = both_engines


def test_overview_totals_index_and_ci_match_the_ingested_faces(store: Store, client: TestClient) -> None:
    """Overview per location equals the score of exactly the faces ingested in the range, with change vs before."""
    store.faces("sto-1", "2026-04-08", [10, 20, 30, 40])
    store.faces("sto-2", "2026-04-09", [5, 0, 5, 10], hour=17)
    store.faces("sto-1", "2026-04-01", [20, 20, 10, 10])  # previous 7-day period
    store.faces("upp-1", "2026-04-10", [1, 1, 1, 2])
    body = get_json(client, "/api/overview", bearer(store, "admin"), range="last_7_days")
    assert body["period"] == {
        "preset": "last_7_days",
        "from": "2026-04-04",
        "to": "2026-04-10",
        "previous_from": "2026-03-28",
        "previous_to": "2026-04-03",
        "is_partial": True,
        "is_future": False,
        "year_ago_from": "2025-04-04",
        "year_ago_to": "2025-04-10",
    }
    rows = {r["id"]: r for r in body["locations"]}
    assert set(rows) == {"sto", "upp", "gbg", "nyc"}
    expected = score({4: [15, 20, 35, 50]})
    sto = rows["sto"]
    assert (sto["total"], sto["happy_index"], sto["pct_positive"]) == (120, expected.happy_index, expected.pct_positive)
    assert sto["ci95"] == [expected.ci_low, expected.ci_high]
    assert sto["counts"] == [15, 20, 35, 50] and sto["is_low_n"] is False
    before = score({4: [20, 20, 10, 10]})
    assert sto["previous"]["happy_index"] == before.happy_index
    assert sto["change_index"] == round(expected.happy_index - before.happy_index, 1)  # type: ignore[operator]
    assert rows["upp"]["total"] == 5 and rows["upp"]["is_low_n"] is True
    assert rows["gbg"]["total"] == 0 and rows["gbg"]["happy_index"] is None
    assert body["all"]["total"] == 125 and body["min_n"] == MIN_RESPONSES


def test_presets_resolve_in_local_days(store: Store, client: TestClient) -> None:
    """Each preset resolves against local today (Friday 2026-04-10); custom ranges need both ends."""
    h = bearer(store, "admin")
    expect = {
        "today": ("2026-04-10", "2026-04-10"),
        "yesterday": ("2026-04-09", "2026-04-09"),
        "last_30_days": ("2026-03-12", "2026-04-10"),
        "this_month": ("2026-04-01", "2026-04-10"),
        "last_month": ("2026-03-01", "2026-03-31"),
    }
    for preset, (first, last) in expect.items():
        period = get_json(client, "/api/overview", h, range=preset)["period"]
        assert (period["from"], period["to"]) == (first, last), preset
    period = get_json(client, "/api/overview", h, **{"from": "2026-02-01", "to": "2026-02-28"})["period"]
    assert period["preset"] == "custom" and period["previous_from"] == "2026-01-04"


def test_location_report_heatmap_trend_kiosks_and_reasons(store: Store, client: TestClient) -> None:
    """The location report buckets by local weekday/hour, lists kiosks and reasons of unhappy answers only."""
    store.faces("sto-1", "2026-04-06", [2, 0, 0, 3], hour=9)  # Monday 09
    store.faces("sto-2", "2026-04-04", [0, 1, 0, 1], hour=18)  # Saturday 18
    store.ingest("sto-1", [(local_ms("2026-04-07 13:10"), 0), (local_ms("2026-04-07 13:20"), 1)], reason="queue")
    store.ingest("sto-1", [(local_ms("2026-04-07 13:30"), 0)], reason="staff")
    store.ingest("sto-1", [(local_ms("2026-04-07 13:40"), 3)], reason="queue")  # happy: not a complaint
    body = get_json(client, "/api/locations/sto/report", bearer(store, "admin"), range="last_7_days")
    cells = {(c["weekday"], c["hour"]): c for c in body["heatmap"]}
    assert set(cells) == {(1, 9), (6, 18), (2, 13)}
    assert cells[(1, 9)]["total"] == 5 and cells[(1, 9)]["happy_index"] == score({4: [2, 0, 0, 3]}).happy_index
    assert cells[(6, 18)]["total"] == 2
    kiosks = {k["id"]: k for k in body["kiosks"]}
    assert kiosks["sto-1"]["total"] == 9 and kiosks["sto-2"]["total"] == 2
    reasons = body["reasons"]
    assert reasons["reasons"][0] == {"reason": "queue", "n": 2, "pct": round(200 / 3, 1)}
    assert [r["reason"] for r in reasons["reasons"]] == ["queue", "staff"]
    assert reasons["unhappy_answers"] == 2 + 1 + 3  # faces 0-1: Monday 2, Saturday 1, Tuesday 3
    days = {p["period"]: p["total"] for p in body["trend"]}
    assert days == {"2026-04-04": 2, "2026-04-06": 5, "2026-04-07": 4}
    weeks = get_json(
        client, "/api/locations/sto/report", bearer(store, "admin"), range="last_7_days", granularity="week"
    )["trend"]
    assert {p["period"]: p["total"] for p in weeks} == {"2026-W14": 2, "2026-W15": 9}


def test_dst_spring_forward_late_evening_and_after_midnight_are_different_days(
    store: Store, client: TestClient
) -> None:
    """23:30 local on 2026-03-28 and 00:30 on 2026-03-29 (Stockholm) count for their own local days and hours."""
    store.ingest(
        "sto-1",
        [(local_ms("2026-03-28 23:30"), 3), (local_ms("2026-03-29 00:30"), 0), (local_ms("2026-03-29 03:30"), 2)],
    )  # 02:00-03:00 does not exist that night
    h = bearer(store, "admin")
    body = get_json(client, "/api/locations/sto/report", h, **{"from": "2026-03-28", "to": "2026-03-29"})
    assert {p["period"]: p["total"] for p in body["trend"]} == {"2026-03-28": 1, "2026-03-29": 2}
    assert {(c["weekday"], c["hour"]) for c in body["heatmap"]} == {(6, 23), (7, 0), (7, 3)}
    one_day = get_json(client, "/api/locations/sto/summary", h, **{"from": "2026-03-29", "to": "2026-03-29"})
    assert one_day["total"] == 2 and one_day["counts"] == [1, 0, 1, 0]


def test_dst_fall_back_day_has_25_hours_and_keeps_its_edges(store: Store, client: TestClient) -> None:
    """Around 2026-10-25 both 02:30s fall on that day and hour 2; 23:30 the evening before stays on the 24th."""
    store.ingest(
        "gbg-1",
        [
            (local_ms("2026-10-24 23:30"), 3),
            (local_ms("2026-10-25 00:30"), 1),
            (local_ms("2026-10-25 02:30", fold=0), 2),
            (local_ms("2026-10-25 02:30", fold=1), 2),
            (local_ms("2026-10-25 23:59"), 0),
        ],
        received_ms=local_ms("2026-10-26 09:00"),
    )
    h = bearer(store, "admin")
    body = get_json(client, "/api/locations/gbg/report", h, **{"from": "2026-10-24", "to": "2026-10-25"})
    assert {p["period"]: p["total"] for p in body["trend"]} == {"2026-10-24": 1, "2026-10-25": 4}
    cells = {(c["weekday"], c["hour"]): c["total"] for c in body["heatmap"]}
    assert cells == {(6, 23): 1, (7, 0): 1, (7, 2): 2, (7, 23): 1}


def test_location_in_another_zone_uses_its_own_local_day(store: Store, client: TestClient) -> None:
    """A New York tap at 21:00 local on the 9th is 01:00 UTC on the 10th but counts for the 9th there."""
    from zoneinfo import ZoneInfo

    store.ingest("nyc-1", [(local_ms("2026-04-09 21:00", ZoneInfo("America/New_York")), 3)])
    body = get_json(
        client, "/api/locations/nyc/report", bearer(store, "admin"), **{"from": "2026-04-09", "to": "2026-04-09"}
    )
    assert body["summary"]["total"] == 1 and body["heatmap"] == [
        {"weekday": 4, "hour": 21, "total": 1, "happy_index": 100.0, "is_thin": True}
    ]


def test_misuse_is_excluded_by_default_and_counted_with_the_toggle(store: Store, client: TestClient) -> None:
    """Taps flagged as misuse leave every number unless include_misuse=true, and the report says how many."""
    store.faces("sto-1", "2026-04-08", [0, 0, 10, 10])  # 12:00-12:19, a minute apart
    # 7 taps a second apart right after the last: the hub's own 5 s rule flags them (as did the kiosk)
    store.ingest("sto-1", [(local_ms("2026-04-08 12:19:01") + i * 1000, 0) for i in range(7)], misuse=True)
    h = bearer(store, "admin")
    default = get_json(client, "/api/locations/sto/report", h, range="last_7_days")["summary"]
    included = get_json(client, "/api/locations/sto/report", h, range="last_7_days", include_misuse="true")["summary"]
    assert (default["total"], default["misuse_excluded"]) == (20, 7)
    assert included["total"] == 27 and included["counts"] == [7, 0, 10, 10]
    assert default["happy_index"] > included["happy_index"]
    over = {r["id"]: r for r in get_json(client, "/api/overview", h, range="last_7_days")["locations"]}
    assert over["sto"]["total"] == 20 and over["sto"]["misuse_excluded"] == 7
    heat = get_json(client, "/api/locations/sto/report", h, range="last_7_days")["heatmap"]
    assert {c["hour"] for c in heat} == {12}


def test_compare_ranks_by_index_marks_overlaps_and_leaves_few_answers_unranked(
    store: Store, client: TestClient
) -> None:
    """Compare ranks locations with enough answers, marks overlapping intervals and lists small ones last."""
    store.faces("sto-1", "2026-04-08", [5, 5, 20, 70])
    store.faces("upp-1", "2026-04-08", [6, 5, 19, 70])
    store.faces("gbg-1", "2026-04-08", [50, 30, 15, 5])
    store.faces("nyc-1", "2026-04-08", [1, 0, 0, 3], hour=16)
    body = get_json(client, "/api/compare", bearer(store, "admin"), range="last_7_days")
    rows = body["locations"]
    assert [(r["rank"], r["id"]) for r in rows] == [(1, "sto"), (2, "upp"), (3, "gbg"), (None, "nyc")]
    s = {k: score({4: c}) for k, c in {"sto": [5, 5, 20, 70], "upp": [6, 5, 19, 70], "gbg": [50, 30, 15, 5]}.items()}
    assert rows[0]["overlaps_next"] is intervals_overlap(s["sto"], s["upp"]) is True
    assert rows[1]["overlaps_next"] is intervals_overlap(s["upp"], s["gbg"]) is False
    assert rows[2]["overlaps_next"] is None and rows[3]["is_low_n"] is True
    assert rows[0]["ci95"] == [s["sto"].ci_low, s["sto"].ci_high]
    only_east = get_json(client, "/api/compare", bearer(store, "admin"), range="last_7_days", region="east")
    assert [r["id"] for r in only_east["locations"]] == ["sto", "upp"]


def test_fleet_shows_state_backlog_version_and_clock_skew(store: Store, client: TestClient) -> None:
    """Fleet rows come from the kiosks' status messages; silent or offline kiosks are listed first."""
    from feedback import protocol as p

    store.db.ledger.store_status(
        "sto-1",
        p.Status(
            "online",
            version="1.2.3",
            pending=42,
            boot_id="b1",
            mono_ms=5000,
            clock_ms=NOW_MS - 60_000 + 3_000,
            kind="heartbeat",
        ),
        received_ms=NOW_MS - 60_000,
        is_retained=False,
    )
    store.db.ledger.store_status(
        "sto-2", p.Status("offline", kind="will"), received_ms=NOW_MS - 3_600_000, is_retained=False
    )
    store.db.ledger.store_status(
        "upp-1",
        p.Status("online", version="1.2.2", pending=0),
        received_ms=NOW_MS - 3_600_000,
        is_retained=False,
    )  # online once, silent since
    body = get_json(client, "/api/fleet", bearer(store, "admin"))
    rows = {k["id"]: k for k in body["kiosks"]}
    assert rows["sto-1"]["state"] == "online" and rows["sto-1"]["backlog"] == 42
    assert rows["sto-1"]["version"] == "1.2.3" and rows["sto-1"]["clock_skew_ms"] == 3_000
    assert rows["sto-1"]["last_seen_age_s"] == 60
    assert rows["sto-2"]["state"] == "offline" and rows["upp-1"]["state"] == "offline"
    assert rows["gbg-1"]["state"] == "never"
    assert body["online"] == 1 and body["offline"] == 4
    assert body["kiosks"][-1]["id"] == "sto-1"  # online last; offline stand out at the top


def test_daily_rollup_matches_hourly_after_ingest_and_is_rebuilt_for_an_old_database(store: Store) -> None:
    """The trigger-kept daily rollup sums to the hourly one, and a SQLite database without it gets it on open
    (a PostgreSQL one was born with it)."""
    from hub.store import open_store

    store.faces("sto-1", "2026-04-08", [3, 1, 4, 1])
    store.faces("sto-2", "2026-04-08", [5, 9, 2, 6])  # same store, day and hour, another kiosk: upserts
    store.faces("gbg-1", "2026-04-09", [0, 0, 0, 0, 7], scale=5)

    def sums() -> list[tuple[object, ...]]:
        return store.sql.execute(
            "SELECT h.location_id, h.local_day, h.scale, h.misuse, h.n, d.f0 + d.f1 + d.f2 + d.f3 + d.f4 FROM"
            " (SELECT location_id, local_day, scale, misuse, sum(n) AS n FROM rollup_hourly GROUP BY 1, 2, 3, 4) h"
            " JOIN rollup_daily d USING (location_id, local_day, scale, misuse) ORDER BY 1, 2"
        ).fetchall()

    rows = sums()
    assert [r[4] for r in rows] == [7, 31] and all(r[4] == r[5] for r in rows)
    if store.database is not None:
        return  # the migration half below is SQLite's (PostgreSQL's migration 1 has the daily rollup)
    store.sql.execute("DELETE FROM rollup_daily")
    store.sql.execute("PRAGMA user_version = 1")  # as a database from before the daily rollup was
    reopened = open_store(store.data_dir / "hub.db")
    assert sql_of(reopened).execute("SELECT sum(f0 + f1 + f2 + f3 + f4) FROM rollup_daily").fetchone()[0] == 38


def test_fleet_keeps_backlog_and_version_from_the_last_online_status_after_the_will(
    store: Store, client: TestClient
) -> None:
    """A kiosk that went offline still shows the backlog and version it reported while online."""
    from feedback import protocol as p

    store.db.ledger.store_status(
        "gbg-1",
        p.Status("online", version="2.0.0", pending=17),
        received_ms=NOW_MS - 9_000,
        is_retained=False,
    )
    store.db.ledger.store_status(
        "gbg-1", p.Status("offline", kind="will"), received_ms=NOW_MS - 5_000, is_retained=False
    )
    row = next(k for k in get_json(client, "/api/fleet", bearer(store, "admin"))["kiosks"] if k["id"] == "gbg-1")
    assert (row["state"], row["version"], row["backlog"], row["last_seen_age_s"]) == ("offline", "2.0.0", 17, 5)


def test_heatmap_hours_fall_back_to_the_kiosks_remote_opening_hours(store: Store, client: TestClient) -> None:
    """Without hours of its own a store shows its kiosks' configured opening hours (unnamed days: open)."""
    from hub.fleet.settings import RemoteSettings

    RemoteSettings(store.db).set(
        "location",
        "gbg",
        changes={"opening_hours": {"mon": "08:00-20:30", "sat": "10:00-16:00", "sun": "closed"}},
        now_ms=NOW_MS,
    )
    hours = get_json(client, "/api/locations/gbg/report", bearer(store, "admin"))["location"]["opening_hours"]
    assert hours["1"] == [8, 21] and hours["6"] == [10, 16] and hours["7"] is None and hours["2"] == [0, 24]
    store.registry.set_location_details("gbg", opening_hours_json='{"1": [9, 17]}')
    own = get_json(client, "/api/locations/gbg/report", bearer(store, "admin"))["location"]["opening_hours"]
    assert own == {"1": [9, 17]}


def test_range_counts_from_the_cumulative_rollup_equal_the_raw_taps_for_any_range(
    store: Store, client: TestClient
) -> None:
    """Late and out-of-order days, upserts, misuse and a recompute: every range's counts equal the raw table's."""
    import random
    from datetime import date, timedelta

    rng = random.Random(5)
    days = [date(2026, 3, 1) + timedelta(days=rng.randrange(40)) for _ in range(25)]  # arrival order is random
    for i, day in enumerate(days):
        store.faces(
            "sto-1" if i % 2 else "sto-2", day.isoformat(), [rng.randrange(4) for _ in range(4)], hour=8 + i % 12
        )
        store.ingest("upp-1", [(local_ms(f"{day} 10:00") + k * 2000, rng.randrange(4)) for k in range(3)], misuse=True)
    store.faces("gbg-1", "2026-03-10", [0, 0, 0, 0, 3], scale=5)
    h = bearer(store, "admin")
    assert (
        client.put("/api/locations/upp/response-interval", json={"response_interval_s": 1}, headers=h).status_code
        == 200
    )  # 2 s apart: no longer misuse
    for _ in range(12):
        first = date(2026, 2, 25) + timedelta(days=rng.randrange(50))
        last = first + timedelta(days=rng.randrange(20))
        body = get_json(client, "/api/overview", h, **{"from": first.isoformat(), "to": last.isoformat()})
        prev_first, prev_last = body["period"]["previous_from"], body["period"]["previous_to"]
        for row in body["locations"]:

            def raw(a: str, b: str, loc: str = row["id"]) -> list[tuple[int, int, int]]:
                return store.sql.execute(
                    "SELECT scale, face, count(*) FROM ratings WHERE location_id = ? AND local_day BETWEEN ? AND ?"
                    " AND misuse = 0 GROUP BY 1, 2",
                    (loc, a, b),
                ).fetchall()

            now = raw(first.isoformat(), last.isoformat())
            assert row["total"] == sum(n for _, _, n in now), (row["id"], first, last)
            assert row["counts"] == [sum(n for _, f, n in now if f == face) for face in range(row["scale"] or 0)]
            assert row["previous"]["total"] == sum(n for _, _, n in raw(prev_first, prev_last))


def test_csv_exports_stream_every_row_with_local_times_and_defused_formulas(store: Store, client: TestClient) -> None:
    """ratings.csv has one line per tap (misuse included unless left out) with local and UTC times; daily.csv sums
    to the overview."""
    import csv
    import io

    store.faces("sto-1", "2026-04-08", [2, 0, 1, 3], hour=23)
    store.ingest("sto-2", [(local_ms("2026-04-09 08:15"), 0)], reason='=HYPERLINK("http://x")')
    store.ingest("sto-2", [(local_ms("2026-04-09 08:15") + 1000, 0)], misuse=True)
    store.faces("gbg-1", "2026-04-09", [0, 0, 0, 4])
    h = bearer(store, "admin")
    r = client.get("/api/exports/ratings.csv", params={"range": "last_7_days", "location": "sto"}, headers=h)
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 8 and {x["location_id"] for x in rows} == {"sto"}
    late = next(x for x in rows if x["kiosk_id"] == "sto-1")
    assert late["local_day"] == "2026-04-08" and late["local_time"].startswith("2026-04-08T23:00:00+02:00")
    assert late["utc_time"].startswith("2026-04-08T21:00:00")
    assert next(x for x in rows if x["kiosk_id"] == "sto-2")["reason"] == '\'=HYPERLINK("http://x")'
    without_misuse = client.get(
        "/api/exports/ratings.csv",
        params={"range": "last_7_days", "location": "sto", "include_misuse": "false"},
        headers=h,
    ).content.decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(without_misuse)))) == 7
    daily_text = client.get("/api/exports/daily.csv", params={"range": "last_7_days"}, headers=h).content
    daily = list(csv.DictReader(io.StringIO(daily_text.decode("utf-8-sig"))))
    overview = {x["id"]: x["total"] for x in get_json(client, "/api/overview", h)["locations"]}
    for loc in ("sto", "gbg"):
        assert sum(int(x["responses"]) for x in daily if x["location_id"] == loc) == overview[loc]
    sto_9th = next(x for x in daily if x["location_id"] == "sto" and x["local_day"] == "2026-04-09")
    assert [sto_9th[k] for k in ("responses", "face_0", "misuse_excluded", "face_4")] == ["1", "1", "1", ""]


def test_responses_match_the_shapes_the_openapi_document_promises(store: Store, client: TestClient) -> None:
    """Real overview, compare, report and fleet documents validate against the models /docs shows."""
    from hub.api import models as api_models

    store.faces("sto-1", "2026-04-08", [1, 2, 3, 4])
    store.faces("gbg-1", "2026-04-08", [0, 0, 0, 0, 2], scale=5)
    store.ingest("sto-2", [(local_ms("2026-04-08 09:00"), 0)], reason="queue")
    h = bearer(store, "admin")
    cases: list[tuple[str, type[BaseModel]]] = [
        ("/api/overview", api_models.Overview),
        ("/api/compare", api_models.Compare),
        ("/api/locations/sto/report", api_models.Report),
        ("/api/locations/gbg/report", api_models.Report),
        ("/api/fleet", api_models.Fleet),
    ]
    spec = client.get("/openapi.json").json()
    for path, model in cases:
        model.model_validate(get_json(client, path, h))
        op = spec["paths"][path.replace("/sto/", "/{location_id}/").replace("/gbg/", "/{location_id}/")]["get"]
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/" + model.__name__)

"""Answers given outside a store's opening hours (issue 11): flagged, left out of every report by default and
counted back with ``include_closed``, never deleted; re-judged when the hours change; the CSV exports for Nordic
Excel (BOM, semicolon variant, store names, face labels, flag columns)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter

from fastapi.testclient import TestClient

from hub.reports.flags import counted
from hub.reports.opening_hours import checked_exceptions, opening_hours_json
from hub.store import open_store
from tests.dashboard.conftest import Store, bearer, get_json, local_ms
from tests.postgres import both_engines

pytestmark = both_engines

DAY = "2026-04-08"  # a Wednesday; the fixed clock says Friday 2026-04-10
RANGE = {"from": DAY, "to": DAY}


def _open_8_to_21(store: Store) -> None:
    store.registry.set_location_hours("sto", week_json=opening_hours_json("mon-sun 8-21"))


def _taps(store: Store) -> None:
    """Three answers in opening hours and two outside them (07:30 and 21:10), all at Stockholm City."""
    store.ingest("sto-1", [(local_ms(f"{DAY} 07:30"), 0), (local_ms(f"{DAY} 21:10"), 0)])
    store.ingest("sto-2", [(local_ms(f"{DAY} {h:02d}:00"), 3) for h in (9, 12, 15)])


def _recount(store: Store, location_id: str, *, include_misuse: bool, include_closed: bool) -> Counter[int]:
    """Faces counted from the raw ratings (the oracle the rollups must agree with)."""
    rows = store.sql.execute(
        "SELECT face, misuse, closed FROM ratings WHERE location_id = ? AND local_day = ?", (location_id, DAY)
    ).fetchall()
    keep = counted(include_misuse=include_misuse, include_closed=include_closed)
    return Counter(face for face, misuse, closed in rows if misuse + 2 * closed in keep)


def test_answers_outside_opening_hours_are_left_out_by_default_and_counted_back_on_request(
    store: Store, client: TestClient
) -> None:
    """With hours 8-21, the 07:30 and 21:10 answers are left out of the store page, overview, compare and
    summary (and said so), and counted again with include_closed=true."""
    _open_8_to_21(store)
    _taps(store)
    h = bearer(store, "admin")
    page = get_json(client, "/api/locations/sto/report", h, **RANGE)
    assert page["summary"]["total"] == 3
    assert page["summary"]["closed_excluded"] == 2
    assert page["summary"]["happy_index"] == 100.0
    assert sum(c["total"] for c in page["heatmap"]) == 3
    everything = get_json(client, "/api/locations/sto/report", h, include_closed="true", **RANGE)
    assert everything["summary"]["total"] == 5
    assert everything["summary"]["closed_excluded"] == 0
    assert {(c["weekday"], c["hour"]) for c in everything["heatmap"]} >= {(3, 7), (3, 21)}
    row = next(r for r in get_json(client, "/api/overview", h, **RANGE)["locations"] if r["id"] == "sto")
    assert (row["total"], row["closed_excluded"]) == (3, 2)
    ranked = get_json(client, "/api/compare", h, include_closed="true", **RANGE)["locations"]
    assert next(r for r in ranked if r["id"] == "sto")["total"] == 5
    summary = get_json(client, "/api/locations/sto/summary", h, **RANGE)
    assert (summary["total"], summary["closed_excluded"]) == (3, 2)
    assert _recount(store, "sto", include_misuse=False, include_closed=False) == Counter({3: 3})
    one = get_json(client, "/api/locations/sto/report", h, question="visit", **RANGE)  # narrowed to a question
    assert (one["summary"]["total"], one["summary"]["closed_excluded"]) == (3, 2)
    assert get_json(client, "/api/overview", h, question="visit", include_closed="true", **RANGE)["all"]["total"] == 5


def test_new_opening_hours_rejudge_the_stored_answers_and_the_rollups_follow(store: Store, client: TestClient) -> None:
    """Answers stored before any hours were set count; setting hours through the API flags those outside them,
    widening the hours unflags them again, and the rollups always agree with a recount from the raw ratings."""
    _taps(store)
    h = bearer(store, "admin")
    assert get_json(client, "/api/locations/sto/report", h, **RANGE)["summary"]["total"] == 5
    r = client.patch("/api/locations/sto", headers=h, json={"opening_hours": {d: [8, 21] for d in _DAYS}})
    assert r.status_code == 200, r.text
    assert get_json(client, "/api/locations/sto/report", h, **RANGE)["summary"]["total"] == 3
    for include_closed in (False, True):
        got = get_json(client, "/api/locations/sto/report", h, include_closed=str(include_closed).lower(), **RANGE)
        oracle = _recount(store, "sto", include_misuse=False, include_closed=include_closed)
        assert got["summary"]["counts"] == [oracle[f] for f in range(4)]
    r = client.patch("/api/locations/sto", headers=h, json={"opening_hours": {d: [7, 22] for d in _DAYS}})
    assert r.status_code == 200, r.text
    assert get_json(client, "/api/locations/sto/report", h, **RANGE)["summary"]["total"] == 5


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_a_dated_exception_closes_the_whole_day(store: Store, client: TestClient) -> None:
    """A holiday closed all day flags every answer of that day, and only that day."""
    _open_8_to_21(store)
    _taps(store)
    store.faces("sto-1", "2026-04-09", [0, 0, 0, 4])
    exceptions = checked_exceptions([{"date": DAY, "hours": None, "note": "Inventory"}])
    store.registry.set_location_hours("sto", exceptions_json=json.dumps(exceptions))
    h = bearer(store, "admin")
    assert get_json(client, "/api/locations/sto/report", h, **RANGE)["summary"]["total"] == 0
    next_day = get_json(client, "/api/locations/sto/report", h, **{"from": "2026-04-09", "to": "2026-04-09"})
    assert next_day["summary"]["total"] == 4


def test_kiosk_settings_hours_judge_a_store_without_its_own(store: Store, client: TestClient) -> None:
    """A store with no opening hours of its own is judged by the hours its kiosks' settings carry (what a kiosk's
    closed screen follows), to the minute."""
    from hub.fleet.settings import RemoteSettings

    hours = {d: "08:30-20:45" for d in _DAYS}
    RemoteSettings(store.db).set("location", "sto", changes={"opening_hours": hours}, now_ms=0)
    store.ingest("sto-1", [(local_ms(f"{DAY} 08:20"), 0), (local_ms(f"{DAY} 08:40"), 3), (local_ms(f"{DAY} 20:50"), 0)])
    h = bearer(store, "admin")
    page = get_json(client, "/api/locations/sto/report", h, **RANGE)
    assert (page["summary"]["total"], page["summary"]["closed_excluded"]) == (1, 2)


def test_a_hub_upgraded_from_before_the_flag_judges_its_stored_answers(store: Store) -> None:
    """Opening a SQLite database at schema version 11 (no answer flagged yet) flags the answers outside the hours
    (PostgreSQL databases were born with the flag: there the stored answers are flagged already)."""
    _open_8_to_21(store)
    _taps(store)
    assert store.db.reads.closed_count("sto", _day(DAY), _day(DAY), include_misuse=False) == 2
    if store.database is not None:
        return
    store.db.close()
    conn = sqlite3.connect(store.data_dir / "hub.db", isolation_level=None)
    conn.execute("UPDATE ratings SET closed = 0")
    conn.execute("UPDATE rollup_hourly SET misuse = misuse & 1 WHERE misuse & 2")  # as an old hub counted them
    conn.execute("PRAGMA user_version = 11")
    conn.close()
    with open_store(store.data_dir / "hub.db") as db:
        assert db.reads.closed_count("sto", _day(DAY), _day(DAY), include_misuse=False) == 2
        got = db.reads.counts_by_scale(["sto"], _day(DAY), _day(DAY), include_misuse=False)
        assert got == {4: [0, 0, 0, 3]}


def _day(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(text)


def test_csv_exports_open_in_nordic_excel_with_names_labels_and_flags(store: Store, client: TestClient) -> None:
    """ratings.csv starts with a BOM, has a semicolon variant a ';' parser reads into the same columns, names the
    store (Göteborg intact) and the face in the page's language, and shows flagged answers with their flags
    (misuse is not always 0); daily.csv counts what the reports count, with a decimal comma under ';'."""
    _open_8_to_21(store)
    _taps(store)
    store.ingest("gbg-1", [(local_ms(f"{DAY} 12:00"), 2), (local_ms(f"{DAY} 12:00") + 500, 2)])  # 2nd: misuse
    h = bearer(store, "admin")
    raw = client.get("/api/exports/ratings.csv", headers=h, params=RANGE)
    assert raw.status_code == 200
    assert raw.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert len(rows) == 7  # flagged answers are in the raw export
    assert {r["location_name"] for r in rows} == {"Stockholm City", "Göteborg"}
    assert sorted(r["outside_opening_hours"] for r in rows if r["location_id"] == "sto") == ["0", "0", "0", "1", "1"]
    assert sorted(r["misuse"] for r in rows if r["location_id"] == "gbg") == ["0", "1"]
    assert {r["face_label"] for r in rows if r["face"] == "3"} == {"Very happy"}
    semi = client.get("/api/exports/ratings.csv", headers=h, params={**RANGE, "separator": "semicolon", "lang": "sv"})
    semi_rows = list(csv.DictReader(io.StringIO(semi.content.decode("utf-8-sig")), delimiter=";"))
    assert [r["seq"] for r in semi_rows] == [r["seq"] for r in rows]
    assert {r["face_label"] for r in semi_rows if r["face"] == "3"} == {"Mycket nöjd"}
    daily = client.get("/api/exports/daily.csv", headers=h, params={**RANGE, "separator": "semicolon"})
    day_rows = {
        r["location_id"]: r for r in csv.DictReader(io.StringIO(daily.content.decode("utf-8-sig")), delimiter=";")
    }
    assert (day_rows["sto"]["responses"], day_rows["sto"]["outside_opening_hours_excluded"]) == ("3", "2")
    assert (day_rows["gbg"]["responses"], day_rows["gbg"]["misuse_excluded"]) == ("1", "1")
    assert day_rows["sto"]["happy_index"] == "100,0"


def test_a_regions_settings_hours_judge_its_stores_and_follow_a_store_moved_out(
    store: Store, client: TestClient
) -> None:
    """Hours set for a region's kiosks flag its stores' after-hours answers; moving the store to another region
    (without hours) judges them again, as open."""
    from hub.fleet.settings import RemoteSettings

    store.ingest("sto-1", [(local_ms(f"{DAY} 06:00"), 0), (local_ms(f"{DAY} 12:00"), 3)])
    RemoteSettings(store.db).set(
        "region", "east", changes={"opening_hours": {d: "08:00-20:00" for d in _DAYS}}, now_ms=0
    )
    h = bearer(store, "admin")
    assert get_json(client, "/api/locations/sto/report", h, **RANGE)["summary"]["closed_excluded"] == 1
    store.registry.set_location_details("sto", region_id="west")
    assert get_json(client, "/api/locations/sto/report", h, **RANGE)["summary"]["closed_excluded"] == 0

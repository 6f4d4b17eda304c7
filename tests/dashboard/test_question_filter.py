"""The question filter wherever a manager reads results: store page kiosks and reasons, overview, compare, CSV
exports, the question picker's list, and the same period last year; refusals for unknown and foreign questions."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from feedback.rating import Rating
from hub.api import models as api_models
from hub.store.records import Incoming
from tests.dashboard.conftest import NOW_MS, Store, bearer, get_json, local_ms
from tests.postgres import both_engines

pytestmark = both_engines


def answer(
    store: Store,
    kiosk_id: str,
    question: str,
    at: str,
    faces: list[int],
    *,
    reasons: list[str | None] | None = None,
    gap_ms: int = 60_000,
    received_ms: int = NOW_MS,
) -> None:
    """Taps of ``faces`` answering ``question`` from local time ``at`` on, ``gap_ms`` apart (1 s: misuse); seqs
    go on from the kiosk's last stored one (call in time order per kiosk, as a kiosk sends them)."""
    t0 = local_ms(at)
    seq0 = 1 + store.db.ops.max_seq(kiosk_id)
    ratings = [
        Rating(
            kiosk_id,
            seq0 + i,
            str(uuid.uuid4()),
            face,
            4,
            question,
            t0 + gap_ms * i,
            "boot-1",
            1000 * (seq0 + i),
            reason=(reasons or [None] * len(faces))[i],
        )
        for i, face in enumerate(faces)
    ]
    out = store.db.ledger.store_batch([Incoming(kiosk_id, received_ms, ratings)], now_ms=received_ms)
    assert out.stored == len(faces)


@pytest.fixture
def asked(store: Store) -> Store:
    """Stockholm asked q1 then q2 (two of q2's taps are misuse), Uppsala q1, Göteborg q3; q1 and q2 a year ago
    (one of q2's taps then misuse).

    In the last 7 days (2026-04-04..10), counted without misuse: q1 at sto 4 answers (one unhappy, reason
    queue), q1 at upp 2; q2 at sto 5 answers, all unhappy (reasons staff 2, queue 1), 2 more flagged as misuse;
    q3 at gbg 3 answers and 1 flagged as misuse.
    """
    answer(store, "sto-1", "q1", "2025-04-07 12:00", [0])  # the same days a year earlier
    answer(store, "sto-1", "q2", "2025-04-08 12:00", [3, 3])
    answer(store, "sto-1", "q2", "2025-04-08 12:01:01", [0])  # 1 s after the last: misuse
    answer(store, "sto-1", "q1", "2026-04-07 12:00", [3, 3, 2, 0], reasons=[None, None, None, "queue"])
    answer(store, "upp-1", "q1", "2026-04-07 12:00", [3, 2])
    answer(store, "sto-2", "q2", "2026-04-08 12:00", [0, 0, 1], reasons=["staff", "staff", None])
    answer(store, "sto-1", "q2", "2026-04-08 14:00", [0], reasons=["queue"])
    answer(store, "sto-1", "q2", "2026-04-08 15:00", [0, 0, 0], gap_ms=1000)  # the last two: misuse
    answer(store, "gbg-1", "q3", "2026-04-09 12:00", [3, 3, 3])
    answer(store, "gbg-1", "q3", "2026-04-09 12:02:01", [0])  # 1 s after the last: misuse
    return store


def report(client: TestClient, store: Store, **params: Any) -> Any:
    return get_json(client, "/api/locations/sto/report", bearer(store, "admin"), range="last_7_days", **params)


def test_store_page_kiosks_and_reasons_follow_the_question(asked: Store, client: TestClient) -> None:
    """With ?question= the per-kiosk table and the follow-up reasons count only that question's answers."""
    every = report(client, asked)
    assert {k["id"]: k["total"] for k in every["kiosks"]} == {"sto-1": 6, "sto-2": 3}
    assert every["reasons"]["unhappy_answers"] == 6
    q2 = report(client, asked, question="q2")
    assert {k["id"]: k["total"] for k in q2["kiosks"]} == {"sto-1": 2, "sto-2": 3}
    assert q2["reasons"]["unhappy_answers"] == 5 and q2["reasons"]["with_reason"] == 3
    assert [(r["reason"], r["n"]) for r in q2["reasons"]["reasons"]] == [("staff", 2), ("queue", 1)]
    q1 = report(client, asked, question="q1")
    assert {k["id"]: k["total"] for k in q1["kiosks"]} == {"sto-1": 4, "sto-2": 0}
    assert [(r["reason"], r["n"]) for r in q1["reasons"]["reasons"]] == [("queue", 1)]
    with_misuse = report(client, asked, question="q2", include_misuse="true")
    assert {k["id"]: k["total"] for k in with_misuse["kiosks"]} == {"sto-1": 4, "sto-2": 3}
    assert with_misuse["reasons"]["unhappy_answers"] == 7


def test_store_page_shows_the_same_days_last_year(asked: Store, client: TestClient) -> None:
    """summary.year_ago holds the same days a year earlier, per question when filtered, with its dates."""
    every = report(client, asked)
    assert (every["period"]["year_ago_from"], every["period"]["year_ago_to"]) == ("2025-04-04", "2025-04-10")
    assert every["summary"]["year_ago"] == {"total": 3, "happy_index": 66.7, "pct_positive": 66.7}
    assert every["summary"]["change_year_index"] == round(every["summary"]["happy_index"] - 66.7, 1)
    q2 = report(client, asked, question="q2")["summary"]
    assert q2["year_ago"] == {"total": 2, "happy_index": 100.0, "pct_positive": 100.0}
    assert q2["change_year_index"] == round(q2["happy_index"] - 100.0, 1)
    with_misuse = report(client, asked, question="q2", include_misuse="true")["summary"]["year_ago"]
    assert (with_misuse["total"], with_misuse["happy_index"]) == (3, 66.7)
    empty = get_json(client, "/api/locations/upp/report", bearer(asked, "admin"), range="last_7_days")["summary"]
    assert empty["year_ago"] == {"total": 0, "happy_index": None, "pct_positive": None}
    assert empty["change_year_index"] is None


def test_overview_narrows_to_one_question_and_says_where_it_was_never_asked(asked: Store, client: TestClient) -> None:
    """Overview per store for one question: its answers only, misuse left out, was_asked false elsewhere."""
    h = bearer(asked, "admin")
    body = get_json(client, "/api/overview", h, range="last_7_days", question="q2")
    rows = {r["id"]: r for r in body["locations"]}
    assert body["question"] == "q2"
    assert (rows["sto"]["total"], rows["sto"]["counts"], rows["sto"]["misuse_excluded"]) == (5, [4, 1, 0, 0], 2)
    assert rows["sto"]["was_asked"] is True
    assert {lid: r["was_asked"] for lid, r in rows.items() if lid != "sto"} == {
        "upp": False,
        "gbg": False,
        "nyc": False,
    }
    assert body["all"]["total"] == 5 and body["all"]["year_ago"]["total"] == 2
    assert {r["id"]: r["total"] for r in body["regions"]} == {"east": 5, "west": 0, None: 0}
    q1 = get_json(client, "/api/overview", h, range="last_7_days", question="q1")
    assert {r["id"]: (r["total"], r["was_asked"]) for r in q1["locations"]} == {
        "sto": (4, True),
        "upp": (2, True),
        "gbg": (0, False),
        "nyc": (0, False),
    }
    pooled = get_json(client, "/api/overview", h, range="last_7_days")
    assert {r["id"]: r["total"] for r in pooled["locations"]}["sto"] == 9
    assert all(r["was_asked"] is None for r in pooled["locations"]) and pooled["question"] is None
    assert (
        get_json(client, "/api/overview", h, range="last_7_days", question="q2", include_misuse="true")["all"]["total"]
        == 7
    )
    api_models.Overview.model_validate(body)


def test_one_question_counts_alike_where_it_was_alone_or_shared(asked: Store, client: TestClient) -> None:
    """A store that got only this question in the period (read from the rollups) and one that got several (read
    from the raw ratings) count its answers and misuse alike; another question's answers never count."""
    h = bearer(asked, "admin")
    for include_misuse, expected in (
        ("false", {"gbg": (3, [0, 0, 0, 3], 1), "sto": (4, [1, 0, 1, 2], 0), "upp": (2, [0, 0, 1, 1], 0)}),
        ("true", {"gbg": (4, [1, 0, 0, 3], 0), "sto": (4, [1, 0, 1, 2], 0), "upp": (2, [0, 0, 1, 1], 0)}),
    ):
        for question in ("q1", "q3"):
            body = get_json(
                client, "/api/overview", h, range="last_7_days", question=question, include_misuse=include_misuse
            )
            got = {r["id"]: (r["total"], r["counts"], r["misuse_excluded"]) for r in body["locations"] if r["total"]}
            assert got == {k: v for k, v in expected.items() if (k == "gbg") == (question == "q3")}


def test_compare_ranks_one_question(asked: Store, client: TestClient) -> None:
    """Compare for one question counts only its answers; stores that never got it say so."""
    body = get_json(client, "/api/compare", bearer(asked, "admin"), range="last_7_days", question="q1")
    rows = {r["id"]: r for r in body["locations"]}
    assert (rows["sto"]["total"], rows["sto"]["happy_index"]) == (4, 66.7)
    assert (rows["upp"]["total"], rows["upp"]["was_asked"]) == (2, True)
    assert (rows["gbg"]["total"], rows["gbg"]["was_asked"], rows["gbg"]["rank"]) == (0, False, None)
    api_models.Compare.model_validate(body)


def _csv(client: TestClient, path: str, h: dict[str, str], **params: Any) -> list[dict[str, str]]:
    r = client.get(path, params={"range": "last_7_days", **params}, headers=h)
    assert r.status_code == 200, r.text[:300]
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_csv_exports_take_the_question(asked: Store, client: TestClient) -> None:
    """ratings.csv and daily.csv with ?question= hold only that question's answers (the raw export with misuse,
    unless left out; the daily one without, as the reports count)."""
    h = bearer(asked, "admin")
    rows = _csv(client, "/api/exports/ratings.csv", h, question="q2", include_misuse="false")
    assert len(rows) == 5 and {r["question"] for r in rows} == {"q2"} and {r["location_id"] for r in rows} == {"sto"}
    assert len(_csv(client, "/api/exports/ratings.csv", h, question="q2")) == 7
    assert len(_csv(client, "/api/exports/ratings.csv", h, include_misuse="false")) == 14
    daily = _csv(client, "/api/exports/daily.csv", h, question="q2", location="sto")
    assert [(d["local_day"], d["responses"], d["face_0"], d["face_1"], d["misuse_excluded"]) for d in daily] == [
        ("2026-04-08", "5", "4", "1", "2")
    ]
    r = client.get("/api/exports/daily.csv", params={"question": "q2"}, headers=h)
    assert 'filename="daily_q2_' in r.headers["content-disposition"]


def test_the_picker_lists_the_questions_asked_at_your_stores(asked: Store, client: TestClient) -> None:
    """GET /api/questions lists the questions answered in the range at the caller's stores, with their days."""
    mine = get_json(client, "/api/questions", bearer(asked, "manager", "anna"), range="last_7_days")["questions"]
    assert [(q["id"], q["first_day"], q["last_day"], q["location_count"]) for q in mine] == [
        ("q1", "2026-04-07", "2026-04-07", 1),
        ("q2", "2026-04-08", "2026-04-08", 1),
    ]
    every = get_json(client, "/api/questions", bearer(asked, "admin"), range="last_7_days")
    assert [(q["id"], q["location_count"]) for q in every["questions"]] == [("q1", 2), ("q2", 1), ("q3", 1)]
    assert get_json(client, "/api/questions", bearer(asked, "admin"), range="today")["questions"] == []
    api_models.AskedQuestions.model_validate(every)


@pytest.mark.parametrize(
    "path",
    [
        "/api/overview",
        "/api/compare",
        "/api/exports/ratings.csv",
        "/api/exports/daily.csv",
        "/api/locations/sto/report",
    ],
)
def test_another_stores_question_is_refused_like_an_unknown_one(asked: Store, client: TestClient, path: str) -> None:
    """A manager naming a question only another store got (or none did) gets 404 naming question, never a 0."""
    anna = bearer(asked, "manager", "anna")
    for question in ("q3", "q9"):
        r = client.get(path, params={"range": "last_7_days", "question": question}, headers=anna)
        assert r.status_code == 404 and "question" in r.json()["detail"] and question in r.json()["detail"]
    assert client.get(path, params={"question": "q2"}, headers=anna).status_code == 200
    if not path.startswith("/api/locations"):
        assert client.get(path, params={"question": "q3"}, headers=bearer(asked, "admin")).status_code == 200
    too_long = client.get(path, params={"question": "q" * 65}, headers=anna)
    assert too_long.status_code == 422 and "question" in too_long.text

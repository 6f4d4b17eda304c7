"""Results per question: texts per language with history, reports filtered by question, a trend split per question."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from feedback.rating import Rating
from hub.app import create_app
from hub.config import HubConfig
from hub.store.records import Incoming
from tests.dashboard.conftest import BASE_URL, NOW_MS, Store, bearer, get_json, local_ms
from tests.postgres import both_engines

pytestmark = both_engines


def answer(store: Store, kiosk_id: str, question: str, day: str, faces: list[int], *, seq0: int) -> None:
    """Store taps of ``faces`` answering ``question`` at noon of a local day, one minute apart."""
    t0 = local_ms(f"{day} 12:00")
    ratings = [
        Rating(kiosk_id, seq0 + i, str(uuid.uuid4()), face, 4, question, t0 + 60_000 * i, "boot-1", 1000 * (seq0 + i))
        for i, face in enumerate(faces)
    ]
    assert store.db.ledger.store_batch([Incoming(kiosk_id, NOW_MS, ratings)], now_ms=NOW_MS).stored == len(faces)


def test_a_change_of_question_splits_the_trend_and_reports_filter_by_question(store: Store, client: TestClient) -> None:
    """Two questions in one week: listed with their days, one trend each, and a filter that counts only one."""
    h = bearer(store, "admin")
    answer(store, "sto-1", "q1", "2026-04-06", [3, 3, 3, 3], seq0=1)  # happy question: index 100
    answer(store, "sto-1", "q2", "2026-04-08", [0, 0, 1], seq0=10)  # a harder question: index 11.1
    report = get_json(client, "/api/locations/sto/report", h, range="last_7_days")
    assert [(q["id"], q["first_day"], q["last_day"], q["total"]) for q in report["questions"]] == [
        ("q1", "2026-04-06", "2026-04-06", 4),
        ("q2", "2026-04-08", "2026-04-08", 3),
    ]
    split = report["trend_by_question"]
    assert {qid: [(p["period"], p["happy_index"]) for p in pts] for qid, pts in split.items()} == {
        "q1": [("2026-04-06", 100.0)],
        "q2": [("2026-04-08", 11.1)],
    }
    assert report["summary"]["total"] == 7
    only = get_json(client, "/api/locations/sto/report", h, range="last_7_days", question="q2")
    assert only["question"] == "q2" and only["summary"]["total"] == 3 and only["summary"]["happy_index"] == 11.1
    assert [p["period"] for p in only["trend"]] == ["2026-04-08"] and only["trend_by_question"] == {}
    assert sum(c["total"] for c in only["heatmap"]) == 3
    earlier = get_json(client, "/api/locations/sto/report", h, range="yesterday", question="q1")
    assert earlier["summary"]["total"] == 0  # asked here, just not in this range
    never = client.get("/api/locations/sto/report", params={"question": "q9"}, headers=h)
    assert never.status_code == 404 and "q9" in never.json()["detail"]


def test_a_question_keeps_its_texts_per_language_with_their_history(store: Store) -> None:
    """Each change of a question's words is kept with the time it started; reports show the latest words."""
    h = bearer(store, "admin")
    clock = [NOW_MS - 3_600_000]
    app = create_app(
        HubConfig(data_dir=store.data_dir, ingest_enabled=False, database=store.database),
        now_ms=lambda: clock[0],
        run_services=False,
    )
    with TestClient(app, base_url=BASE_URL) as client:
        first = {"set": {"question_id": "q2", "questions": {"sv": "Hur var kön?", "en": "How was the queue?"}}}
        assert client.patch("/api/kiosk-settings/all", json=first, headers=h).status_code == 200
        clock[0] += 60_000
        reworded = {"set": {"questions": {"sv": "Hur lång var kön?"}}}
        assert client.patch("/api/kiosk-settings/all", json=reworded, headers=h).status_code == 200
        history = store.db.questions.history()
        assert [(e["language"], e["text"]) for e in history["q2"]] == [
            ("en", "How was the queue?"),
            ("sv", "Hur var kön?"),
            ("sv", "Hur lång var kön?"),
        ]
        answer(store, "sto-1", "q2", "2026-04-08", [2, 3], seq0=1)
        (q,) = get_json(client, "/api/locations/sto/report", h)["questions"]
        assert q["texts"] == {"en": "How was the queue?", "sv": "Hur lång var kön?"} and len(q["history"]) == 3
        assert [e["since_ms"] for e in q["history"]] == [NOW_MS - 3_600_000] * 2 + [NOW_MS - 3_540_000]


def test_a_single_question_leaves_the_trend_whole(store: Store, client: TestClient) -> None:
    """With one question in the range nothing is split: the existing trend is the question's trend."""
    store.faces("sto-1", "2026-04-08", [1, 2, 3, 4])
    report = get_json(client, "/api/locations/sto/report", bearer(store, "admin"))
    assert [q["id"] for q in report["questions"]] == ["visit"] and report["trend_by_question"] == {}

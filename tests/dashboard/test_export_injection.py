"""CSV exports stay inert in spreadsheets that split on ``;`` (Nordic Excel) as well as on ``,``."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from feedback import protocol as p
from hub.api.csv_text import csv_field, safe_cell
from tests.dashboard.conftest import Store, bearer, local_ms
from tests.postgres import both_engines

pytestmark = both_engines

FORMULA = ("=", "+", "-", "@")
HOSTILE_REASONS = ["x;=cmd|' /C calc'!A0;", "ok,=1+1", "; @SUM(A1)", "-2+3;+4", '"=HYPERLINK(""x"")']


def _cells(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) for cell in row]


def _formula_cells(text: str) -> list[str]:
    """Cells a spreadsheet would evaluate, read with ``;`` (Swedish Excel), with ``,``, and line by line."""
    cells = _cells(text, ";") + _cells(text, ",")
    for line in text.replace("\r", "\n").split("\n"):  # a parser that sees no quotes at all
        cells += [c for part in line.split(";") for c in part.split(",")]
    return [c for c in cells if c.strip().lstrip('"').strip().startswith(FORMULA)]


def test_a_semicolon_parser_never_sees_a_formula_cell(store: Store, client: TestClient) -> None:
    """Hostile reasons from a kiosk and a hostile store name never become formula cells under ``;`` or ``,``."""
    store.registry.add_location("evil", name="Shop;=1+1\r\n=2+2,@x", timezone="Europe/Stockholm", now_ms=0)
    store.location("sto2", "Plain", kiosks=("k-evil",))
    t = local_ms("2026-04-09 10:00")
    for i, reason in enumerate(HOSTILE_REASONS):
        store.ingest("k-evil", [(t + i * 60_000, 0)], reason=reason)
    h = bearer(store, "admin")
    ratings = client.get("/api/exports/ratings.csv", params={"range": "last_7_days", "location": "sto2"}, headers=h)
    daily = client.get("/api/exports/daily.csv", params={"range": "last_7_days"}, headers=h)
    assert ratings.status_code == daily.status_code == 200
    assert _formula_cells(ratings.text) == []
    assert _formula_cells(daily.text) == []
    # and a comma parser still reads each hostile reason back in one cell, visibly defused
    rows = list(csv.DictReader(io.StringIO(ratings.text, newline="")))
    assert [r["reason"] for r in rows] == [safe_cell(x) for x in HOSTILE_REASONS]
    assert rows[0]["reason"] == "x;'=cmd|' /C calc'!A0;"


@pytest.mark.parametrize(
    ("value", "field"),
    [("a;b", '"a;b"'), ("a,b", '"a,b"'), ("a\rb", '"a\rb"'), ("a\nb", '"a\nb"'), ('a"b', '"a""b"'), ("ab", "ab")],
)
def test_fields_are_quoted_for_either_separator_and_line_breaks(value: str, field: str) -> None:
    """Text holding ``;``, ``,``, CR, LF or a quote is quoted; plain text is not."""
    assert csv_field(value) == field


@pytest.mark.parametrize(
    "bad", ["a\rb", "a\nb", "tab\there", "nul\x00", "bidi\u202eevil", "zero\u200bwidth", "nbsp\xa0"]
)
@pytest.mark.parametrize("field", ["reason", "question"])
def test_ingest_refuses_control_characters_naming_the_field(bad: str, field: str) -> None:
    """A ``reason`` or ``question`` with a control, format or non-ASCII-space character is refused, naming it."""
    rating = {
        "seq": 1,
        "uuid": "0b6f3c4e-2f59-4e54-9d1a-5a3d9f1f0c77",
        "face": 0,
        "scale": 4,
        "question": "q1",
        "reason": "queue",
        "time_ms": 1,
        "boot_id": "b",
        "mono_ms": 1,
        "misuse": False,
    }
    rating[field] = bad
    batch = p.decode_ratings("k-1", p.encode_wire_ratings("k-1", [rating]))
    assert batch.ratings == []
    assert batch.rejections[0].reason == "invalid_rating" and batch.rejections[0].detail.startswith(field)

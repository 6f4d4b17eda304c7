"""Importing HappyOrNot exports: counts, faces, local days across DST, idempotence, follow-ups, refusals."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from hub.errors import AlreadyExists, BadImportFile, BadMapping
from hub.fleet.kiosks import register_kiosk
from hub.fleet.misuse_rule import set_response_interval
from hub.imports.happyornot import Importer
from hub.imports.mapping import instant_ms, load_mapping
from hub.imports.readers import separator_of
from hub.store import Store
from hub.store.portable.compat import Scope
from hub.store.sqlite.exports import RATING_FIELDS
from tests.imports.conftest import ALL, DATA, FEEDBACK_FILES, NOW_MS, by_name, run_import, uuid_of
from tests.postgres import both_engines

pytestmark = both_engines

EXPECTED = {
    "experience_points.json": (4, 0, 0, {}),
    "surveys.json": (3, 0, 0, {}),
    "buttons.json": (15, 8, 1, {"nps": 2, "bad_value": 1, "missing_field": 1, "out_of_scale": 1, "malformed": 1}),
    "buttons_comma.csv": (8, 4, 1, {"malformed": 1, "bad_value": 1, "nps": 1}),
    "buttons_semicolon.csv": (3, 2, 1, {}),
    "followups.json": (5, 3, 1, {"missing_field": 1}),
}


def times(store: Store, location_id: str, first: str, last: str) -> dict[str, tuple[str, int, int]]:
    """``{feedbackId: (UTC ms as text, face, misuse)}`` of a store's imported ratings in the local days given."""
    rows = store.compat.feedbacks(
        [Scope([location_id], date.fromisoformat(first), date.fromisoformat(last))],
        include_misuse=True,
        questions=None,
        with_reason=False,
        descending=False,
        offset=0,
        limit=1000,
    )
    return {r[0]: (str(r[2]), r[5], r[7]) for r in rows}


def test_fixture_files_give_the_expected_counts(store: Store) -> None:
    """Every fixture file is read (JSON, CSV with ',' and with ';' and a BOM) and counted: stored, duplicates,
    and refused rows by reason, NPS answers among them."""
    summary = run_import(store, FEEDBACK_FILES)
    assert by_name(summary) == EXPECTED
    assert summary.waiting_followups == 1
    assert store.imports.imported_count() == 14
    assert store.ops.rating_counts().ratings == store.ops.rating_counts().rolled_up == 14
    text = "\n".join(summary.lines())
    assert "line 8: nps: buttonIndex 9 of survey 503 is an NPS answer (0-10): not imported" in text
    assert "line 6: malformed: 9 fields where the header has 10" in text


def test_faces_scales_stores_and_devices_are_mapped(store: Store) -> None:
    """buttonIndex becomes the face on the survey's scale; experience points become stores (new ones under
    their group's region, 1003 the mapped existing store), smileys devices, surveys questions."""
    run_import(store, ALL)
    sto = store.registry.location("hon-1001")
    assert (sto.name, sto.timezone, sto.region_id) == ("Stockholm Drottninggatan", "Europe/Stockholm", "hon-100")
    assert store.registry.location("hon-1002").name == "Göteborg Nordstan"
    assert store.reads.counts_by_scale(["upp"], date(2026, 4, 1), date(2026, 4, 1), include_misuse=False) == {
        5: [0, 0, 0, 0, 1]
    }
    # Göteborg: five faces; 102 is misuse and left out by default
    gbg = store.reads.counts_by_scale(["hon-1002"], date(2026, 4, 1), date(2026, 4, 2), include_misuse=False)
    assert gbg == {5: [1, 0, 1, 0, 1]}
    assert store.reads.misuse_count("hon-1002", date(2026, 4, 1), date(2026, 4, 2)) == 1
    kiosks = {
        row[0] for row in store.reads.kiosk_cells("hon-1001", date(2026, 1, 1), date(2026, 12, 31), include_misuse=True)
    }
    assert kiosks == {"hon-9001", "hon-9005"}
    assert {fid: ours for fid, ours, _ in store.imports.foreign_rows("survey")} == {
        501: "hon-501",
        502: "hon-502",
        503: "hon-503",
    }


def test_local_times_across_the_dst_changes_of_stockholm(store: Store) -> None:
    """A wall-clock time in the skipped hour (2026-03-29 02:30) moves on by the gap to 03:30 CEST; one in the
    repeated hour (2026-10-25 02:30) is the earlier, summer-time instant unless the export gave an offset;
    every rating lands on its local day."""
    run_import(store, ALL)
    march = times(store, "hon-1001", "2026-03-28", "2026-03-29")
    assert instant_ms(datetime(2026, 3, 29, 2, 30), "Europe/Stockholm") == 1774747800000
    assert int(march[uuid_of(3)][0]) == 1774747800000  # 01:30 UTC = 03:30 CEST
    assert int(march[uuid_of(2)][0]) == 1774745940000  # 01:59 CET = 00:59 UTC
    october = times(store, "hon-1001", "2026-10-25", "2026-10-25")
    assert int(october[uuid_of(5)][0]) == 1792888200000  # 02:30 CEST = 00:30 UTC
    assert int(october[uuid_of(6)][0]) == 1792891800000  # 02:30+01:00 = 01:30 UTC, an hour later
    assert set(october) == {uuid_of(5), uuid_of(6), uuid_of(7)}
    days = store.reads.daily("hon-1001", date(2026, 3, 28), date(2026, 3, 29), include_misuse=True)
    assert [(d, sum(c)) for d, _, *c in days] == [("2026-03-28", 1), ("2026-03-29", 3)]
    cells = store.reads.hour_cells("hon-1001", date(2026, 3, 29), date(2026, 3, 29), include_misuse=True)
    assert sorted((hour, n) for _, hour, _, _, n in cells) == [(1, 1), (3, 1), (3, 1)]


def test_importing_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    """The same files twice store nothing twice; the same feedbacks in another file are duplicates."""
    run_import(store, FEEDBACK_FILES)
    before = store.ops.rating_counts()
    again = run_import(store, FEEDBACK_FILES)
    assert all(s.was_done for s in again.files)
    assert by_name(again) == EXPECTED
    # the JSON's rows as a new CSV: other bytes, same feedbackIds
    rows = [r for r in json.loads((DATA / "buttons.json").read_text()) if isinstance(r, dict) and "smileyId" in r]
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(json.dumps(r.get(k)).strip('"') for k in header) for r in rows]
    copy = tmp_path / "same.csv"
    copy.write_text("\n".join(lines) + "\n")
    shutil.copy(DATA / "mapping.json", tmp_path / "mapping.json")
    third = Importer(store, load_mapping(tmp_path / "mapping.json"), now_ms=NOW_MS).run([copy])
    assert (third.files[0].stored, third.files[0].duplicates) == (0, 9)
    assert store.ops.rating_counts() == before


def test_followups_attach_in_either_order(store: Store) -> None:
    """A follow-up imported before its button feedback waits and is attached when the feedback arrives; the
    reasons rollup counts it once."""
    first = run_import(store, ["followups.json"])
    assert first.waiting_followups == 3
    run_import(store, ["experience_points.json", "surveys.json", "buttons.json"])
    assert store.imports.waiting_followups() == 1  # 999: never exported as a button feedback
    unhappy, reasons = store.reads.unhappy_reasons("hon-1001", date(2026, 3, 1), date(2026, 3, 31), include_misuse=True)
    assert (unhappy, reasons) == (2, [("Personalen", 1)])  # 4 is unhappy too, without a reason
    rows = store.compat.feedbacks(
        [Scope(["hon-1001"], date(2026, 3, 1), date(2026, 3, 31))],
        include_misuse=True,
        questions=None,
        with_reason=True,
        descending=False,
        offset=0,
        limit=10,
    )
    assert [(r[0], r[8], r[10]) for r in rows] == [(uuid_of(1), "Lång kö", 7001), (uuid_of(3), "Personalen", 7002)]


def test_new_stores_need_a_time_zone_and_get_it_on_a_second_run(store: Store) -> None:
    """Without a time zone, rows of experience points with no store yet are refused (nothing guessed); run again
    with one and they are stored, the rest counted as duplicates."""
    first = run_import(store, ["surveys.json", "buttons.json"], mapping=None)
    assert first.files[1].stored == 0
    assert first.files[1].refused["no_timezone"] == 9
    second = run_import(store, ["buttons.json"], mapping=None, timezone="Europe/Stockholm")
    assert (second.files[0].stored, second.files[0].duplicates) == (8, 1)
    assert store.registry.location("hon-1003").timezone == "Europe/Stockholm"


def test_rows_of_a_survey_of_unknown_scale_are_refused(store: Store) -> None:
    """Without a surveys export or a mapping naming the scale, nothing is guessed: the rows are refused, and
    buttonIndex 5-10 is recognised as NPS."""
    summary = run_import(store, ["buttons.json"], mapping=None, timezone="Europe/Stockholm")
    assert summary.files[0].stored == 0
    assert summary.files[0].refused == {
        "unknown_scale": 11,
        "nps": 1,
        "bad_value": 1,
        "missing_field": 1,
        "malformed": 1,
    }


def test_imported_misuse_flags_stay_after_a_recompute(store: Store) -> None:
    """Changing a store's misuse rule re-flags kiosk taps but keeps the flags imported ratings came with."""
    run_import(store, ALL)
    assert store.reads.misuse_count("hon-1001", date(2026, 3, 29), date(2026, 3, 29)) == 1
    set_response_interval(store, "hon-1001", interval_s=600.0, now_ms=NOW_MS)
    assert store.reads.misuse_count("hon-1001", date(2026, 3, 29), date(2026, 3, 29)) == 1
    assert store.ops.rating_counts(location_id="hon-1001").rolled_up == 9


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"experience_points": {"1003": "nowhere"}}, "there is no store 'nowhere'"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"surveys": {"501": {"scale": 11}}}, "surveys.501.scale"),
        ({"surveys": {"x": {"scale": 4}}}, "'x' is not a HappyOrNot id"),
        ({"stores": {}}, "a mapping is an object"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_key(store: Store, tmp_path: Path, doc: object, message: str) -> None:
    """A mapping that is wrong stops the import before any row is read, with a message naming the key."""
    (tmp_path / "m.json").write_text(json.dumps(doc))
    with pytest.raises(BadMapping, match=message):
        Importer(store, load_mapping(tmp_path / "m.json"), now_ms=NOW_MS).run([DATA / "buttons.json"])
    assert store.imports.imported_count() == 0


def test_a_file_that_is_no_export_is_refused(store: Store, tmp_path: Path) -> None:
    """A file without the columns of any export is refused naming the file; nothing is imported."""
    (tmp_path / "notes.csv").write_text("name;comment\nanna;hello\n")
    with pytest.raises(BadImportFile, match=r"notes\.csv: not a HappyOrNot export"):
        run_import(store, [str(tmp_path / "notes.csv")])
    assert store.imports.imported_count() == 0


@pytest.mark.parametrize(("header", "sep"), [("a,b", ","), ("a;b", ";"), ("a\tb", "\t"), ('"a"|"b"', "|"), ("a", ",")])
def test_the_csv_separator_is_read_from_the_header(header: str, sep: str) -> None:
    """Any one-character csvSeparator is recognised from the header line."""
    assert separator_of(header) == sep


def test_imported_ratings_are_marked_in_the_ratings_export(store: Store) -> None:
    """The ratings export marks imported ratings (imported = 1)."""
    run_import(store, ALL)
    day = date(2026, 4, 1)
    rows = store.exports.ratings("upp", day, day, start_ms=0, end_ms=NOW_MS, include_misuse=True, include_closed=True)
    imported = RATING_FIELDS.index("imported")
    assert [(r[0], r[imported]) for r in rows] == [("hon-9003", 1)]


def test_imported_ratings_count_in_every_rollup_like_kiosk_taps(store: Store) -> None:
    """The running-total rollup (overview, compare) agrees with the hourly one (store page, exports) for any
    range, also for a batch that lands before days already held and beside kiosk taps of the same store."""
    run_import(store, ["experience_points.json", "surveys.json", "buttons_semicolon.csv"])  # April first
    run_import(store, ["buttons.json", "buttons_comma.csv"])  # then March and October: before and after
    periods = [
        (date(2026, 3, 28), date(2026, 3, 29)),
        (date(2026, 3, 1), date(2026, 4, 30)),
        (date(2026, 1, 1), date(2026, 12, 31)),
    ]
    stores = ["hon-1001", "hon-1002", "upp"]
    for misuse in (False, True):
        cum = store.reads.period_counts(stores, periods, include_misuse=misuse)
        for i, (first, last) in enumerate(periods):
            for loc in stores:
                expected = store.reads.counts_by_scale([loc], first, last, include_misuse=misuse)
                assert cum.get((loc, i), ({}, 0))[0] == expected, (loc, first, last, misuse)
    assert store.reads.period_counts(["hon-1001"], periods[2:], include_misuse=True)[("hon-1001", 0)][0] == {
        4: [2, 1, 2, 4]
    }


def test_imported_devices_and_kiosks_never_share_an_id(store: Store) -> None:
    """A kiosk cannot be registered under an imported device's id, nor a smiley imported onto a registered kiosk's
    id: their seqs would collide and taps be lost."""
    register_kiosk(store, "hon-9005", location_id="upp", now_ms=NOW_MS)
    summary = run_import(store, ALL)
    assert by_name(summary)["buttons_semicolon.csv"] == (3, 0, 0, {"device_id_taken": 3})
    with pytest.raises(AlreadyExists, match="imported from HappyOrNot"):
        register_kiosk(store, "hon-9001", location_id="upp", now_ms=NOW_MS)

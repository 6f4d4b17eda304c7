"""HappyOrNot import rate: a generated 1,000,000-row button-feedback CSV into a fresh hub store.

Prints rows/s of ``python -m hub import happyornot``'s importer (parse, map, dedupe by feedbackId, ratings +
rollups + progress per 5,000-row transaction, synchronous=FULL) and the ratio to a plain bulk insert of the same
rows measured in the same run: the same CSV read with the csv module and inserted as they are into one table
(feedbackId primary key, 5,000 rows per transaction, WAL, synchronous=FULL).

    .venv/bin/python -m bench.import_happyornot [--rows 1000000]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from hub.imports.happyornot import Importer
from hub.imports.mapping import parse_mapping
from hub.store import open_store

HEADER = "feedbackId;smileyId;localTime;surveyId;experiencePointId;buttonIndex;misuse;position;ui;smileyType"
POINTS, SMILEYS_PER_POINT = 20, 3
BATCH = 5000


def write_export(path: Path, rows: int, *, seed: int = 13) -> None:
    """Two years of button feedbacks in time order: 20 experience points with 3 smileys each, two surveys
    (four and five faces), 2 % misuse, separator ';' (setup, not measured)."""
    rng = random.Random(seed)
    start = datetime(2024, 12, 1, 8, 0)
    step_s = 2 * 365 * 86400 / rows
    with path.open("w") as f:
        f.write(HEADER + "\n")
        for i in range(rows):
            t = start + timedelta(seconds=int(i * step_s))
            point = rng.randrange(POINTS)
            smiley = 9000 + point * SMILEYS_PER_POINT + rng.randrange(SMILEYS_PER_POINT)
            survey = 501 + point % 2
            f.write(
                f"{uuid.UUID(int=rng.getrandbits(128), version=4)};{smiley};{t.isoformat()};{survey};{1000 + point};"
                f"{rng.randrange(4 + point % 2)};{'true' if rng.random() < 0.02 else 'false'};0;physical;"
                "SMILEY_TERMINAL\n"
            )


def plain_insert(export: Path, db: Path) -> float:
    """Seconds to read the CSV and insert its rows as they are (the baseline)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE feedbacks (feedback_id TEXT PRIMARY KEY, smiley_id INTEGER, local_time TEXT, survey_id INTEGER,"
        " point_id INTEGER, button_index INTEGER, misuse TEXT, position INTEGER, ui TEXT, smiley_type TEXT)"
        " WITHOUT ROWID"
    )
    started = time.perf_counter()
    with export.open(newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO feedbacks VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
                conn.execute("COMMIT")
                batch.clear()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO feedbacks VALUES (?,?,?,?,?,?,?,?,?,?)", batch)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def hub_import(export: Path, data_dir: Path) -> tuple[float, int]:
    """Seconds for the hub's importer, and the ratings it stored."""
    mapping = parse_mapping({"timezone": "Europe/Stockholm", "surveys": {"501": {"scale": 4}, "502": {"scale": 5}}})
    with open_store(data_dir / "hub.db") as store:
        started = time.perf_counter()
        summary = Importer(store, mapping, now_ms=int(time.time() * 1000)).run([export])
        elapsed = time.perf_counter() - started
        assert not summary.files[0].refused, summary.lines()
        counts = store.ops.rating_counts()
        assert counts.ratings == counts.rolled_up
        return elapsed, counts.ratings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        export = tmp / "buttons.csv"
        write_export(export, args.rows)
        size_mb = export.stat().st_size / 1e6
        base_s = plain_insert(export, tmp / "plain.db")
        import_s, stored = hub_import(export, tmp / "hub")
        assert stored == args.rows
        base_rate, import_rate = args.rows / base_s, args.rows / import_s
        print(
            json.dumps(
                {
                    "rows": args.rows,
                    "csv_mb": round(size_mb, 1),
                    "import_s": round(import_s, 1),
                    "import_rows_per_s": round(import_rate),
                    "plain_insert_s": round(base_s, 1),
                    "plain_insert_rows_per_s": round(base_rate),
                    "ratio_import_to_plain": round(import_rate / base_rate, 2),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()

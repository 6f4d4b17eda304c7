"""A real hub store with one existing store (``upp``) and the HappyOrNot fixtures of tests/data/happyornot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.imports.happyornot import Importer, Summary
from hub.imports.mapping import load_mapping
from hub.store import Store, open_store

DATA = Path(__file__).resolve().parent.parent / "data" / "happyornot"
NOW_MS = 1_796_000_000_000  # 2026-11-30
ALL = ["experience_points.json", "surveys.json", "buttons.json", "buttons_comma.csv", "buttons_semicolon.csv"]
FEEDBACK_FILES = [*ALL, "followups.json"]


def uuid_of(n: int) -> str:
    """The fixtures' feedbackId number ``n``."""
    return f"00000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def target(tmp_path: Path, database: str | None) -> str | Path:
    """The store of the test: the SQLite file in its data dir, or a PostgreSQL database (``both_engines``)."""
    return database or tmp_path / "hub" / "hub.db"


@pytest.fixture
def data_dir(tmp_path: Path, target: str | Path) -> Path:
    """A hub data dir whose store already has Uppsala (``upp``), the store experience point 1003 maps to."""
    d = tmp_path / "hub"
    with open_store(target) as store:
        store.registry.add_location("upp", name="Uppsala", timezone="Europe/Stockholm", now_ms=NOW_MS)
    return d


@pytest.fixture
def store(data_dir: Path, target: str | Path) -> Iterator[Store]:
    with open_store(target) as s:
        yield s


def run_import(store: Store, names: list[str], *, mapping: str | None = "mapping.json", **kw: Any) -> Summary:
    """Import fixture files by name, as ``python -m hub import happyornot`` does."""
    loaded = load_mapping(DATA / mapping if mapping else None, timezone=kw.pop("timezone", None))
    return Importer(store, loaded, now_ms=NOW_MS, **kw).run([DATA / n for n in names])


def by_name(summary: Summary) -> dict[str, tuple[int, int, int, dict[str, int]]]:
    """``{file: (rows, stored, duplicates, {reason: refused})}``."""
    return {s.name: (s.rows, s.stored, s.duplicates, dict(s.refused)) for s in summary.files}

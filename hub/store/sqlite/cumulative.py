"""The cumulative rollup ``rollup_cum``: per location, scale and local day, the running totals of every face since
the location's first day, in one group of columns per flag value of ``rollup_hourly.misuse``.

``rollup_hourly.misuse`` holds the answer's flags (:data:`hub.reports.flags`): 1 = misuse, 2 = outside opening
hours, 3 = both. Its column name predates the second flag. The groups are ``f`` (no flag), ``m`` (misuse only),
``c`` (outside opening hours only) and ``b`` (both): ``f0``..``f4``, ``m0``..``m4``, ``c0``..``c4``, ``b0``..``b4``.
A range's counts are then two row lookups per location whatever its length (``Reads.period_counts``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from hub.store.portable.cumulative import COLUMNS, GROUPS


def _count(column: str, n: str, row: str = "") -> str:
    prefix = f"{row}." if row else ""
    return f"({prefix}misuse = {GROUPS.index(column[0])} AND {prefix}face = {column[1]}) * {n}"


def _updates(row: str, n: str) -> str:
    return ",\n        ".join(f"{c} = {c} + {_count(c, n, row)}" for c in COLUMNS)


TRIGGERS = [
    "DROP TRIGGER IF EXISTS rollup_cum_on_insert",
    "DROP TRIGGER IF EXISTS rollup_cum_on_update",
    "DROP TRIGGER IF EXISTS rollup_cum_on_delete",
    f"""CREATE TRIGGER rollup_cum_on_insert AFTER INSERT ON rollup_hourly
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_cum_paused') BEGIN
    INSERT OR IGNORE INTO rollup_scales (location_id, scale) VALUES (NEW.location_id, NEW.scale);
    INSERT OR IGNORE INTO rollup_cum (location_id, scale, local_day, {", ".join(COLUMNS)})
    SELECT NEW.location_id, NEW.scale, NEW.local_day, * FROM (
        SELECT * FROM (SELECT {", ".join(COLUMNS)} FROM rollup_cum
                       WHERE location_id = NEW.location_id AND scale = NEW.scale AND local_day < NEW.local_day
                       ORDER BY local_day DESC LIMIT 1)
        UNION ALL SELECT {", ".join("0" for _ in COLUMNS)} LIMIT 1);
    UPDATE rollup_cum SET {_updates("NEW", "NEW.n")}
    WHERE location_id = NEW.location_id AND scale = NEW.scale AND local_day >= NEW.local_day;
END""",
    f"""CREATE TRIGGER rollup_cum_on_update AFTER UPDATE OF n ON rollup_hourly
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_cum_paused') BEGIN
    UPDATE rollup_cum SET {_updates("NEW", "(NEW.n - OLD.n)")}
    WHERE location_id = NEW.location_id AND scale = NEW.scale AND local_day >= NEW.local_day;
END""",
    f"""CREATE TRIGGER rollup_cum_on_delete AFTER DELETE ON rollup_hourly
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_cum_paused') BEGIN
    UPDATE rollup_cum SET {_updates("OLD", "(-OLD.n)")}
    WHERE location_id = OLD.location_id AND scale = OLD.scale AND local_day >= OLD.local_day;
END""",
]

# every location's (or those ``where`` names) cumulative rows computed from rollup_hourly at once
FROM_HOURLY = (
    f"INSERT INTO rollup_cum (location_id, scale, local_day, {', '.join(COLUMNS)})"
    " SELECT location_id, scale, local_day, "
    + ", ".join(f"sum(sum({_count(c, 'n')})) OVER w" for c in COLUMNS)
    + " FROM rollup_hourly {where} GROUP BY location_id, scale, local_day"
    " WINDOW w AS (PARTITION BY location_id, scale ORDER BY local_day)"
)

# the running totals of one store and scale from a day on: the day before's totals plus the hourly rollup's sums
REFRESH_FROM_DAY = (
    "WITH base AS (SELECT * FROM rollup_cum WHERE location_id = ?1 AND scale = ?2 AND local_day < ?3"
    " ORDER BY local_day DESC LIMIT 1)"
    f" INSERT INTO rollup_cum (location_id, scale, local_day, {', '.join(COLUMNS)}) SELECT ?1, ?2, local_day, "
    + ", ".join(f"coalesce((SELECT {c} FROM base), 0) + sum(sum({_count(c, 'n')})) OVER w" for c in COLUMNS)
    + " FROM rollup_hourly WHERE location_id = ?1 AND scale = ?2 AND local_day >= ?3 GROUP BY local_day"
    " WINDOW w AS (ORDER BY local_day)"
)

# What the insert trigger does for one hourly row, for a whole transaction's changes at once (``Changes``): the day's
# row carried forward from the latest day before it, then every day from it on raised by the changes' counts.
_CARRY_FORWARD = (
    f"INSERT OR IGNORE INTO rollup_cum (location_id, scale, local_day, {', '.join(COLUMNS)})"
    " SELECT ?1, ?2, ?3, * FROM ("
    f" SELECT * FROM (SELECT {', '.join(COLUMNS)} FROM rollup_cum"
    " WHERE location_id = ?1 AND scale = ?2 AND local_day < ?3 ORDER BY local_day DESC LIMIT 1)"
    f" UNION ALL SELECT {', '.join('0' for _ in COLUMNS)} LIMIT 1)"
)
_ADD_FROM_DAY = (
    f"UPDATE rollup_cum SET {', '.join(f'{c} = {c} + ?' for c in COLUMNS)}"
    " WHERE location_id = ? AND scale = ? AND local_day >= ?"
)


class Changes:
    """The ingest transaction's additions to ``rollup_hourly``, summed per location, scale and day, for the
    cumulative rollup: its per-row triggers are paused for the transaction (:meth:`pause`, inside it: no other
    connection sees the pause) and each day's row is written once at the end (:meth:`apply`), not once per hourly
    row (a transaction holding one live tap from each of 100 kiosks of a store touched its row 100 times)."""

    def __init__(self) -> None:
        self._by_day: dict[tuple[str, int, str], list[int]] = {}

    def add(self, hourly: dict[tuple[Any, ...], int]) -> None:
        """``hourly`` as ``ledger.count_in_rollups`` takes it: ``(location, day, hour, weekday, kiosk, scale,
        face, flags)`` → count."""
        for (location_id, day, _, _, _, scale, face, flags), n in hourly.items():
            counts = self._by_day.get((location_id, scale, day))
            if counts is None:
                counts = self._by_day[(location_id, scale, day)] = [0] * len(COLUMNS)
            counts[flags * 5 + face] += n  # COLUMNS: one group of five faces per flags value

    @staticmethod
    def pause(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rollup_cum_paused', '1')")

    def apply(self, conn: sqlite3.Connection) -> None:
        """Write the changes (the order does not matter: each day carries the days before it forward, then adds)
        and lift the pause."""
        for (location_id, scale, day), counts in self._by_day.items():
            conn.execute("INSERT OR IGNORE INTO rollup_scales (location_id, scale) VALUES (?, ?)", (location_id, scale))
            conn.execute(_CARRY_FORWARD, (location_id, scale, day))
            conn.execute(_ADD_FROM_DAY, (*counts, location_id, scale, day))
        self._by_day.clear()
        conn.execute("DELETE FROM meta WHERE key = 'rollup_cum_paused'")

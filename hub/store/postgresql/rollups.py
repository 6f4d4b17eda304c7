"""Rebuilding a location's rollups from its raw ratings, e.g. after its misuse rule or its opening hours changed.

Nothing is deleted from ``ratings``: a new response interval re-flags the effective ``misuse`` column from the
taps' times (each kiosk's taps in seq order, at the times the ingest settled on: ``feedback.abuse``), then
``rollup_hourly`` and ``rollup_reasons`` of that location are rebuilt; ``rollup_daily`` follows through its triggers and
``rollup_cum`` is recomputed. All of it is
one transaction, so a reader sees either the old or the new numbers, never a mix.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from feedback.misuse import check_response_interval, flag_misuse
from hub.reports.flags import SQL as FLAGS_SQL
from hub.reports.localtime import local_bucket
from hub.store.postgresql.connection import Conn, transaction
from hub.store.postgresql.cumulative import FROM_HOURLY
from hub.store.postgresql.placing import is_closed, schedule
from hub.store.records import Recomputed

log = logging.getLogger(__name__)


def recompute_location(conn: Conn, location_id: str, *, interval_s: float) -> Recomputed:
    """Store ``interval_s`` as the location's rule, re-flag its ratings under it and rebuild its rollups."""
    check_response_interval(interval_s)
    with transaction(conn):
        conn.execute("UPDATE locations SET response_interval_s = ? WHERE id = ?", (interval_s, location_id))
        kiosks = [
            # imported ratings keep the misuse flag their own system gave them (issue 13)
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT kiosk_id FROM ratings WHERE location_id = ? AND imported = 0", (location_id,)
            )
        ]
        total = misuse = changed = 0
        for kiosk_id in kiosks:
            # the whole kiosk history in seq order: a tap's predecessor may have been made at another location
            rows = conn.execute(
                "SELECT seq, time_ms, location_id, misuse FROM ratings WHERE kiosk_id = ? ORDER BY seq",
                (kiosk_id,),
            ).fetchall()
            flips = []
            for (seq, _, loc, old), flag in zip(
                rows, flag_misuse((r[1] for r in rows), interval_s=interval_s), strict=True
            ):
                if loc != location_id:
                    continue
                total += 1
                misuse += flag
                if int(flag) != old:
                    flips.append((int(flag), kiosk_id, seq))
            changed += len(flips)
            conn.executemany("UPDATE ratings SET misuse = ? WHERE kiosk_id = ? AND seq = ?", flips)
        rebuild_rollups(conn, location_id)
    log.info(
        "recomputed %s under %.1f s: %d ratings, %d misuse, %d changed", location_id, interval_s, total, misuse, changed
    )
    return Recomputed(location_id, interval_s, total, misuse, changed)


def reflag_closed(conn: Conn, location_id: str) -> int:
    """Re-judge which of the location's ratings were given outside its opening hours (its schedule now) and, when
    any changed, rebuild its rollups; the caller holds the write transaction. Returns how many changed."""
    plan = schedule(conn, location_id)
    row = conn.execute("SELECT timezone FROM locations WHERE id = ?", (location_id,)).fetchone()
    if row is None:
        return 0
    tz = row[0]
    flips = []
    for kiosk_id, seq, time_ms, old in conn.execute(
        "SELECT kiosk_id, seq, time_ms, closed FROM ratings WHERE location_id = ?", (location_id,)
    ):
        day, _, weekday = local_bucket(tz, time_ms)
        new = int(is_closed(plan, tz, time_ms, day, weekday))
        if new != old:
            flips.append((new, kiosk_id, seq))
    if flips:
        conn.executemany("UPDATE ratings SET closed = ? WHERE kiosk_id = ? AND seq = ?", flips)
        rebuild_rollups(conn, location_id)
    log.info("re-judged opening hours of %s: %d ratings changed", location_id, len(flips))
    return len(flips)


def reflag_locations(conn: Conn, location_ids: Iterable[str]) -> int:
    """:func:`reflag_closed` for each location, in the caller's transaction or in one of its own."""
    if conn.in_transaction:
        return sum(reflag_closed(conn, loc) for loc in location_ids)
    with transaction(conn):
        return sum(reflag_closed(conn, loc) for loc in location_ids)


def rebuild_rollups(conn: Conn, location_id: str) -> None:
    """Rebuild one location's rollups from ``ratings``; the caller holds the write transaction.

    The cumulative rollup's triggers are paused meanwhile (each hourly row would touch every later day) and
    that location's cumulative rows are computed once at the end; no other connection sees the pause.
    """
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('rollup_cum_paused', '1') ON CONFLICT (key) DO UPDATE SET value = '1'"
    )
    conn.execute("DELETE FROM rollup_hourly WHERE location_id = ?", (location_id,))
    conn.execute("DELETE FROM rollup_reasons WHERE location_id = ?", (location_id,))
    conn.execute(
        "INSERT INTO rollup_hourly (location_id, local_day, local_hour, weekday, kiosk_id, scale, face, misuse, n)"
        " SELECT location_id, local_day, local_hour, extract(isodow FROM local_day::date)::int,"
        f" kiosk_id, scale, face, {FLAGS_SQL}, count(*) FROM ratings WHERE location_id = ?"
        f" GROUP BY location_id, local_day, local_hour, kiosk_id, scale, face, {FLAGS_SQL}",
        (location_id,),
    )
    conn.execute(
        "INSERT INTO rollup_reasons (location_id, local_day, reason, scale, face, misuse, n)"
        f" SELECT location_id, local_day, reason, scale, face, {FLAGS_SQL}, count(*) FROM ratings"
        " WHERE location_id = ? AND reason IS NOT NULL"
        f" GROUP BY location_id, local_day, reason, scale, face, {FLAGS_SQL}",
        (location_id,),
    )
    conn.execute(
        "DELETE FROM rollup_daily WHERE location_id = ? AND f0 = 0 AND f1 = 0 AND f2 = 0 AND f3 = 0 AND f4 = 0",
        (location_id,),
    )
    conn.execute("DELETE FROM rollup_cum WHERE location_id = ?", (location_id,))
    conn.execute(FROM_HOURLY.format(where="WHERE location_id = ?"), (location_id,))
    conn.execute(
        "INSERT INTO rollup_scales SELECT DISTINCT location_id, scale FROM rollup_hourly"
        " WHERE location_id = ? ON CONFLICT DO NOTHING",
        (location_id,),
    )
    conn.execute("DELETE FROM meta WHERE key = 'rollup_cum_paused'")

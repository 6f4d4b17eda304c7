"""The rollups on PostgreSQL: incremented by the ledger in its transaction, rebuilt after a misuse-rule change.

``rollup_hourly`` and ``rollup_reasons`` count taps per local hour and day; ``rollup_daily`` (per day) and
``rollup_cum`` (running totals per location, scale and day, so any range is two lookups) are derived from the
same increments here — the SQLite engine keeps those two with triggers. Keys are written in sorted order so
that concurrent ingest workers lock rollup rows in one order.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from feedback.misuse import check_response_interval, flag_misuse
from hub.store.postgresql.connection import Conn
from hub.store.postgresql.schema import CUMULATIVE_FROM_HOURLY
from hub.store.records import Recomputed

log = logging.getLogger(__name__)
_CUM = ("f0", "f1", "f2", "f3", "f4", "m0", "m1", "m2", "m3", "m4")


def add_to_rollups(conn: Conn, hourly: Counter[tuple[Any, ...]], reasons: Counter[tuple[Any, ...]]) -> None:
    """Add counted taps: ``hourly`` keyed ``(location, day, hour, weekday, kiosk, scale, face, misuse)``,
    ``reasons`` keyed ``(location, day, reason, scale, face, misuse)``."""
    if not hourly:
        return
    keys = sorted(hourly)
    cols = [list(c) for c in zip(*keys, strict=True)]
    conn.execute(
        "INSERT INTO rollup_hourly (location_id, local_day, local_hour, weekday, kiosk_id, scale, face, misuse, n)"
        " SELECT * FROM unnest(%s::text[], %s::text[], %s::smallint[], %s::smallint[], %s::text[], %s::smallint[],"
        " %s::smallint[], %s::smallint[], %s::int[])"
        " ON CONFLICT (location_id, local_day, local_hour, kiosk_id, scale, face, misuse)"
        " DO UPDATE SET n = rollup_hourly.n + excluded.n",
        [*cols, [hourly[k] for k in keys]],
    )
    if reasons:
        rkeys = sorted(reasons)
        rcols = [list(c) for c in zip(*rkeys, strict=True)]
        conn.execute(
            "INSERT INTO rollup_reasons (location_id, local_day, reason, scale, face, misuse, n)"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::smallint[], %s::smallint[],"
            " %s::smallint[], %s::int[]) ON CONFLICT (location_id, local_day, reason, scale, face, misuse)"
            " DO UPDATE SET n = rollup_reasons.n + excluded.n",
            [*rcols, [reasons[k] for k in rkeys]],
        )
    daily: dict[tuple[Any, ...], list[int]] = {}
    cum: dict[tuple[Any, ...], list[int]] = {}
    for (location_id, day, _, _, _, scale, face, misuse), n in hourly.items():
        daily.setdefault((location_id, day, scale, misuse), [0] * 5)[face] += n
        cum.setdefault((location_id, scale, day), [0] * 10)[5 * misuse + face] += n
    dkeys = sorted(daily)
    dcols = [list(c) for c in zip(*dkeys, strict=True)]
    conn.execute(
        "INSERT INTO rollup_daily (location_id, local_day, scale, misuse, f0, f1, f2, f3, f4)"
        " SELECT * FROM unnest(%s::text[], %s::text[], %s::smallint[], %s::smallint[], %s::int[], %s::int[],"
        " %s::int[], %s::int[], %s::int[]) ON CONFLICT (location_id, local_day, scale, misuse) DO UPDATE SET"
        " f0 = rollup_daily.f0 + excluded.f0, f1 = rollup_daily.f1 + excluded.f1, f2 = rollup_daily.f2 + excluded.f2,"
        " f3 = rollup_daily.f3 + excluded.f3, f4 = rollup_daily.f4 + excluded.f4",
        [*dcols, *[[daily[k][f] for k in dkeys] for f in range(5)]],
    )
    for (location_id, scale, day), delta in sorted(cum.items()):
        _add_cumulative(conn, location_id, scale, day, delta)


def _add_cumulative(conn: Conn, location_id: str, scale: int, day: str, delta: list[int]) -> None:
    """Add ``delta`` (f0..f4, m0..m4) to the running totals of ``day`` and every later day with a row."""
    conn.execute(
        "INSERT INTO rollup_scales (location_id, scale) VALUES (%s, %s) ON CONFLICT DO NOTHING", (location_id, scale)
    )
    conn.execute(
        "INSERT INTO rollup_cum (location_id, scale, local_day, f0, f1, f2, f3, f4, m0, m1, m2, m3, m4)"
        " SELECT %(l)s, %(s)s, %(d)s, f0, f1, f2, f3, f4, m0, m1, m2, m3, m4 FROM ("
        " (SELECT f0, f1, f2, f3, f4, m0, m1, m2, m3, m4 FROM rollup_cum WHERE location_id = %(l)s AND scale = %(s)s"
        " AND local_day < %(d)s ORDER BY local_day DESC LIMIT 1)"
        " UNION ALL SELECT 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 LIMIT 1) prev ON CONFLICT DO NOTHING",
        {"l": location_id, "s": scale, "d": day},
    )
    sets = ", ".join(f"{c} = {c} + %({c})s" for c in _CUM)
    conn.execute(
        f"UPDATE rollup_cum SET {sets} WHERE location_id = %(l)s AND scale = %(s)s AND local_day >= %(d)s",
        {"l": location_id, "s": scale, "d": day, **dict(zip(_CUM, delta, strict=True))},
    )


def recompute_location(conn: Conn, location_id: str, *, interval_s: float) -> Recomputed:
    """Store ``interval_s`` as the location's rule, re-flag its ratings under it and rebuild its rollups."""
    check_response_interval(interval_s)
    with conn.transaction():
        conn.execute("UPDATE locations SET response_interval_s = %s WHERE id = %s", (interval_s, location_id))
        kiosks = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT kiosk_id FROM ratings WHERE location_id = %s ORDER BY 1", (location_id,)
            )
        ]
        total = misuse = changed = 0
        for kiosk_id in kiosks:
            # the whole kiosk history in seq order: a tap's predecessor may have been made at another location
            rows = conn.execute(
                "SELECT seq, device_time_ms, location_id, misuse FROM ratings WHERE kiosk_id = %s ORDER BY seq",
                (kiosk_id,),
            ).fetchall()
            flips: list[tuple[int, int]] = []
            for (seq, _, loc, old), flag in zip(
                rows, flag_misuse((r[1] for r in rows), interval_s=interval_s), strict=True
            ):
                if loc != location_id:
                    continue
                total += 1
                misuse += flag
                if int(flag) != old:
                    flips.append((seq, int(flag)))
            changed += len(flips)
            if flips:
                conn.execute(
                    "UPDATE ratings r SET misuse = f.misuse FROM unnest(%s::bigint[], %s::smallint[]) AS f(seq, misuse)"
                    " WHERE r.kiosk_id = %s AND r.seq = f.seq",
                    ([s for s, _ in flips], [m for _, m in flips], kiosk_id),
                )
        rebuild_rollups(conn, location_id)
    log.info(
        "recomputed %s under %.1f s: %d ratings, %d misuse, %d changed", location_id, interval_s, total, misuse, changed
    )
    return Recomputed(location_id, interval_s, total, misuse, changed)


def rebuild_rollups(conn: Conn, location_id: str) -> None:
    """Rebuild one location's rollups from ``ratings``; the caller holds the transaction."""
    for table in ("rollup_hourly", "rollup_reasons", "rollup_daily", "rollup_cum"):
        conn.execute(f"DELETE FROM {table} WHERE location_id = %s", (location_id,))
    conn.execute(
        "INSERT INTO rollup_hourly (location_id, local_day, local_hour, weekday, kiosk_id, scale, face, misuse, n)"
        " SELECT location_id, local_day, local_hour, extract(isodow FROM local_day::date), kiosk_id, scale, face,"
        " misuse, count(*) FROM ratings WHERE location_id = %s"
        " GROUP BY location_id, local_day, local_hour, kiosk_id, scale, face, misuse",
        (location_id,),
    )
    conn.execute(
        "INSERT INTO rollup_reasons (location_id, local_day, reason, scale, face, misuse, n)"
        " SELECT location_id, local_day, reason, scale, face, misuse, count(*) FROM ratings"
        " WHERE location_id = %s AND reason IS NOT NULL GROUP BY location_id, local_day, reason, scale, face, misuse",
        (location_id,),
    )
    conn.execute(
        "INSERT INTO rollup_daily (location_id, local_day, scale, misuse, f0, f1, f2, f3, f4)"
        " SELECT location_id, local_day, scale, misuse, coalesce(sum(n) FILTER (WHERE face = 0), 0),"
        " coalesce(sum(n) FILTER (WHERE face = 1), 0), coalesce(sum(n) FILTER (WHERE face = 2), 0),"
        " coalesce(sum(n) FILTER (WHERE face = 3), 0), coalesce(sum(n) FILTER (WHERE face = 4), 0)"
        " FROM rollup_hourly WHERE location_id = %s GROUP BY location_id, local_day, scale, misuse",
        (location_id,),
    )
    conn.execute(CUMULATIVE_FROM_HOURLY.format(where="WHERE location_id = %s"), (location_id,))
    conn.execute(
        "INSERT INTO rollup_scales SELECT DISTINCT location_id, scale FROM rollup_hourly WHERE location_id = %s"
        " ON CONFLICT DO NOTHING",
        (location_id,),
    )

"""The cumulative rollup ``rollup_cum`` on PostgreSQL: per location, scale and local day, the running totals of
every face since the location's first day, in one group of columns per flag value of ``rollup_hourly.misuse``
(the same layout as :mod:`hub.store.sqlite.cumulative`: ``f`` no flag, ``m`` misuse, ``c`` outside opening hours,
``b`` both). A trigger keeps it in step with ``rollup_hourly`` (:mod:`hub.store.postgresql.ddl`).
"""

from __future__ import annotations

from hub.store.portable.cumulative import COLUMNS, GROUPS


def _count(column: str) -> str:
    return f"(misuse = {GROUPS.index(column[0])} AND face = {column[1]})::int * n"


# every location's (or those ``where`` names) cumulative rows computed from rollup_hourly at once
FROM_HOURLY = (
    f"INSERT INTO rollup_cum (location_id, scale, local_day, {', '.join(COLUMNS)})"
    " SELECT location_id, scale, local_day, "
    + ", ".join(f"sum(sum({_count(c)})) OVER w" for c in COLUMNS)
    + " FROM rollup_hourly {where} GROUP BY location_id, scale, local_day"
    " WINDOW w AS (PARTITION BY location_id, scale ORDER BY local_day)"
)

# the running totals of one store and scale from a day on: the day before's totals plus the hourly rollup's sums
REFRESH_FROM_DAY = (
    "WITH base AS (SELECT * FROM rollup_cum WHERE location_id = ?1 AND scale = ?2 AND local_day < ?3"
    " ORDER BY local_day DESC LIMIT 1)"
    f" INSERT INTO rollup_cum (location_id, scale, local_day, {', '.join(COLUMNS)}) SELECT ?1, ?2, local_day, "
    + ", ".join(f"coalesce((SELECT {c} FROM base), 0) + sum(sum({_count(c)})) OVER w" for c in COLUMNS)
    + " FROM rollup_hourly WHERE location_id = ?1 AND scale = ?2 AND local_day >= ?3 GROUP BY local_day"
    " WINDOW w AS (ORDER BY local_day)"
)

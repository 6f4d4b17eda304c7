"""The layout of the cumulative rollup ``rollup_cum``, the same on both engines: per location, scale and local
day, the running totals of every face since the location's first day, in one group of columns per flag value of
``rollup_hourly.misuse`` (:data:`hub.reports.flags`: 1 = misuse, 2 = outside opening hours, 3 = both; the column's
name predates the second flag). The groups are ``f`` (no flag), ``m`` (misuse only), ``c`` (outside opening hours
only) and ``b`` (both): ``f0``..``f4``, ``m0``..``m4``, ``c0``..``c4``, ``b0``..``b4``. A range's counts are then
two row lookups per location whatever its length (``Reads.period_counts``). Each engine keeps it in step with
``rollup_hourly`` in its own way (``hub.store.sqlite.cumulative``, ``hub.store.postgresql.cumulative``)."""

from __future__ import annotations

GROUPS = "fmcb"  # index = flags value
COLUMNS = [f"{group}{face}" for group in GROUPS for face in range(5)]

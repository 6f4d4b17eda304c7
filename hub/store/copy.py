"""``hub db copy``: every table of one store into another, empty one (SQLite → PostgreSQL), counts checked.

Engine-neutral: it reads and loads through each store's ``tables`` part. Rows are copied as they are — rollups
included, so nothing is recounted (the destination's triggers are off while a table loads) — table by table in
an order that satisfies foreign keys. Afterwards every table must hold as many rows as its source, and the
ratings and their hourly rollup must agree.
"""

from __future__ import annotations

from hub.errors import CopyFailed
from hub.store.interface import Store

# parents before children (kiosks need locations; sessions, alert settings need users; alerts need rules)
TABLES = (
    "meta",
    "regions",
    "locations",
    "kiosks",
    "kiosk_moves",
    "kiosk_state",
    "boots",
    "ratings",
    "rejected",
    "quarantine",
    "rollup_hourly",
    "rollup_reasons",
    "api_tokens",
    "users",
    "user_locations",
    "sessions",
    "rollup_daily",
    "rollup_cum",
    "rollup_scales",
    "kiosk_last_online",
    "config_settings",
    "kiosk_config",
    "sign_in_failures",
    "kiosk_taps",
    "alert_rules",
    "alerts",
    "alert_events",
    "alert_settings",
    "alert_scopes",
    "deliveries",
    "reports_sent",
    "backlog_trend",
    "audit_log",
    "question_texts",
    "import_ids",
    "import_followups",
    "import_files",
    "import_refusals",
)
# filled by the destination when it is created or changed, so not required to be empty
GENERATED = frozenset({"meta"})


def copy_store(source: Store, dest: Store) -> dict[str, int]:
    """Copy every table; returns rows per table.

    :raises CopyFailed: the destination holds data already, or a count differs after the copy
    """
    busy = [t for t in TABLES if t not in GENERATED and dest.tables.count(t) > 0]
    if busy:
        raise CopyFailed(f"the destination is not empty (tables {', '.join(busy)}): copy into a new database")
    for table in TABLES:
        columns = source.tables.columns(table)
        missing = set(columns) - set(dest.tables.columns(table))
        if missing:
            raise CopyFailed(f"{table}: the destination lacks columns {sorted(missing)}")
        if table == "meta":  # the destination's own values (registry_version, ...) give way to the source's
            for key, value in source.tables.rows("meta", ["key", "value"]):
                dest.ops.set_meta(str(key), str(value))
            continue
        dest.tables.load(table, columns, source.tables.rows(table, columns))
    counts = {t: source.tables.count(t) for t in TABLES}
    wrong = {t: (n, dest.tables.count(t)) for t, n in counts.items() if t != "meta" and dest.tables.count(t) != n}
    if wrong:
        raise CopyFailed(f"row counts differ after the copy (source, destination): {wrong}")
    copied = dest.ops.rating_counts()
    if copied != source.ops.rating_counts() or copied.ratings != copied.rolled_up:
        raise CopyFailed(f"ratings and rollups differ after the copy: {copied} vs {source.ops.rating_counts()}")
    return counts

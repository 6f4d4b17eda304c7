"""The hub's PostgreSQL schema and its versioned migrations (this engine's own list, see sqlite/schema.py for
the other).

The version lives in ``schema_version`` (one row). Opening a store applies, in one transaction under an
advisory lock (several hub processes may start at once: the second waits, then finds the work done), every
migration after that version. A new table, column or index is a new function appended to ``MIGRATIONS`` —
never an edit of an applied one.

Differences from the SQLite schema, on purpose: no ``WITHOUT ROWID``; ``rollup_daily``, ``rollup_cum`` and
``kiosk_last_online`` are kept by the ledger's own statements rather than per-row triggers (one statement per
batch instead of one per row); ``rejected.id`` is a ``bigserial``.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.store.postgresql.connection import Conn

MIGRATION_LOCK = 0x6875625F73636D61  # pg_advisory_xact_lock key: "hub_scma"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE regions (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE locations (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL, region_id TEXT,
    response_interval_s DOUBLE PRECISION NOT NULL DEFAULT 5.0, opening_hours TEXT, created_ms BIGINT NOT NULL
);
CREATE TABLE kiosks (
    id TEXT PRIMARY KEY, location_id TEXT NOT NULL REFERENCES locations(id), password_hash TEXT NOT NULL,
    is_disabled SMALLINT NOT NULL DEFAULT 0, created_ms BIGINT NOT NULL, moved_ms BIGINT
);
CREATE TABLE kiosk_moves (
    kiosk_id TEXT NOT NULL, from_ms BIGINT NOT NULL, previous_location_id TEXT NOT NULL,
    location_id TEXT NOT NULL, PRIMARY KEY (kiosk_id, from_ms)
);
CREATE TABLE kiosk_state (
    kiosk_id TEXT PRIMARY KEY, acked_through BIGINT NOT NULL DEFAULT 0, is_online SMALLINT,
    last_seen_ms BIGINT, status_json TEXT, last_resend_ms BIGINT,
    gap_through BIGINT, gap_seen_ms BIGINT  -- a gap after gap_through first seen at gap_seen_ms (resend grace)
);
-- the ingest workers sharing this store, and which of them have handled a kiosk's fresh birth (hub/mqtt/ingest.py)
CREATE TABLE ingest_workers (client_id TEXT PRIMARY KEY, joined_ms BIGINT NOT NULL);
CREATE TABLE births_seen (
    kiosk_id TEXT NOT NULL, birth_id TEXT NOT NULL, client_id TEXT NOT NULL, seen_ms BIGINT NOT NULL,
    PRIMARY KEY (kiosk_id, birth_id, client_id)
);
CREATE TABLE boots (
    kiosk_id TEXT NOT NULL, boot_id TEXT NOT NULL, start_ms BIGINT NOT NULL, skew_ms BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL, PRIMARY KEY (kiosk_id, boot_id)
);
CREATE TABLE ratings (
    kiosk_id TEXT NOT NULL, seq BIGINT NOT NULL, uuid TEXT NOT NULL, location_id TEXT NOT NULL,
    face SMALLINT NOT NULL, scale SMALLINT NOT NULL, question TEXT NOT NULL, reason TEXT,
    device_time_ms BIGINT NOT NULL, time_ms BIGINT NOT NULL, time_flag TEXT,
    boot_id TEXT NOT NULL, mono_ms BIGINT NOT NULL, misuse_device SMALLINT NOT NULL, misuse SMALLINT NOT NULL,
    received_ms BIGINT NOT NULL, local_day TEXT NOT NULL, local_hour SMALLINT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
);
CREATE INDEX ratings_location_time ON ratings(location_id, time_ms);
CREATE TABLE rejected (
    id BIGSERIAL PRIMARY KEY, kiosk_id TEXT, seq BIGINT, received_ms BIGINT NOT NULL, reason TEXT NOT NULL,
    detail TEXT, payload TEXT, rating_seq BIGINT
);
CREATE UNIQUE INDEX rejected_kiosk_seq ON rejected(kiosk_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX rejected_kiosk_rating_seq ON rejected(kiosk_id, rating_seq);
CREATE TABLE quarantine (
    kiosk_id TEXT NOT NULL, seq BIGINT NOT NULL, received_ms BIGINT NOT NULL, rating_json TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
);
CREATE TABLE rollup_hourly (
    location_id TEXT NOT NULL, local_day TEXT NOT NULL, local_hour SMALLINT NOT NULL, weekday SMALLINT NOT NULL,
    kiosk_id TEXT NOT NULL, scale SMALLINT NOT NULL, face SMALLINT NOT NULL, misuse SMALLINT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (location_id, local_day, local_hour, kiosk_id, scale, face, misuse)
);
CREATE TABLE rollup_reasons (
    location_id TEXT NOT NULL, local_day TEXT NOT NULL, reason TEXT NOT NULL, scale SMALLINT NOT NULL,
    face SMALLINT NOT NULL, misuse SMALLINT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (location_id, local_day, reason, scale, face, misuse)
);
CREATE TABLE rollup_daily (
    location_id TEXT NOT NULL, local_day TEXT NOT NULL, scale SMALLINT NOT NULL, misuse SMALLINT NOT NULL,
    f0 INTEGER NOT NULL DEFAULT 0, f1 INTEGER NOT NULL DEFAULT 0, f2 INTEGER NOT NULL DEFAULT 0,
    f3 INTEGER NOT NULL DEFAULT 0, f4 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (location_id, local_day, scale, misuse)
);
CREATE TABLE rollup_cum (
    location_id TEXT NOT NULL, scale SMALLINT NOT NULL, local_day TEXT NOT NULL,
    f0 BIGINT NOT NULL DEFAULT 0, f1 BIGINT NOT NULL DEFAULT 0, f2 BIGINT NOT NULL DEFAULT 0,
    f3 BIGINT NOT NULL DEFAULT 0, f4 BIGINT NOT NULL DEFAULT 0, m0 BIGINT NOT NULL DEFAULT 0,
    m1 BIGINT NOT NULL DEFAULT 0, m2 BIGINT NOT NULL DEFAULT 0, m3 BIGINT NOT NULL DEFAULT 0,
    m4 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (location_id, scale, local_day)
);
CREATE TABLE rollup_scales (location_id TEXT NOT NULL, scale SMALLINT NOT NULL, PRIMARY KEY (location_id, scale));
CREATE TABLE kiosk_last_online (kiosk_id TEXT PRIMARY KEY, status_json TEXT NOT NULL, seen_ms BIGINT);
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, user_id TEXT,
    created_ms BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, is_disabled SMALLINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL
);
CREATE TABLE user_locations (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, location_id TEXT, region_id TEXT,
    CHECK ((location_id IS NULL) != (region_id IS NULL))
);
CREATE UNIQUE INDEX user_locations_unique
    ON user_locations(user_id, coalesce(location_id, ''), coalesce(region_id, ''));
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, csrf TEXT NOT NULL,
    created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL
);
CREATE TABLE config_settings (
    scope TEXT NOT NULL, scope_id TEXT NOT NULL, settings_json TEXT NOT NULL, updated_ms BIGINT NOT NULL,
    PRIMARY KEY (scope, scope_id)
);
CREATE TABLE kiosk_config (
    kiosk_id TEXT PRIMARY KEY, version BIGINT NOT NULL, settings_json TEXT NOT NULL, planned_ms BIGINT NOT NULL,
    published_version BIGINT, published_ms BIGINT, applied_version BIGINT, applied_ms BIGINT,
    refused_version BIGINT, refused_reason TEXT, refused_ms BIGINT
);
-- registry_version grows with every change to kiosks: hub processes watch it to reload the broker
CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO meta (key, value) VALUES ('registry_version', '1')
    ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text;
    RETURN NULL;
END $$;
CREATE TRIGGER kiosks_changed AFTER INSERT OR UPDATE OR DELETE ON kiosks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
"""


# rollup_cum of the rows of rollup_hourly matching {where}: running totals per location and scale by day
def _cumulative_from_hourly() -> str:
    sums = ",\n    ".join(
        f"sum(coalesce(sum(n) FILTER (WHERE misuse = {m} AND face = {f}), 0)) OVER w" for m in (0, 1) for f in range(5)
    )
    return (
        "INSERT INTO rollup_cum (location_id, scale, local_day, f0, f1, f2, f3, f4, m0, m1, m2, m3, m4)\n"
        f"SELECT location_id, scale, local_day,\n    {sums}\n"
        "FROM rollup_hourly {where} GROUP BY location_id, scale, local_day\n"
        "WINDOW w AS (PARTITION BY location_id, scale ORDER BY local_day)"
    )


CUMULATIVE_FROM_HOURLY = _cumulative_from_hourly()


def _base_schema(conn: Conn) -> None:
    """Version 1: every table, index and trigger of the SQLite schema at its version 5."""
    conn.execute(SCHEMA)


MIGRATIONS: list[Callable[[Conn], None]] = [_base_schema]


def schema_version(conn: Conn) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: Conn) -> int:
    """Apply the migrations this database lacks; returns the version it is at."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        done = schema_version(conn)  # another process may have migrated while this one waited for the lock
        for version, step in enumerate(MIGRATIONS[done:], start=done + 1):
            step(conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (version,))
        return schema_version(conn)

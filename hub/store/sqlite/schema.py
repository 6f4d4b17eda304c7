"""The hub's SQLite schema and its versioned migrations.

The database records its version in ``PRAGMA user_version``; opening it applies, in one write transaction, every
migration after that version (several processes may open it at once: the second finds the work done). A new
table, column or index is a new function appended to ``MIGRATIONS`` — never an edit of an applied one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from hub.store.sqlite.connection import immediate

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS regions (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS locations (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL, region_id TEXT,
    response_interval_s REAL NOT NULL DEFAULT 5.0, opening_hours TEXT, created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosks (
    id TEXT PRIMARY KEY, location_id TEXT NOT NULL REFERENCES locations(id), password_hash TEXT NOT NULL,
    is_disabled INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL, moved_ms INTEGER
);
CREATE TABLE IF NOT EXISTS kiosk_moves (
    kiosk_id TEXT NOT NULL, from_ms INTEGER NOT NULL, previous_location_id TEXT NOT NULL,
    location_id TEXT NOT NULL, PRIMARY KEY (kiosk_id, from_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kiosk_state (
    kiosk_id TEXT PRIMARY KEY, acked_through INTEGER NOT NULL DEFAULT 0, is_online INTEGER,
    last_seen_ms INTEGER, status_json TEXT, last_resend_ms INTEGER
);
CREATE TABLE IF NOT EXISTS boots (
    kiosk_id TEXT NOT NULL, boot_id TEXT NOT NULL, start_ms INTEGER NOT NULL, skew_ms INTEGER NOT NULL,
    seen_ms INTEGER NOT NULL, PRIMARY KEY (kiosk_id, boot_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ratings (
    kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, uuid TEXT NOT NULL, location_id TEXT NOT NULL,
    face INTEGER NOT NULL, scale INTEGER NOT NULL, question TEXT NOT NULL, reason TEXT,
    device_time_ms INTEGER NOT NULL, time_ms INTEGER NOT NULL, time_flag TEXT,
    boot_id TEXT NOT NULL, mono_ms INTEGER NOT NULL, misuse_device INTEGER NOT NULL, misuse INTEGER NOT NULL,
    received_ms INTEGER NOT NULL, local_day TEXT NOT NULL, local_hour INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ratings_location_time ON ratings(location_id, time_ms);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY, kiosk_id TEXT, seq INTEGER, received_ms INTEGER NOT NULL, reason TEXT NOT NULL,
    detail TEXT, payload TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS rejected_kiosk_seq ON rejected(kiosk_id, seq) WHERE seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS quarantine (
    kiosk_id TEXT NOT NULL, seq INTEGER NOT NULL, received_ms INTEGER NOT NULL, rating_json TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_hourly (
    location_id TEXT NOT NULL, local_day TEXT NOT NULL, local_hour INTEGER NOT NULL, weekday INTEGER NOT NULL,
    kiosk_id TEXT NOT NULL, scale INTEGER NOT NULL, face INTEGER NOT NULL, misuse INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (location_id, local_day, local_hour, kiosk_id, scale, face, misuse)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_reasons (
    location_id TEXT NOT NULL, local_day TEXT NOT NULL, reason TEXT NOT NULL, scale INTEGER NOT NULL,
    face INTEGER NOT NULL, misuse INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (location_id, local_day, reason, scale, face, misuse)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS kiosks_changed_insert AFTER INSERT ON kiosks BEGIN
    INSERT INTO meta (key, value) VALUES ('registry_version', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;
CREATE TRIGGER IF NOT EXISTS kiosks_changed_update AFTER UPDATE ON kiosks BEGIN
    INSERT INTO meta (key, value) VALUES ('registry_version', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;
CREATE TRIGGER IF NOT EXISTS kiosks_changed_delete AFTER DELETE ON kiosks BEGIN
    INSERT INTO meta (key, value) VALUES ('registry_version', '1')
    ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, role TEXT NOT NULL, user_id TEXT,
    created_ms INTEGER NOT NULL
);
-- dashboard (issue 5): accounts, sessions, and a daily rollup kept in step with rollup_hourly by triggers
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, is_disabled INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS user_locations (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, location_id TEXT, region_id TEXT,
    CHECK ((location_id IS NULL) != (region_id IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS user_locations_unique
    ON user_locations(user_id, coalesce(location_id, ''), coalesce(region_id, ''));
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, csrf TEXT NOT NULL,
    created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_daily (
    location_id TEXT NOT NULL, local_day TEXT NOT NULL, scale INTEGER NOT NULL, misuse INTEGER NOT NULL,
    f0 INTEGER NOT NULL DEFAULT 0, f1 INTEGER NOT NULL DEFAULT 0, f2 INTEGER NOT NULL DEFAULT 0,
    f3 INTEGER NOT NULL DEFAULT 0, f4 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (location_id, local_day, scale, misuse)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS rollup_daily_on_insert AFTER INSERT ON rollup_hourly BEGIN
    INSERT INTO rollup_daily (location_id, local_day, scale, misuse, f0, f1, f2, f3, f4)
    VALUES (NEW.location_id, NEW.local_day, NEW.scale, NEW.misuse, (NEW.face = 0) * NEW.n, (NEW.face = 1) * NEW.n,
            (NEW.face = 2) * NEW.n, (NEW.face = 3) * NEW.n, (NEW.face = 4) * NEW.n)
    ON CONFLICT DO UPDATE SET f0 = f0 + excluded.f0, f1 = f1 + excluded.f1, f2 = f2 + excluded.f2,
        f3 = f3 + excluded.f3, f4 = f4 + excluded.f4;
END;
CREATE TRIGGER IF NOT EXISTS rollup_daily_on_update AFTER UPDATE OF n ON rollup_hourly BEGIN
    UPDATE rollup_daily SET f0 = f0 + (NEW.face = 0) * (NEW.n - OLD.n), f1 = f1 + (NEW.face = 1) * (NEW.n - OLD.n),
        f2 = f2 + (NEW.face = 2) * (NEW.n - OLD.n), f3 = f3 + (NEW.face = 3) * (NEW.n - OLD.n),
        f4 = f4 + (NEW.face = 4) * (NEW.n - OLD.n)
    WHERE location_id = NEW.location_id AND local_day = NEW.local_day AND scale = NEW.scale AND misuse = NEW.misuse;
END;
CREATE TRIGGER IF NOT EXISTS rollup_daily_on_delete AFTER DELETE ON rollup_hourly BEGIN
    UPDATE rollup_daily SET f0 = f0 - (OLD.face = 0) * OLD.n, f1 = f1 - (OLD.face = 1) * OLD.n,
        f2 = f2 - (OLD.face = 2) * OLD.n, f3 = f3 - (OLD.face = 3) * OLD.n, f4 = f4 - (OLD.face = 4) * OLD.n
    WHERE location_id = OLD.location_id AND local_day = OLD.local_day AND scale = OLD.scale AND misuse = OLD.misuse;
END;
-- cumulative counts per location, scale and local day (everything up to and including that day), kept by
-- triggers: the counts of any range are two row lookups per location, however long the range. A tap for today
-- touches one row; a late one for day d also the (few) later days that have rows.
CREATE TABLE IF NOT EXISTS rollup_cum (
    location_id TEXT NOT NULL, scale INTEGER NOT NULL, local_day TEXT NOT NULL,
    f0 INTEGER NOT NULL DEFAULT 0, f1 INTEGER NOT NULL DEFAULT 0, f2 INTEGER NOT NULL DEFAULT 0,
    f3 INTEGER NOT NULL DEFAULT 0, f4 INTEGER NOT NULL DEFAULT 0, m0 INTEGER NOT NULL DEFAULT 0,
    m1 INTEGER NOT NULL DEFAULT 0, m2 INTEGER NOT NULL DEFAULT 0, m3 INTEGER NOT NULL DEFAULT 0,
    m4 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (location_id, scale, local_day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_scales (
    location_id TEXT NOT NULL, scale INTEGER NOT NULL, PRIMARY KEY (location_id, scale)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS rollup_cum_on_insert AFTER INSERT ON rollup_hourly
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_cum_paused') BEGIN
    INSERT OR IGNORE INTO rollup_scales (location_id, scale) VALUES (NEW.location_id, NEW.scale);
    INSERT OR IGNORE INTO rollup_cum (location_id, scale, local_day, f0, f1, f2, f3, f4, m0, m1, m2, m3, m4)
    SELECT NEW.location_id, NEW.scale, NEW.local_day, * FROM (
        SELECT * FROM (SELECT f0, f1, f2, f3, f4, m0, m1, m2, m3, m4 FROM rollup_cum
                       WHERE location_id = NEW.location_id AND scale = NEW.scale AND local_day < NEW.local_day
                       ORDER BY local_day DESC LIMIT 1)
        UNION ALL SELECT 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 LIMIT 1);
    UPDATE rollup_cum SET f0 = f0 + (NEW.misuse = 0 AND NEW.face = 0) * (NEW.n),
        f1 = f1 + (NEW.misuse = 0 AND NEW.face = 1) * (NEW.n),
        f2 = f2 + (NEW.misuse = 0 AND NEW.face = 2) * (NEW.n),
        f3 = f3 + (NEW.misuse = 0 AND NEW.face = 3) * (NEW.n),
        f4 = f4 + (NEW.misuse = 0 AND NEW.face = 4) * (NEW.n),
        m0 = m0 + (NEW.misuse = 1 AND NEW.face = 0) * (NEW.n),
        m1 = m1 + (NEW.misuse = 1 AND NEW.face = 1) * (NEW.n),
        m2 = m2 + (NEW.misuse = 1 AND NEW.face = 2) * (NEW.n),
        m3 = m3 + (NEW.misuse = 1 AND NEW.face = 3) * (NEW.n),
        m4 = m4 + (NEW.misuse = 1 AND NEW.face = 4) * (NEW.n)
    WHERE location_id = NEW.location_id AND scale = NEW.scale AND local_day >= NEW.local_day;
END;
CREATE TRIGGER IF NOT EXISTS rollup_cum_on_update AFTER UPDATE OF n ON rollup_hourly
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_cum_paused') BEGIN
    UPDATE rollup_cum SET f0 = f0 + (NEW.misuse = 0 AND NEW.face = 0) * (NEW.n - OLD.n),
        f1 = f1 + (NEW.misuse = 0 AND NEW.face = 1) * (NEW.n - OLD.n),
        f2 = f2 + (NEW.misuse = 0 AND NEW.face = 2) * (NEW.n - OLD.n),
        f3 = f3 + (NEW.misuse = 0 AND NEW.face = 3) * (NEW.n - OLD.n),
        f4 = f4 + (NEW.misuse = 0 AND NEW.face = 4) * (NEW.n - OLD.n),
        m0 = m0 + (NEW.misuse = 1 AND NEW.face = 0) * (NEW.n - OLD.n),
        m1 = m1 + (NEW.misuse = 1 AND NEW.face = 1) * (NEW.n - OLD.n),
        m2 = m2 + (NEW.misuse = 1 AND NEW.face = 2) * (NEW.n - OLD.n),
        m3 = m3 + (NEW.misuse = 1 AND NEW.face = 3) * (NEW.n - OLD.n),
        m4 = m4 + (NEW.misuse = 1 AND NEW.face = 4) * (NEW.n - OLD.n)
    WHERE location_id = NEW.location_id AND scale = NEW.scale AND local_day >= NEW.local_day;
END;
CREATE TRIGGER IF NOT EXISTS rollup_cum_on_delete AFTER DELETE ON rollup_hourly
WHEN NOT EXISTS (SELECT 1 FROM meta WHERE key = 'rollup_cum_paused') BEGIN
    UPDATE rollup_cum SET f0 = f0 + (OLD.misuse = 0 AND OLD.face = 0) * (-OLD.n),
        f1 = f1 + (OLD.misuse = 0 AND OLD.face = 1) * (-OLD.n),
        f2 = f2 + (OLD.misuse = 0 AND OLD.face = 2) * (-OLD.n),
        f3 = f3 + (OLD.misuse = 0 AND OLD.face = 3) * (-OLD.n),
        f4 = f4 + (OLD.misuse = 0 AND OLD.face = 4) * (-OLD.n),
        m0 = m0 + (OLD.misuse = 1 AND OLD.face = 0) * (-OLD.n),
        m1 = m1 + (OLD.misuse = 1 AND OLD.face = 1) * (-OLD.n),
        m2 = m2 + (OLD.misuse = 1 AND OLD.face = 2) * (-OLD.n),
        m3 = m3 + (OLD.misuse = 1 AND OLD.face = 3) * (-OLD.n),
        m4 = m4 + (OLD.misuse = 1 AND OLD.face = 4) * (-OLD.n)
    WHERE location_id = OLD.location_id AND scale = OLD.scale AND local_day >= OLD.local_day;
END;
-- the fleet page shows backlog and version from a kiosk's last "online" status, which its will replaces
CREATE TABLE IF NOT EXISTS kiosk_last_online (
    kiosk_id TEXT PRIMARY KEY, status_json TEXT NOT NULL, seen_ms INTEGER
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS kiosk_last_online_on_insert AFTER INSERT ON kiosk_state
WHEN CASE WHEN json_valid(NEW.status_json) THEN json_extract(NEW.status_json, '$.state') END = 'online' BEGIN
    INSERT INTO kiosk_last_online (kiosk_id, status_json, seen_ms) VALUES (NEW.kiosk_id, NEW.status_json,
        NEW.last_seen_ms)
    ON CONFLICT DO UPDATE SET status_json = excluded.status_json, seen_ms = excluded.seen_ms;
END;
CREATE TRIGGER IF NOT EXISTS kiosk_last_online_on_update AFTER UPDATE OF status_json ON kiosk_state
WHEN CASE WHEN json_valid(NEW.status_json) THEN json_extract(NEW.status_json, '$.state') END = 'online' BEGIN
    INSERT INTO kiosk_last_online (kiosk_id, status_json, seen_ms) VALUES (NEW.kiosk_id, NEW.status_json,
        NEW.last_seen_ms)
    ON CONFLICT DO UPDATE SET status_json = excluded.status_json, seen_ms = excluded.seen_ms;
END;
-- devices in the field (issue 4): remote kiosk settings per scope, and what each kiosk was sent / applied
CREATE TABLE IF NOT EXISTS config_settings (
    scope TEXT NOT NULL, scope_id TEXT NOT NULL, settings_json TEXT NOT NULL, updated_ms INTEGER NOT NULL,
    PRIMARY KEY (scope, scope_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kiosk_config (
    kiosk_id TEXT PRIMARY KEY, version INTEGER NOT NULL, settings_json TEXT NOT NULL, planned_ms INTEGER NOT NULL,
    published_version INTEGER, published_ms INTEGER, applied_version INTEGER, applied_ms INTEGER,
    refused_version INTEGER, refused_reason TEXT, refused_ms INTEGER
) WITHOUT ROWID;
"""


CUMULATIVE_FROM_HOURLY = """
INSERT INTO rollup_cum (location_id, scale, local_day, f0, f1, f2, f3, f4, m0, m1, m2, m3, m4)
SELECT location_id, scale, local_day,
    sum(sum((misuse = 0 AND face = 0) * n)) OVER w, sum(sum((misuse = 0 AND face = 1) * n)) OVER w,
    sum(sum((misuse = 0 AND face = 2) * n)) OVER w, sum(sum((misuse = 0 AND face = 3) * n)) OVER w,
    sum(sum((misuse = 0 AND face = 4) * n)) OVER w, sum(sum((misuse = 1 AND face = 0) * n)) OVER w,
    sum(sum((misuse = 1 AND face = 1) * n)) OVER w, sum(sum((misuse = 1 AND face = 2) * n)) OVER w,
    sum(sum((misuse = 1 AND face = 3) * n)) OVER w, sum(sum((misuse = 1 AND face = 4) * n)) OVER w
FROM rollup_hourly {where} GROUP BY location_id, scale, local_day
WINDOW w AS (PARTITION BY location_id, scale ORDER BY local_day)
"""


def _statements(script: str) -> list[str]:
    """Split a script into statements (triggers hold ``;`` inside them, so split where SQLite says one ends)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buf:
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def _base_schema(conn: sqlite3.Connection) -> None:
    """Version 1: every table, index and trigger (``IF NOT EXISTS``: databases made before versioning pass)."""
    for statement in _statements(SCHEMA):
        conn.execute(statement)


def _fill_daily_rollup(conn: sqlite3.Connection) -> None:
    """Version 2: ``rollup_daily`` built from ``rollup_hourly`` for a database made before it existed (its
    triggers keep it in step from then on; inside the migration's transaction nothing is counted twice)."""
    conn.execute("DELETE FROM rollup_daily")
    conn.execute(
        "INSERT INTO rollup_daily (location_id, local_day, scale, misuse, f0, f1, f2, f3, f4)"
        " SELECT location_id, local_day, scale, misuse, sum((face = 0) * n), sum((face = 1) * n),"
        " sum((face = 2) * n), sum((face = 3) * n), sum((face = 4) * n) FROM rollup_hourly"
        " GROUP BY location_id, local_day, scale, misuse"
    )


def _fill_cumulative_rollup(conn: sqlite3.Connection) -> None:
    """Version 3: ``rollup_cum`` and ``rollup_scales`` built from ``rollup_hourly`` (same reasoning)."""
    conn.execute("DELETE FROM rollup_cum")
    conn.execute("INSERT OR IGNORE INTO rollup_scales SELECT DISTINCT location_id, scale FROM rollup_hourly")
    conn.execute(CUMULATIVE_FROM_HOURLY.format(where=""))


def _drop_fill_flags(conn: sqlite3.Connection) -> None:
    """Version 4: the meta flags that marked the fills before migrations were versioned."""
    conn.execute("DELETE FROM meta WHERE key IN ('rollup_daily', 'rollup_cum')")


IMPORTS_SCHEMA = """
ALTER TABLE ratings ADD COLUMN imported INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX IF NOT EXISTS ratings_imported_feedback ON ratings(uuid) WHERE imported = 1;
CREATE TABLE IF NOT EXISTS import_ids (
    kind TEXT NOT NULL, foreign_id INTEGER NOT NULL, our_id TEXT NOT NULL, detail TEXT,
    PRIMARY KEY (kind, foreign_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS import_ids_ours ON import_ids(kind, our_id);
CREATE TABLE IF NOT EXISTS import_followups (
    feedback_id TEXT PRIMARY KEY, question_id INTEGER NOT NULL, option_id INTEGER NOT NULL,
    option_text TEXT NOT NULL, is_attached INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_files (
    file_key TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, rows_done INTEGER NOT NULL DEFAULT 0,
    stored INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, is_finished INTEGER NOT NULL DEFAULT 0,
    started_ms INTEGER NOT NULL, finished_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_refusals (
    file_key TEXT NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
    PRIMARY KEY (file_key, line)
) WITHOUT ROWID;
"""


def _imports(conn: sqlite3.Connection) -> None:
    """Version 5 (issue 13, HappyOrNot import): ``ratings.imported`` marks imported ratings, whose ``uuid`` is the
    export's ``feedbackId`` (unique among them: importing twice stores nothing twice); the foreign ids of
    experience points, smileys and surveys; follow-up answers; per-file progress and refused rows."""
    has_column = any(row[1] == "imported" for row in conn.execute("PRAGMA table_info(ratings)"))
    for statement in _statements(IMPORTS_SCHEMA):
        if not (has_column and statement.startswith("ALTER TABLE")):  # re-run on a database that has it
            conn.execute(statement)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _base_schema,
    _fill_daily_rollup,
    _fill_cumulative_rollup,
    _drop_fill_flags,
    _imports,
]


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks; returns the version it is at."""
    if schema_version(conn) >= len(MIGRATIONS):
        return schema_version(conn)
    with immediate(conn):
        done = schema_version(conn)  # another process may have migrated while this one waited for the lock
        for version, step in enumerate(MIGRATIONS[done:], start=done + 1):
            step(conn)
            conn.execute(f"PRAGMA user_version = {version}")
    return schema_version(conn)

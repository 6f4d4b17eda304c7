"""Opening the hub's SQLite database: one file, WAL, synchronous=FULL, schema migrated on open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

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
"""


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating and migrating) the hub database at ``path``; one connection per thread."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(p), isolation_level=None, timeout=30.0, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    return db


def registry_version(db: sqlite_utils.Database) -> int:
    row = db.conn.execute("SELECT value FROM meta WHERE key = 'registry_version'").fetchone()
    return int(row[0]) if row else 0


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                    (key, value, value))

"""The hub's PostgreSQL schema and its versioned migrations (this engine's own list; ``sqlite/schema.py`` has the
other).

The version lives in ``schema_version`` (one row). Opening a store applies, in one transaction under an advisory
lock (several hub processes may start at once: the second waits, then finds the work done), every migration
after that version. A new table, column or index is a new function appended to ``MIGRATIONS`` — never an edit of
an applied one — beside its twin in the SQLite list.
"""

from __future__ import annotations

from collections.abc import Callable

from hub.store.postgresql.connection import Conn
from hub.store.postgresql.ddl import TABLES, TRIGGERS

MIGRATION_LOCK = 0x6875625F73636D61  # pg_advisory_xact_lock key: "hub_scma"


def _base_schema(conn: Conn) -> None:
    """Version 1: every table, index and trigger of the SQLite schema at its version 13."""
    conn.raw.execute(TABLES)
    conn.raw.execute(TRIGGERS)


def _ingest_workers(conn: Conn) -> None:
    """Version 2 (issue 15, several ingest workers): the workers sharing this store and which of them handled a
    kiosk's fresh birth (``statuses.store_status``); per kiosk, a gap first seen when (``ledger.resend_decision``:
    another worker's batch may still be in flight)."""
    conn.execute("CREATE TABLE ingest_workers (client_id TEXT PRIMARY KEY, joined_ms BIGINT NOT NULL)")
    conn.execute(
        "CREATE TABLE births_seen (kiosk_id TEXT NOT NULL, birth_id TEXT NOT NULL, client_id TEXT NOT NULL,"
        " seen_ms BIGINT NOT NULL, PRIMARY KEY (kiosk_id, birth_id, client_id))"
    )
    conn.execute("ALTER TABLE kiosk_state ADD COLUMN gap_through BIGINT, ADD COLUMN gap_seen_ms BIGINT")


def _leases(conn: Conn) -> None:
    """Version 3 (issue 15, several ``hub serve`` processes on one store): named leases, so one process at a time
    evaluates alerts and one plans and publishes kiosk configs (``hub.leadership``); the twin of SQLite's 14."""
    conn.execute("CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms BIGINT NOT NULL)")


MIGRATIONS: list[Callable[[Conn], None]] = [_base_schema, _ingest_workers, _leases]


def schema_version(conn: Conn) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(conn: Conn) -> int:
    """Apply the migrations this database lacks; returns the version it is at."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
        done = schema_version(conn)  # another process may have migrated while this one waited for the lock
        for version, step in enumerate(MIGRATIONS[done:], start=done + 1):
            step(conn)
            conn.execute("DELETE FROM schema_version")
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        return schema_version(conn)

"""The PostgreSQL store's migrations: versioned like SQLite's, applied once under an advisory lock."""

from __future__ import annotations

import threading

from hub.store import open_store
from hub.store.postgresql.connection import Conn
from hub.store.postgresql.schema import MIGRATIONS, migrate, schema_version
from tests.postgres import PostgresServer


def test_stores_opened_at_once_on_a_new_database_migrate_it_once(postgres_server: PostgresServer) -> None:
    """Four hub processes starting together on an empty database: each waits for the lock, one migrates, all
    find the latest version, and a second migrate changes nothing."""
    url = postgres_server.new_database(migrated=False)
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            open_store(url).close()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    conn = Conn(url)
    try:
        assert schema_version(conn) == len(MIGRATIONS) == migrate(conn)
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_database_at_version_1_gets_the_later_migrations(postgres_server: PostgresServer) -> None:
    """A database migrated to version 1 only (before the ingest workers' tables) gains them on open."""
    url = postgres_server.new_database(migrated=False)
    conn = Conn(url)
    try:
        with conn.transaction():
            schema_version(conn)  # creates the version table
            MIGRATIONS[0](conn)
            conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        open_store(url).close()
        assert schema_version(conn) == len(MIGRATIONS)
        assert conn.execute("SELECT count(*) FROM ingest_workers").fetchone()[0] == 0
    finally:
        conn.close()

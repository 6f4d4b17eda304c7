"""The PostgreSQL engine (psycopg 3): a server several hub processes and machines share.

``PostgresStore`` is one connection (autocommit, explicit transactions, reopened after the server dropped it)
with the store's parts on it, one module per part as in ``hub.store.sqlite``. Open one per thread. Every
connection or serialisation failure is raised as ``StoreUnavailable`` (retry later; nothing was committed).
Commits are durable when they return (``synchronous_commit`` on, the server default).
"""

from __future__ import annotations

from feedback import protocol as p
from feedback.remote_config import ConfigReport
from hub.store.postgresql import ledger, rollups, statuses
from hub.store.postgresql.accounts import Accounts
from hub.store.postgresql.connection import Db, unavailable_on_failure
from hub.store.postgresql.exports import Exports
from hub.store.postgresql.ops import Ops
from hub.store.postgresql.reads import Reads
from hub.store.postgresql.registry import Registry
from hub.store.postgresql.schema import migrate
from hub.store.postgresql.settings import KioskSettings
from hub.store.postgresql.tables import Tables
from hub.store.records import Incoming, Outcome, Recomputed


class Ledger:
    """The ingest's writes: each call is one transaction, committed before it returns."""

    def __init__(self, db: Db) -> None:
        self._db = db

    def store_batch(self, items: list[Incoming], *, now_ms: int) -> Outcome:
        """Store ratings exactly once; the caller acknowledges (PUBACK + app ack) only after it returns.

        :raises StoreUnavailable: the server is gone, or the transaction lost a deadlock; nothing was stored
        """
        with unavailable_on_failure():
            return ledger.store_batch(self._db.conn, items, now_ms=now_ms)

    def store_status(
        self, kiosk_id: str, status: p.Status, *, received_ms: int, is_retained: bool, worker: str | None = None
    ) -> p.Ack | None:
        with unavailable_on_failure():
            return statuses.store_status(
                self._db.conn, kiosk_id, status, received_ms=received_ms, is_retained=is_retained, worker=worker
            )

    def register_worker(self, client_id: str, *, now_ms: int) -> None:
        with unavailable_on_failure():
            statuses.register_worker(self._db.conn, client_id, now_ms=now_ms)

    def retire_worker(self, client_id: str) -> bool:
        with unavailable_on_failure():
            return statuses.retire_worker(self._db.conn, client_id)

    def store_config_report(self, kiosk_id: str, report: ConfigReport, *, received_ms: int) -> None:
        with unavailable_on_failure():
            statuses.store_report(self._db.conn, kiosk_id, report, received_ms=received_ms)

    def promote_quarantine(self, kiosk_id: str, *, now_ms: int) -> int:
        """Move a newly registered kiosk's quarantined ratings into its location; returns how many."""
        with unavailable_on_failure():
            return statuses.promote_quarantine(self._db.conn, kiosk_id, now_ms=now_ms)

    def next_hub_epoch(self) -> int:
        with unavailable_on_failure():
            return statuses.next_hub_epoch(self._db.conn)


class Rollups:
    def __init__(self, db: Db) -> None:
        self._db = db

    def recompute_location(self, location_id: str, *, interval_s: float) -> Recomputed:
        """Store ``interval_s`` as the location's rule, re-flag its ratings under it, rebuild its rollups."""
        with unavailable_on_failure():
            return rollups.recompute_location(self._db.conn, location_id, interval_s=interval_s)

    def rebuild_location(self, location_id: str) -> None:
        """Rebuild one location's rollups from its raw ratings (one transaction)."""
        with self._db.transaction() as conn:
            rollups.rebuild_rollups(conn, location_id)


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.target = url
        self.db = Db(url)
        with unavailable_on_failure():
            migrate(self.db.conn)
        self.registry = Registry(self.db)
        self.accounts = Accounts(self.db)
        self.settings = KioskSettings(self.db)
        self.ledger = Ledger(self.db)
        self.rollups = Rollups(self.db)
        self.reads = Reads(self.db)
        self.exports = Exports(url)
        self.ops = Ops(self.db)
        self.tables = Tables(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

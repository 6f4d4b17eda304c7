"""The PostgreSQL engine (psycopg 3): a server several hub processes and machines share.

``PostgresStore`` is one connection (autocommit, explicit transactions, opened again after the server dropped
it) with the store's parts on it, one module per part as in ``hub.store.sqlite``. Open one per thread. Every
connection, serialisation or lock-wait failure is raised as ``StoreUnavailable`` (retry later; nothing was
committed). Commits are durable when they return (``synchronous_commit`` on, the server default).
"""

from __future__ import annotations

from collections.abc import Sequence

from feedback import protocol as p
from feedback.abuse import TapLimit
from feedback.remote_config import ConfigReport
from hub.store.engine import Engine
from hub.store.portable.accounts import Accounts
from hub.store.portable.alerts import Alerts
from hub.store.portable.audit import AuditLog
from hub.store.portable.compat import CompatReads
from hub.store.portable.deliveries import Deliveries
from hub.store.portable.leases import Leases
from hub.store.portable.ops import Ops
from hub.store.portable.questions import Questions
from hub.store.portable.reads import Reads
from hub.store.portable.registry import Registry
from hub.store.portable.settings import KioskSettings
from hub.store.portable.sign_ins import SignIns
from hub.store.postgresql import ledger, rollups, statuses
from hub.store.postgresql.changes import Changes
from hub.store.postgresql.connection import Conn, transaction
from hub.store.postgresql.exports import Exports
from hub.store.postgresql.imports import Imports
from hub.store.postgresql.schema import migrate
from hub.store.postgresql.tables import Tables
from hub.store.records import Incoming, IngestStep, Outcome, Recomputed, StatusIn

ENGINE = Engine(
    name="postgresql",
    write=transaction,
    iso_weekday=lambda day: f"extract(isodow FROM {day}::date)::int",
    ordered_join="JOIN",
    reflag_locations=rollups.reflag_locations,
    row_id="id",
    serialise=lambda conn, table: conn.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"),
)


class Ledger:
    """The ingest's writes: each call is one transaction, committed before it returns."""

    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    def store_batch(self, items: list[Incoming], *, now_ms: int, limit: TapLimit = ledger.DEFAULT_LIMIT) -> Outcome:
        """Store ratings exactly once, judged by the hub's own rules (``feedback.abuse``); the caller acknowledges
        (PUBACK + app ack) only after it returns.

        :raises StoreUnavailable: the server is gone, a lock wait timed out, or the transaction lost a deadlock;
            nothing was stored
        """
        return ledger.store_batch(self._conn, items, now_ms=now_ms, limit=limit)

    def store_status(
        self, kiosk_id: str, status: p.Status, *, received_ms: int, is_retained: bool, worker: str | None = None
    ) -> p.Ack | None:
        return statuses.store_status(
            self._conn, kiosk_id, status, received_ms=received_ms, is_retained=is_retained, worker=worker
        )

    steps_share_a_transaction = False

    def store_in_order(
        self, steps: Sequence[IngestStep], *, now_ms: int, limit: TapLimit = ledger.DEFAULT_LIMIT
    ) -> list[Outcome | p.Ack | None]:
        """Each step as ``store_batch`` or ``store_status``, in order, each its own transaction: several workers
        take the rollup locks and the kiosks' state rows in their own orders, and a status joined to a ratings
        transaction would hold both kinds at once. A failure leaves the steps before it committed, so the
        ingest retries step by step here (``steps_share_a_transaction``)."""
        return [
            self.store_status(
                s.kiosk_id, s.status, received_ms=s.received_ms, is_retained=s.is_retained, worker=s.worker
            )
            if isinstance(s, StatusIn)
            else self.store_batch(s, now_ms=now_ms, limit=limit)
            for s in steps
        ]

    def register_worker(self, client_id: str, *, now_ms: int) -> None:
        statuses.register_worker(self._conn, client_id, now_ms=now_ms)

    def retire_worker(self, client_id: str) -> bool:
        return statuses.retire_worker(self._conn, client_id)

    def store_config_report(self, kiosk_id: str, report: ConfigReport, *, received_ms: int) -> None:
        statuses.store_report(self._conn, kiosk_id, report, received_ms=received_ms)

    def promote_quarantine(self, kiosk_id: str, *, now_ms: int) -> int:
        """Move a newly registered kiosk's quarantined ratings into its location; returns how many."""
        return statuses.promote_quarantine(self._conn, kiosk_id, now_ms=now_ms)

    def next_hub_epoch(self) -> int:
        return statuses.next_hub_epoch(self._conn)


class Rollups:
    def __init__(self, conn: Conn) -> None:
        self._conn = conn

    def recompute_location(self, location_id: str, *, interval_s: float) -> Recomputed:
        """Store ``interval_s`` as the location's rule, re-flag its ratings under it, rebuild its rollups."""
        return rollups.recompute_location(self._conn, location_id, interval_s=interval_s)

    def rebuild_location(self, location_id: str) -> None:
        """Rebuild one location's rollups from its raw ratings (one transaction)."""
        with transaction(self._conn):
            rollups.rebuild_rollups(self._conn, location_id)


class PostgresStore:
    engine = "postgresql"

    def __init__(self, url: str) -> None:
        self.target = url
        self.conn = Conn(url)
        migrate(self.conn)
        self.registry = Registry(self.conn, ENGINE)
        self.accounts = Accounts(self.conn, ENGINE)
        self.settings = KioskSettings(self.conn, ENGINE)
        self.ledger = Ledger(self.conn)
        self.rollups = Rollups(self.conn)
        self.reads = Reads(self.conn, ENGINE)
        self.exports = Exports(url)
        self.ops = Ops(self.conn, ENGINE)
        self.sign_ins = SignIns(self.conn, ENGINE)
        self.audit = AuditLog(self.conn, ENGINE)
        self.questions = Questions(self.conn, ENGINE)
        self.tables = Tables(self.conn)
        self.alerts = Alerts(self.conn, ENGINE)
        self.deliveries = Deliveries(self.conn, ENGINE)
        self.imports = Imports(self.conn)
        self.compat = CompatReads(self.conn, ENGINE)
        self.leases = Leases(self.conn, ENGINE)
        self.changes = Changes(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The embedded SQLite engine: one file (``hub.db`` in the data dir), WAL, synchronous=FULL.

``SqliteStore`` is one connection with the store's parts on it. Open one per thread; several processes may open
the same file (SQLite serialises writers; every write path takes ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
from hub.store.records import Incoming, IngestStep, Outcome, Recomputed, StatusIn
from hub.store.sqlite import ledger, rollups, statuses
from hub.store.sqlite.changes import Changes
from hub.store.sqlite.connection import connect, immediate, unavailable_when_busy, write
from hub.store.sqlite.exports import Exports
from hub.store.sqlite.imports import Imports
from hub.store.sqlite.schema import migrate
from hub.store.sqlite.tables import Tables

ENGINE = Engine(
    name="sqlite",
    write=write,
    iso_weekday=lambda day: f"(CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7 + 1",
    ordered_join="CROSS JOIN",
    reflag_locations=rollups.reflag_locations,
    row_id="rowid",
    serialise=lambda conn, table: None,  # BEGIN IMMEDIATE: the one writer already
)


class Ledger:
    """The ingest's writes: each call is one transaction, committed (synchronous=FULL) before it returns."""

    def __init__(self, store: SqliteStore) -> None:
        self._conn = store.conn

    def store_batch(self, items: list[Incoming], *, now_ms: int, limit: TapLimit = ledger.DEFAULT_LIMIT) -> Outcome:
        """Store ratings exactly once, judged by the hub's own rules (``feedback.abuse``: time order, misuse,
        the tap ``limit``); the caller acknowledges (PUBACK + app ack) only after it returns.

        :raises StoreUnavailable: busy or failing; nothing was stored
        """
        with unavailable_when_busy():
            return ledger.store_batch(self._conn, items, now_ms=now_ms, limit=limit)

    def store_status(
        self, kiosk_id: str, status: p.Status, *, received_ms: int, is_retained: bool, worker: str | None = None
    ) -> p.Ack | None:
        """Record a kiosk's presence; the ack to send back, if any (``worker`` is for PostgreSQL's several
        ingest workers: a SQLite file has one ingest, which answers every birth itself)."""
        with unavailable_when_busy():
            return statuses.store_status(self._conn, kiosk_id, status, received_ms=received_ms, is_retained=is_retained)

    steps_share_a_transaction = True

    def store_in_order(
        self, steps: Sequence[IngestStep], *, now_ms: int, limit: TapLimit = ledger.DEFAULT_LIMIT
    ) -> list[Outcome | p.Ack | None]:
        """Each step as ``store_batch`` or ``store_status`` would, in order, all in one transaction: a fleet
        reconnecting sends a birth per kiosk between its ratings, and a commit (an fsync) per status cost the
        ingest more than its ratings did (``bench.fleet_reconnect``).

        :raises StoreUnavailable: busy or failing; nothing was stored
        """
        results: list[Outcome | p.Ack | None] = []
        with unavailable_when_busy(), immediate(self._conn):
            for step in steps:
                if isinstance(step, StatusIn):
                    results.append(
                        statuses.status_in_transaction(
                            self._conn, step.kiosk_id, step.status, received_ms=step.received_ms,
                            is_retained=step.is_retained,
                        )
                    )  # fmt: skip
                else:
                    results.append(ledger.store_in_transaction(self._conn, step, now_ms=now_ms, limit=limit))
        return results

    def register_worker(self, client_id: str, *, now_ms: int) -> None:
        """Nothing to register: a SQLite file has one ingest worker (``hub ingest`` needs PostgreSQL)."""

    def retire_worker(self, client_id: str) -> bool:
        return False

    def store_config_report(self, kiosk_id: str, report: ConfigReport, *, received_ms: int) -> None:
        with unavailable_when_busy():
            statuses.store_report(self._conn, kiosk_id, report, received_ms=received_ms)

    def promote_quarantine(self, kiosk_id: str, *, now_ms: int) -> int:
        """Move a newly registered kiosk's quarantined ratings into its location; returns how many."""
        return statuses.promote_quarantine(self._conn, kiosk_id, now_ms=now_ms)

    def next_hub_epoch(self) -> int:
        with unavailable_when_busy():
            return statuses.next_hub_epoch(self._conn)


class Rollups:
    def __init__(self, store: SqliteStore) -> None:
        self._conn = store.conn

    def recompute_location(self, location_id: str, *, interval_s: float) -> Recomputed:
        """Store ``interval_s`` as the location's rule, re-flag its ratings under it, rebuild its rollups."""
        return rollups.recompute_location(self._conn, location_id, interval_s=interval_s)

    def rebuild_location(self, location_id: str) -> None:
        """Rebuild one location's rollups from its raw ratings (one transaction)."""
        with immediate(self._conn):
            rollups.rebuild_rollups(self._conn, location_id)


class SqliteStore:
    engine = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.target = str(path)
        self.conn = connect(self.path)
        migrate(self.conn)
        self.registry = Registry(self.conn, ENGINE)
        self.accounts = Accounts(self.conn, ENGINE)
        self.settings = KioskSettings(self.conn, ENGINE)
        self.ledger = Ledger(self)
        self.rollups = Rollups(self)
        self.reads = Reads(self.conn, ENGINE)
        self.exports = Exports(self.path)
        self.ops = Ops(self.conn, ENGINE)
        self.sign_ins = SignIns(self.conn, ENGINE)
        self.alerts = Alerts(self.conn, ENGINE)
        self.deliveries = Deliveries(self.conn, ENGINE)
        self.audit = AuditLog(self.conn, ENGINE)
        self.questions = Questions(self.conn, ENGINE)
        self.imports = Imports(self.conn)
        self.compat = CompatReads(self.conn, ENGINE)
        self.tables = Tables(self.conn)
        self.leases = Leases(self.conn, ENGINE)
        self.changes = Changes()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

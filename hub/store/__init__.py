"""The hub's store: the only place that holds SQL. Everything else receives a ``Store`` and calls its parts:

- ``registry``: regions, locations, kiosks and their moves;
- ``ledger``: the ingest's transactions (ratings exactly once, statuses, reports, quarantine);
- ``rollups``: misuse recompute and rebuilds;
- ``reads``: the counts reports are computed from; ``exports``: streamed rows for CSV;
- ``accounts``: users, sessions, API tokens; ``settings``: remote kiosk settings and their versions;
- ``ops``: hub-wide values, /metrics figures, rejections, quarantine, presence;
- ``sign_ins``: failed sign-ins by client and name (the login throttle's state, the admins' view).
- ``alerts``: alert rules, alerts and their history, the facts they are evaluated on; ``deliveries``: the
  e-mail/webhook queue, reports sent, users' contact details and alert settings.
- ``audit``: the audit log of administrative changes (who, what, when);
- ``questions``: question texts per language with history, and counts per question (from the raw ratings).
- ``imports``: another system's history (HappyOrNot) into ratings and rollups, resumable; ``compat``: rows for
  the HappyOrNot-compatible read API.

``Store`` is the interface (``hub.store.interface``, one Protocol per part). Engines are siblings under this
package, each keeping its own SQL: ``hub.store.sqlite`` (the embedded default, one file) and
``hub.store.postgresql`` (a server several hub processes and machines share).
"""

from __future__ import annotations

from pathlib import Path

from hub.store.interface import Store

__all__ = ["Store", "is_postgresql_url", "open_store"]


def is_postgresql_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_store(target: str | Path) -> Store:
    """Open (creating and migrating) the store at ``target``: a ``postgresql://USER:PASS@HOST:PORT/DB`` URL, or
    the path of the SQLite file (``hub.db`` in a data dir).

    :raises StoreUnavailable: the PostgreSQL server does not answer
    """
    if is_postgresql_url(target):
        from hub.store.postgresql import PostgresStore  # imported here: SQLite-only hubs load no psycopg

        return PostgresStore(str(target))
    from hub.store.sqlite import SqliteStore

    return SqliteStore(target)

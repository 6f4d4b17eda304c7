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

Engines are siblings under this package, each keeping its own SQL (``hub.store.sqlite`` is the embedded default).
"""

from __future__ import annotations

from pathlib import Path

from hub.store.sqlite import SqliteStore

Store = SqliteStore


def open_store(path: str | Path) -> Store:
    """Open (creating and migrating) the store at ``path``: the SQLite file ``hub.db`` in a data dir."""
    return SqliteStore(path)

"""The hub's store: the only place that holds SQL. Everything else receives a ``Store`` and calls its parts:

- ``registry``: regions, locations, kiosks and their moves;
- ``ledger``: the ingest's transactions (ratings exactly once, statuses, reports, quarantine);
- ``rollups``: misuse recompute and rebuilds;
- ``reads``: the counts reports are computed from; ``exports``: streamed rows for CSV;
- ``accounts``: users, sessions, API tokens; ``settings``: remote kiosk settings and their versions;
- ``ops``: hub-wide values, /metrics figures, rejections, quarantine, presence;
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

"""Change notices between processes: none on SQLite. Its one ``hub serve`` process ingests and serves the pages
itself (``hub ingest`` workers and several serve processes need PostgreSQL), so ``hub.changes.ChangeFeed`` carries
every notice in memory; ``hub/store/postgresql/changes.py`` is the shared twin."""

from __future__ import annotations

from collections.abc import Collection


class Changes:
    reaches_other_processes = False

    def announce(self, location_ids: Collection[str]) -> None:
        """Nothing: no other process listens."""

    def wait(self, timeout_s: float) -> set[str]:
        """Nothing arrives from other processes (callers check ``reaches_other_processes`` and never wait)."""
        return set()

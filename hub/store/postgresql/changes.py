"""Change notices between the hub processes sharing this server: ``NOTIFY hub_changes`` with the location ids
that got new answers, ``LISTEN`` in every ``hub serve`` process (``hub.changes.ChangeRelay``).

A notice is delivered after its transaction commits, to every listening session, and lost for a session not
listening then (a dropped connection): the open pages' slow poll covers that.
"""

from __future__ import annotations

from collections.abc import Collection

from hub.store.postgresql.connection import Conn, unavailable_on_failure

CHANNEL = "hub_changes"
MAX_PAYLOAD = 7000  # PostgreSQL refuses a payload of 8000 bytes or more


class Changes:
    reaches_other_processes = True

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._listening_on: object = None

    def announce(self, location_ids: Collection[str]) -> None:
        """Tell every listening process that these locations have new answers (a few notices if many)."""
        chunk: list[str] = []
        for loc in sorted(location_ids):
            if chunk and sum(len(c) + 1 for c in chunk) + len(loc) > MAX_PAYLOAD:
                self.conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, ",".join(chunk)))
                chunk = []
            chunk.append(loc)
        if chunk:
            self.conn.execute("SELECT pg_notify(?, ?)", (CHANNEL, ",".join(chunk)))

    def wait(self, timeout_s: float) -> set[str]:
        """The locations announced by any process within ``timeout_s`` (listening from the first call, and again
        on a connection opened anew); an empty set when none were."""
        raw = self.conn.raw
        if raw is not self._listening_on:
            self.conn.execute(f"LISTEN {CHANNEL}")
            self._listening_on = raw
        out: set[str] = set()
        with unavailable_on_failure():
            for note in raw.notifies(timeout=timeout_s, stop_after=1):
                out.update(i for i in note.payload.split(",") if i)
            for note in raw.notifies(timeout=0):  # whatever else arrived meanwhile, without waiting
                out.update(i for i in note.payload.split(",") if i)
        return out

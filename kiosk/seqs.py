"""The outbox's seq bookkeeping, as functions over an open outbox connection (the caller holds the write
transaction): the last seq handed out, the hub's cumulative ack, and the seq floor of a fresh outbox."""

from __future__ import annotations

import sqlite3


def last_seq(conn: sqlite3.Connection) -> int:
    """The highest seq ever handed out (AUTOINCREMENT keeps it after old rows are pruned)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(row[0]) if row else 0


def acked_through(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'acked_through'").fetchone()
    return int(row[0]) if row else 0


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def confirm_seq_floor(conn: sqlite3.Connection, hub_through: int) -> int | None:
    """Make sure this outbox never reuses a seq the hub already holds for this kiosk id.

    Called once, with the hub's answer to this outbox's first birth, before anything is sent. A fresh
    outbox under an id the hub knows (a re-flashed SD card, a replaced device) would otherwise start at
    seq 1 again and its taps would be taken for duplicates. Its rows, none of them ever sent, are moved to
    start after ``hub_through``. Returns the shift, or None while a rating is held for a follow-up (its
    seq is in the UI's hands): call again later.
    """
    if conn.execute("SELECT 1 FROM meta WHERE key = 'seq_floor_confirmed'").fetchone():
        return 0
    if conn.execute("SELECT 1 FROM outbox WHERE held = 1 LIMIT 1").fetchone():
        return None
    low = conn.execute("SELECT min(seq) FROM outbox").fetchone()[0]
    shift = 0
    if low is not None and hub_through >= low:
        shift = hub_through - low + 1
        conn.execute("UPDATE outbox SET seq = -seq")  # two steps: no transient key collisions
        conn.execute("UPDATE outbox SET seq = ? - seq", (shift,))
    last = max(last_seq(conn) + shift, hub_through)
    if conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", (last,)).rowcount == 0:
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", (last,))
    if hub_through > acked_through(conn):
        set_meta(conn, "acked_through", str(hub_through))
    set_meta(conn, "seq_floor_confirmed", str(hub_through))
    return shift

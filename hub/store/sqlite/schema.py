"""The hub's SQLite schema and its versioned migrations.

The database records its version in ``PRAGMA user_version``; opening it applies, in one write transaction, every
migration after that version (several processes may open it at once: the second finds the work done). A new
table, column or index is a new function appended to ``MIGRATIONS`` — never an edit of an applied one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from hub.store.portable.cumulative import COLUMNS
from hub.store.sqlite import cumulative
from hub.store.sqlite.connection import immediate
from hub.store.sqlite.ddl import CUMULATIVE_FROM_HOURLY, SCHEMA
from hub.store.sqlite.rollups import reflag_closed


def _statements(script: str) -> list[str]:
    """Split a script into statements (triggers hold ``;`` inside them, so split where SQLite says one ends)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buf:
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def _add_columns(conn: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Add the columns ``{name: type and constraints}`` that ``table`` lacks: a migration re-run on a database whose
    version was set back must not fail on a column it added before."""
    have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    for name, ddl in columns.items():
        if name not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {ddl}")


def _base_schema(conn: sqlite3.Connection) -> None:
    """Version 1: every table, index and trigger (``IF NOT EXISTS``: databases made before versioning pass)."""
    for statement in _statements(SCHEMA):
        conn.execute(statement)


def _fill_daily_rollup(conn: sqlite3.Connection) -> None:
    """Version 2: ``rollup_daily`` built from ``rollup_hourly`` for a database made before it existed (its
    triggers keep it in step from then on; inside the migration's transaction nothing is counted twice)."""
    conn.execute("DELETE FROM rollup_daily")
    conn.execute(
        "INSERT INTO rollup_daily (location_id, local_day, scale, misuse, f0, f1, f2, f3, f4)"
        " SELECT location_id, local_day, scale, misuse, sum((face = 0) * n), sum((face = 1) * n),"
        " sum((face = 2) * n), sum((face = 3) * n), sum((face = 4) * n) FROM rollup_hourly"
        " GROUP BY location_id, local_day, scale, misuse"
    )


def _fill_cumulative_rollup(conn: sqlite3.Connection) -> None:
    """Version 3: ``rollup_cum`` and ``rollup_scales`` built from ``rollup_hourly`` (same reasoning)."""
    conn.execute("DELETE FROM rollup_cum")
    conn.execute("INSERT OR IGNORE INTO rollup_scales SELECT DISTINCT location_id, scale FROM rollup_hourly")
    conn.execute(CUMULATIVE_FROM_HOURLY.format(where=""))


def _drop_fill_flags(conn: sqlite3.Connection) -> None:
    """Version 4: the meta flags that marked the fills before migrations were versioned."""
    conn.execute("DELETE FROM meta WHERE key IN ('rollup_daily', 'rollup_cum')")


def _rejected_rating_seq(conn: sqlite3.Connection) -> None:
    """Version 5: every rating-level refusal names its seq in ``rating_seq`` (``seq`` stays the held marker, NULL
    for a ``seq_conflict``, whose seq another rating holds)."""
    _add_columns(conn, "rejected", {"rating_seq": "INTEGER"})
    conn.execute("UPDATE rejected SET rating_seq = seq")
    conn.execute(
        "UPDATE rejected SET rating_seq = json_extract(payload, '$.seq')"
        " WHERE reason = 'seq_conflict' AND json_valid(payload)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS rejected_kiosk_rating_seq ON rejected(kiosk_id, rating_seq)")


def _sign_in_failures(conn: sqlite3.Connection) -> None:
    """Failed sign-ins by client address and user name, for the throttle (``hub.web.login_throttle``) and the
    admins' view: shared by every hub process on this file, kept across restarts, trimmed on every write."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS sign_in_failures (client TEXT NOT NULL, name TEXT NOT NULL, at_ms INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS sign_in_failures_by_client ON sign_in_failures (client, at_ms)")
    conn.execute("CREATE INDEX IF NOT EXISTS sign_in_failures_by_time ON sign_in_failures (at_ms)")


def _kiosk_taps(conn: sqlite3.Connection) -> None:
    """Each kiosk's tap state for the hub's own misuse and tap-rate rules (``feedback.abuse``)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS kiosk_taps (kiosk_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL,"
        " last_tap_ms INTEGER, window_start_ms INTEGER, window_taps INTEGER NOT NULL DEFAULT 0,"
        " over_limit_total INTEGER NOT NULL DEFAULT 0, over_limit_ms INTEGER)"
    )


ALERTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_rules (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, scope TEXT NOT NULL, scope_id TEXT, threshold REAL NOT NULL,
    window TEXT, min_answers INTEGER NOT NULL DEFAULT 0, include_misuse INTEGER NOT NULL DEFAULT 0,
    owner TEXT NOT NULL, owner_role TEXT NOT NULL, created_ms INTEGER NOT NULL, is_removed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY, rule_id INTEGER NOT NULL REFERENCES alert_rules(id), location_id TEXT NOT NULL,
    subject TEXT NOT NULL, state TEXT NOT NULL, value REAL, detail TEXT NOT NULL, opened_ms INTEGER NOT NULL,
    closed_ms INTEGER, ack_by TEXT, ack_comment TEXT, ack_ms INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_one_live ON alerts(rule_id, location_id, subject) WHERE state != 'closed';
CREATE INDEX IF NOT EXISTS alerts_location ON alerts(location_id, opened_ms);
CREATE TABLE IF NOT EXISTS alert_events (
    alert_id INTEGER NOT NULL REFERENCES alerts(id), at_ms INTEGER NOT NULL, event TEXT NOT NULL, user_id TEXT,
    comment TEXT
);
CREATE INDEX IF NOT EXISTS alert_events_alert ON alert_events(alert_id, at_ms);
CREATE TABLE IF NOT EXISTS alert_settings (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE, email_alerts INTEGER NOT NULL DEFAULT 1,
    webhook_url TEXT, report_period TEXT, report_time TEXT NOT NULL DEFAULT '07:00'
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_scopes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE, location_id TEXT, region_id TEXT,
    CHECK ((location_id IS NULL) != (region_id IS NULL))
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY, channel TEXT NOT NULL, target TEXT NOT NULL, user_id TEXT, alert_id INTEGER,
    report_key TEXT, subject TEXT NOT NULL, payload BLOB NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_ms INTEGER NOT NULL, last_error TEXT, created_ms INTEGER NOT NULL, done_ms INTEGER
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_ms);
CREATE TABLE IF NOT EXISTS reports_sent (
    user_id TEXT NOT NULL, period TEXT NOT NULL, period_start TEXT NOT NULL, sent_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, period, period_start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS backlog_trend (
    kiosk_id TEXT PRIMARY KEY, backlog INTEGER NOT NULL, growing_since_ms INTEGER
) WITHOUT ROWID;
"""


def _alerts(conn: sqlite3.Connection) -> None:
    """Version 8 (issue 10): alert rules, alerts and their history, per-user delivery settings and scopes, the
    delivery queue (e-mail and webhooks), scheduled reports sent, and users' e-mail, language and time zone."""
    for statement in _statements(ALERTS_SCHEMA):
        conn.execute(statement)
    _add_columns(
        conn,
        "users",
        {
            "email": "TEXT",
            "language": "TEXT NOT NULL DEFAULT 'sv'",
            "timezone": "TEXT NOT NULL DEFAULT 'Europe/Stockholm'",
        },
    )


def _administration(conn: sqlite3.Connection) -> None:
    """Version 9 (issue 11): the audit log of administrative changes; kiosks' friendly names and retirement;
    locations' dated opening-hour exceptions (holidays)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, target TEXT NOT NULL, detail_json TEXT NOT NULL DEFAULT '{}')"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at_ms)")
    _add_columns(conn, "kiosks", {"name": "TEXT", "retired_ms": "INTEGER"})
    _add_columns(conn, "locations", {"opening_exceptions": "TEXT"})


def _questions(conn: sqlite3.Connection) -> None:
    """Version 10 (issue 11): each question's text per language with its history (``since_ms``: from when the
    kiosk settings asked it so), and an index for reports filtered by question (read from the raw ratings)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS question_texts (question_id TEXT NOT NULL, language TEXT NOT NULL,"
        " text TEXT NOT NULL, since_ms INTEGER NOT NULL, PRIMARY KEY (question_id, language, since_ms)) WITHOUT ROWID"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS ratings_location_question ON ratings(location_id, question, local_day)")


IMPORTS_SCHEMA = """
CREATE UNIQUE INDEX IF NOT EXISTS ratings_imported_feedback ON ratings(uuid) WHERE imported = 1;
CREATE TABLE IF NOT EXISTS import_ids (
    kind TEXT NOT NULL, foreign_id INTEGER NOT NULL, our_id TEXT NOT NULL, detail TEXT,
    PRIMARY KEY (kind, foreign_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS import_ids_ours ON import_ids(kind, our_id);
CREATE TABLE IF NOT EXISTS import_followups (
    feedback_id TEXT PRIMARY KEY, question_id INTEGER NOT NULL, option_id INTEGER NOT NULL,
    option_text TEXT NOT NULL, is_attached INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_files (
    file_key TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, rows_done INTEGER NOT NULL DEFAULT 0,
    stored INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, is_finished INTEGER NOT NULL DEFAULT 0,
    started_ms INTEGER NOT NULL, finished_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_refusals (
    file_key TEXT NOT NULL, line INTEGER NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
    PRIMARY KEY (file_key, line)
) WITHOUT ROWID;
"""


def _imports(conn: sqlite3.Connection) -> None:
    """Version 11 (issue 13, HappyOrNot import): ``ratings.imported`` marks imported ratings, whose ``uuid`` is the
    export's ``feedbackId`` (unique among them: importing twice stores nothing twice); the foreign ids of
    experience points, smileys and surveys; follow-up answers; per-file progress and refused rows."""
    _add_columns(conn, "ratings", {"imported": "INTEGER NOT NULL DEFAULT 0"})
    for statement in _statements(IMPORTS_SCHEMA):
        conn.execute(statement)


def _outside_opening_hours(conn: sqlite3.Connection) -> None:
    """Version 12 (issue 11): ``ratings.closed`` marks answers given outside the store's opening hours; the rollups'
    ``misuse`` column now holds both flags (``hub.reports.flags``), so the cumulative rollup gets a group of columns
    per flag value and new triggers (``cumulative.py``); the ratings already stored are judged by today's hours."""
    _add_columns(conn, "ratings", {"closed": "INTEGER NOT NULL DEFAULT 0"})
    _add_columns(conn, "rollup_cum", {c: "INTEGER NOT NULL DEFAULT 0" for c in COLUMNS})
    for statement in cumulative.TRIGGERS:
        conn.execute(statement)
    for (location_id,) in conn.execute("SELECT id FROM locations").fetchall():
        reflag_closed(conn, location_id)


def _region_settings(conn: sqlite3.Connection) -> None:
    """Version 13 (issue 11, kiosk settings per region): a location moved to another region changes its kiosks'
    effective settings, so it bumps ``registry_version`` like a kiosk change (the running hub's registry watcher
    then re-plans and publishes them, whichever process moved it)."""
    conn.execute(
        "CREATE TRIGGER IF NOT EXISTS locations_region_changed AFTER UPDATE OF region_id ON locations"
        " WHEN OLD.region_id IS NOT NEW.region_id BEGIN"
        " INSERT INTO meta (key, value) VALUES ('registry_version', '1')"
        " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1; END"
    )


def _leases(conn: sqlite3.Connection) -> None:
    """Version 14 (issue 15, several ``hub serve`` processes on one store): named leases, so one process at a time
    evaluates alerts and one plans and publishes kiosk configs (``hub.leadership``)."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms INTEGER NOT NULL)"
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _base_schema,
    _fill_daily_rollup,
    _fill_cumulative_rollup,
    _drop_fill_flags,
    _rejected_rating_seq,
    _sign_in_failures,
    _kiosk_taps,
    _alerts,
    _administration,
    _questions,
    _imports,
    _outside_opening_hours,
    _region_settings,
    _leases,
]


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks; returns the version it is at."""
    if schema_version(conn) >= len(MIGRATIONS):
        return schema_version(conn)
    with immediate(conn):
        done = schema_version(conn)  # another process may have migrated while this one waited for the lock
        for version, step in enumerate(MIGRATIONS[done:], start=done + 1):
            step(conn)
            conn.execute(f"PRAGMA user_version = {version}")
    return schema_version(conn)

"""Alert rules, alerts with their history, and the facts the evaluator reads (recent counts, kiosk presence,
refused configs, backlog trends). One evaluation cycle's changes and the deliveries they cause are one
transaction, so a restart neither duplicates nor forgets an alert or its message."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from hub.store.engine import Db, Engine
from hub.store.portable.deliveries import insert_deliveries
from hub.store.records import AlertRow, AlertRule, NewDelivery, Opening

_RULE = (
    'SELECT id, kind, scope, scope_id, threshold, "window", min_answers, include_misuse, owner, owner_role, created_ms'
    " FROM alert_rules"
)
_ALERT = (
    "SELECT id, rule_id, location_id, subject, state, value, detail, opened_ms, closed_ms, ack_by, ack_comment,"
    " ack_ms FROM alerts"
)
Counts = dict[int, list[int]]


def _rule(row: tuple[Any, ...]) -> AlertRule:
    rid, kind, scope, scope_id, threshold, window, min_answers, misuse, owner, role, created = row
    return AlertRule(rid, kind, scope, scope_id, threshold, window, min_answers, bool(misuse), owner, role, created)


def _alert(row: tuple[Any, ...]) -> AlertRow:
    return AlertRow(*row)


def _marks(n: int) -> str:
    return ",".join("?" * n)


class Alerts:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    # ------------------------------------------------------------------------------------------ rules
    def add_rule(
        self,
        *,
        kind: str,
        scope: str,
        scope_id: str | None,
        threshold: float,
        window: str | None,
        min_answers: int,
        include_misuse: bool,
        owner: str,
        owner_role: str,
        now_ms: int,
    ) -> AlertRule:
        cur = self.conn.execute(
            'INSERT INTO alert_rules (kind, scope, scope_id, threshold, "window", min_answers, include_misuse, owner,'
            " owner_role, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (kind, scope, scope_id, threshold, window, min_answers, int(include_misuse), owner, owner_role, now_ms),
        )
        rule = self.find_rule(int(cur.fetchone()[0]))
        assert rule is not None
        return rule

    def rules(self) -> list[AlertRule]:
        return [_rule(r) for r in self.conn.execute(_RULE + " WHERE is_removed = 0 ORDER BY id").fetchall()]

    def find_rule(self, rule_id: int) -> AlertRule | None:
        row = self.conn.execute(_RULE + " WHERE id = ? AND is_removed = 0", (rule_id,)).fetchone()
        return _rule(row) if row else None

    def remove_rule(self, rule_id: int, *, now_ms: int) -> None:
        """The rule stops; its live alerts close (history is kept)."""
        with self.engine.write(self.conn):
            self.conn.execute("UPDATE alert_rules SET is_removed = 1 WHERE id = ?", (rule_id,))
            live = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM alerts WHERE rule_id = ? AND state != 'closed'", (rule_id,)
                ).fetchall()
            ]
            self._close(live, now_ms=now_ms, event="rule_removed")

    # ------------------------------------------------------------------------------------------ alerts
    def live(self) -> list[AlertRow]:
        """Open and acknowledged alerts."""
        return [_alert(r) for r in self.conn.execute(_ALERT + " WHERE state != 'closed' ORDER BY id").fetchall()]

    def find(self, alert_id: int) -> AlertRow | None:
        row = self.conn.execute(_ALERT + " WHERE id = ?", (alert_id,)).fetchone()
        return _alert(row) if row else None

    def select(
        self, *, location_ids: Iterable[str] | None, states: Iterable[str], limit: int, since_ms: int = 0
    ) -> list[AlertRow]:
        """Alerts in these states (of these locations; ``None`` = all), newest first."""
        states = list(states)
        where = f"state IN ({_marks(len(states))}) AND (closed_ms IS NULL OR closed_ms >= ?)"
        args: list[Any] = [*states, since_ms]
        if location_ids is not None:
            locs = list(location_ids)
            if not locs:
                return []
            where += f" AND location_id IN ({_marks(len(locs))})"
            args += locs
        rows = self.conn.execute(_ALERT + f" WHERE {where} ORDER BY opened_ms DESC, id DESC LIMIT ?", (*args, limit))
        return [_alert(r) for r in rows.fetchall()]

    def events(self, alert_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT at_ms, event, user_id, comment FROM alert_events WHERE alert_id = ?"
            f" ORDER BY at_ms, {self.engine.row_id}",
            (alert_id,),
        ).fetchall()
        return [{"at_ms": r[0], "event": r[1], "user": r[2], "comment": r[3]} for r in rows]

    def apply(
        self,
        *,
        opened: list[Opening],
        closed: list[int],
        now_ms: int,
        deliveries_for: Callable[[AlertRow], list[NewDelivery]],
    ) -> list[AlertRow]:
        """Open and close alerts and queue the opened ones' messages, in one transaction; returns those opened.

        An alert already live for the same rule, location and subject is not opened again (unique index).
        """
        out = []
        with self.engine.write(self.conn):
            self._close(closed, now_ms=now_ms, event="closed")
            for rule_id, location_id, subject, value, detail in opened:
                got = self.conn.execute(
                    "INSERT INTO alerts (rule_id, location_id, subject, state, value, detail, opened_ms)"
                    " VALUES (?, ?, ?, 'open', ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                    (rule_id, location_id, subject, value, detail, now_ms),
                ).fetchone()
                if got is None:
                    continue
                alert = self.find(int(got[0]))
                assert alert is not None
                self.conn.execute(
                    "INSERT INTO alert_events (alert_id, at_ms, event, comment) VALUES (?, ?, 'opened', ?)",
                    (alert.id, now_ms, detail),
                )
                insert_deliveries(self.conn, deliveries_for(alert), now_ms=now_ms)
                out.append(alert)
        return out

    def _close(self, alert_ids: list[int], *, now_ms: int, event: str) -> None:
        for alert_id in alert_ids:
            cur = self.conn.execute(
                "UPDATE alerts SET state = 'closed', closed_ms = ? WHERE id = ? AND state != 'closed'",
                (now_ms, alert_id),
            )
            if cur.rowcount:
                self.conn.execute(
                    "INSERT INTO alert_events (alert_id, at_ms, event) VALUES (?, ?, ?)", (alert_id, now_ms, event)
                )

    def acknowledge(self, alert_id: int, *, user_id: str, comment: str, now_ms: int) -> bool:
        """Mark a live alert acknowledged with a comment (again: another comment); False when it is closed."""
        with self.engine.write(self.conn):
            cur = self.conn.execute(
                "UPDATE alerts SET state = 'acknowledged', ack_by = ?, ack_comment = ?, ack_ms = ?"
                " WHERE id = ? AND state != 'closed'",
                (user_id, comment, now_ms, alert_id),
            )
            if cur.rowcount:
                self.conn.execute(
                    "INSERT INTO alert_events (alert_id, at_ms, event, user_id, comment)"
                    " VALUES (?, ?, 'acknowledged', ?, ?)",
                    (alert_id, now_ms, user_id, comment),
                )
            return bool(cur.rowcount)

    # ------------------------------------------------------------------------------------------ facts
    def recent_counts(self, location_ids: list[str], since_ms: int, *, include_misuse: bool) -> dict[str, Counts]:
        """``{location: {scale: [count per face]}}`` of the ratings timed at or after ``since_ms`` (answers given
        outside opening hours never count: a closed store pages nobody)."""
        if not location_ids:
            return {}
        misuse = " AND closed = 0" + ("" if include_misuse else " AND misuse = 0")
        rows = self.conn.execute(
            f"SELECT location_id, scale, face, count(*) FROM ratings WHERE location_id IN ({_marks(len(location_ids))})"
            f" AND time_ms >= ?{misuse} GROUP BY location_id, scale, face",
            (*location_ids, since_ms),
        ).fetchall()
        out: dict[str, Counts] = {}
        for loc, scale, face, n in rows:
            out.setdefault(loc, {}).setdefault(scale, [0] * scale)[face] = n
        return out

    def kiosk_presence(self) -> list[tuple[str, str, int | None, int, bool, int | None]]:
        """``(kiosk, location, last_seen_ms, created_ms, is_disabled, backlog)`` of every kiosk."""
        rows = self.conn.execute(
            "SELECT k.id, k.location_id, s.last_seen_ms, k.created_ms, k.is_disabled, o.status_json FROM kiosks k"
            " LEFT JOIN kiosk_state s ON s.kiosk_id = k.id LEFT JOIN kiosk_last_online o ON o.kiosk_id = k.id"
        ).fetchall()
        out = []
        for kid, loc, seen, created, disabled, status in rows:
            pending = json.loads(status).get("pending") if status else None
            out.append((kid, loc, seen, created, bool(disabled), pending if isinstance(pending, int) else None))
        return out

    def refused_configs(self) -> list[tuple[str, int, str]]:
        """``(kiosk, version, reason)`` of kiosks whose latest config report is a refusal."""
        rows = self.conn.execute(
            "SELECT kiosk_id, refused_version, coalesce(refused_reason, '') FROM kiosk_config"
            " WHERE refused_version IS NOT NULL AND (applied_version IS NULL OR refused_version > applied_version)"
        ).fetchall()
        return [(r[0], int(r[1]), r[2]) for r in rows]

    def opening_hours(self) -> dict[str, str | None]:
        return dict(self.conn.execute("SELECT id, opening_hours FROM locations").fetchall())

    def track_backlogs(self, backlogs: dict[str, int], *, now_ms: int) -> dict[str, int]:
        """Record each kiosk's backlog; returns ``{kiosk: growing_since_ms}`` of those whose backlog has grown and
        not shrunk since then (a shrinking or empty backlog starts over)."""
        prev = {r[0]: (r[1], r[2]) for r in self.conn.execute("SELECT * FROM backlog_trend").fetchall()}
        out: dict[str, int] = {}
        rows = []
        for kid, backlog in backlogs.items():
            before, since = prev.get(kid, (backlog, None))
            if backlog <= 0 or backlog < before:
                since = None
            elif backlog > before and since is None:
                since = now_ms
            if since is not None:
                out[kid] = since
            rows.append((kid, backlog, since))
        with self.engine.write(self.conn):
            self.conn.executemany(
                "INSERT INTO backlog_trend VALUES (?, ?, ?) ON CONFLICT (kiosk_id) DO UPDATE SET"
                " backlog = excluded.backlog, growing_since_ms = excluded.growing_since_ms",
                rows,
            )
        return out

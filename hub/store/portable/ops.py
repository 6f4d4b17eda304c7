"""Operations: hub-wide values (``meta``), figures for /metrics, refused and quarantined input, kiosk presence."""

from __future__ import annotations

import json
from typing import Any

from hub.reports.flags import MISUSE, OUTSIDE_HOURS
from hub.store.engine import Db, Engine
from hub.store.records import RatingCounts

_REJECTION_KEYS = ("kiosk_id", "seq", "received_ms", "reason", "detail")
_QUARANTINE_KEYS = ("kiosk_id", "ratings", "first_seq", "last_seq", "last_received_ms")


class Ops:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def registry_version(self) -> int:
        """Grows whenever a kiosk is added, changed or removed (triggers on ``kiosks``)."""
        value = self.get_meta("registry_version")
        return int(value) if value else 0

    def metric_counts(self) -> dict[str, int]:
        return dict(
            self.conn.execute(
                "SELECT 'hub_ratings_total', count(*) FROM ratings UNION ALL SELECT 'hub_rejected_kept', count(*)"
                " FROM rejected UNION ALL SELECT 'hub_quarantine_kept', count(*) FROM quarantine UNION ALL SELECT"
                " 'hub_kiosks_online', count(*) FROM kiosk_state WHERE is_online = 1"
            ).fetchall()
        )

    def flagged_kiosks(self, *, since_ms: int) -> list[str]:
        """Kiosks that went over their tap limit since ``since_ms``."""
        rows = self.conn.execute("SELECT kiosk_id FROM kiosk_taps WHERE over_limit_ms >= ? ORDER BY 1", (since_ms,))
        return [r[0] for r in rows]

    def rejections(self, *, limit: int) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """Refusals counted by reason, and the latest ``limit`` of them."""
        by_reason = dict(self.conn.execute("SELECT reason, count(*) FROM rejected GROUP BY reason").fetchall())
        rows = self.conn.execute(
            "SELECT kiosk_id, rating_seq, received_ms, reason, detail FROM rejected ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return by_reason, [dict(zip(_REJECTION_KEYS, r, strict=True)) for r in rows]

    def quarantine(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT kiosk_id, count(*), min(seq), max(seq), max(received_ms) FROM quarantine GROUP BY kiosk_id"
        ).fetchall()
        return [dict(zip(_QUARANTINE_KEYS, r, strict=True)) for r in rows]

    def clock_skews(self) -> dict[str, int]:
        """Per kiosk: device clock minus hub clock (ms) of the latest boot seen live."""
        rows = self.conn.execute(
            "SELECT b.kiosk_id, b.skew_ms FROM boots b"
            " WHERE b.seen_ms = (SELECT max(seen_ms) FROM boots WHERE kiosk_id = b.kiosk_id)"
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def last_online_statuses(self) -> dict[str, dict[str, Any]]:
        """Per kiosk: its last status while online (its will replaces the current one when it drops)."""
        rows = self.conn.execute("SELECT kiosk_id, status_json FROM kiosk_last_online")
        return {r[0]: json.loads(r[1]) for r in rows}

    def rating_counts(
        self,
        *,
        kiosk_id: str | None = None,
        location_id: str | None = None,
        seq: int | None = None,
        misuse: bool | None = None,
        closed: bool | None = None,
    ) -> RatingCounts:
        """Stored ratings and the hourly rollup's sum under one filter (they must agree: exactly once).
        ``closed``: given outside opening hours (the rollups hold both flags in one column, ``hub.reports.flags``)."""
        where, rollup_where, args, rollup_args = [], [], [], []
        for column, value in (("kiosk_id", kiosk_id), ("location_id", location_id), ("seq", seq)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
                if column != "seq":
                    rollup_where.append(f"{column} = ?")
                    rollup_args.append(value)
        for column, bit, value in (("misuse", MISUSE, misuse), ("closed", OUTSIDE_HOURS, closed)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(int(value))
                rollup_where.append(f"(misuse & {bit}) = ?")
                rollup_args.append(bit if value else 0)
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        n = self.conn.execute("SELECT count(*) FROM ratings" + clause, args).fetchone()[0]
        rollup_clause = (" WHERE " + " AND ".join(rollup_where)) if rollup_where else ""
        rolled = self.conn.execute("SELECT coalesce(sum(n), 0) FROM rollup_hourly" + rollup_clause, rollup_args)
        return RatingCounts(int(n), int(rolled.fetchone()[0]))

    def max_seq(self, kiosk_id: str | None = None) -> int:
        """The highest seq stored (for one kiosk), 0 when none."""
        if kiosk_id is None:
            return int(self.conn.execute("SELECT coalesce(max(seq), 0) FROM ratings").fetchone()[0])
        row = self.conn.execute("SELECT coalesce(max(seq), 0) FROM ratings WHERE kiosk_id = ?", (kiosk_id,))
        return int(row.fetchone()[0])

    def rejected_count(self, *, reason: str | None = None) -> int:
        if reason is None:
            return int(self.conn.execute("SELECT count(*) FROM rejected").fetchone()[0])
        return int(self.conn.execute("SELECT count(*) FROM rejected WHERE reason = ?", (reason,)).fetchone()[0])

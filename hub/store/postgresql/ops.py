"""On PostgreSQL (as ``hub.store.sqlite.ops``): hub-wide values (``meta``), figures for /metrics, refused and
quarantined input, kiosk presence."""

from __future__ import annotations

import json
from typing import Any

from hub.store.postgresql.connection import Db
from hub.store.records import RatingCounts

_REJECTION_KEYS = ("kiosk_id", "seq", "received_ms", "reason", "detail")
_QUARANTINE_KEYS = ("kiosk_id", "ratings", "first_seq", "last_seq", "last_received_ms")


class Ops:
    def __init__(self, db: Db) -> None:
        self.db = db

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def registry_version(self) -> int:
        """Grows whenever a kiosk is added, changed or removed (triggers on ``kiosks``)."""
        value = self.get_meta("registry_version")
        return int(value) if value else 0

    def metric_counts(self) -> dict[str, int]:
        return dict(
            self.db.all(
                "SELECT 'hub_ratings_total', count(*) FROM ratings UNION ALL SELECT 'hub_rejected_kept', count(*)"
                " FROM rejected UNION ALL SELECT 'hub_quarantine_kept', count(*) FROM quarantine UNION ALL SELECT"
                " 'hub_kiosks_online', count(*) FROM kiosk_state WHERE is_online = 1"
            )
        )

    def rejections(self, *, limit: int) -> tuple[dict[str, int], list[dict[str, Any]]]:
        """Refusals counted by reason, and the latest ``limit`` of them."""
        by_reason: dict[str, int] = dict(
            self.db.execute("SELECT reason, count(*) FROM rejected GROUP BY reason").fetchall()
        )
        rows = self.db.execute(
            "SELECT kiosk_id, rating_seq, received_ms, reason, detail FROM rejected ORDER BY id DESC LIMIT %s", (limit,)
        ).fetchall()
        return by_reason, [dict(zip(_REJECTION_KEYS, r, strict=True)) for r in rows]

    def quarantine(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT kiosk_id, count(*), min(seq), max(seq), max(received_ms) FROM quarantine GROUP BY kiosk_id"
        ).fetchall()
        return [dict(zip(_QUARANTINE_KEYS, r, strict=True)) for r in rows]

    def clock_skews(self) -> dict[str, int]:
        """Per kiosk: device clock minus hub clock (ms) of the latest boot seen live."""
        rows = self.db.execute(
            "SELECT DISTINCT ON (kiosk_id) kiosk_id, skew_ms FROM boots ORDER BY kiosk_id, seen_ms DESC"
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def last_online_statuses(self) -> dict[str, dict[str, Any]]:
        """Per kiosk: its last status while online (its will replaces the current one when it drops)."""
        rows = self.db.execute("SELECT kiosk_id, status_json FROM kiosk_last_online")
        return {r[0]: json.loads(r[1]) for r in rows}

    def rating_counts(
        self,
        *,
        kiosk_id: str | None = None,
        location_id: str | None = None,
        seq: int | None = None,
        misuse: bool | None = None,
    ) -> RatingCounts:
        """Stored ratings and the hourly rollup's sum under one filter (they must agree: exactly once)."""
        where, args = [], []
        for column, value in (("kiosk_id", kiosk_id), ("location_id", location_id), ("seq", seq)):
            if value is not None:
                where.append(f"{column} = %s")
                args.append(value)
        if misuse is not None:
            where.append("misuse = %s")
            args.append(int(misuse))
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        n = self.db.scalar("SELECT count(*) FROM ratings" + clause, args)
        rollup_clause = " AND ".join(w for w in where if not w.startswith("seq"))
        rolled = self.db.scalar(
            "SELECT coalesce(sum(n), 0) FROM rollup_hourly" + (f" WHERE {rollup_clause}" if rollup_clause else ""),
            [a for w, a in zip(where, args, strict=True) if not w.startswith("seq")],
        )
        return RatingCounts(int(n), int(rolled))

    def max_seq(self, kiosk_id: str | None = None) -> int:
        """The highest seq stored (for one kiosk), 0 when none."""
        if kiosk_id is None:
            return int(self.db.scalar("SELECT coalesce(max(seq), 0) FROM ratings"))
        return int(self.db.scalar("SELECT coalesce(max(seq), 0) FROM ratings WHERE kiosk_id = %s", (kiosk_id,)))

    def rejected_count(self, *, reason: str | None = None) -> int:
        if reason is None:
            return int(self.db.scalar("SELECT count(*) FROM rejected"))
        return int(self.db.scalar("SELECT count(*) FROM rejected WHERE reason = %s", (reason,)))

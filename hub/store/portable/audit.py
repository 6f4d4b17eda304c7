"""The audit log: who changed what and when, one row per administrative change (never a secret)."""

from __future__ import annotations

import json
from typing import Any

from hub.store.engine import Db, Engine
from hub.store.records import AuditEntry


class AuditLog:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def record(self, *, actor: str, action: str, target: str, detail: dict[str, Any], now_ms: int) -> None:
        """Append one entry; ``detail`` is what changed (JSON-able, without passwords or tokens)."""
        self.conn.execute(
            "INSERT INTO audit_log (at_ms, actor, action, target, detail_json) VALUES (?, ?, ?, ?, ?)",
            (now_ms, actor, action, target, json.dumps(detail, ensure_ascii=False, sort_keys=True)),
        )

    def entries(self, *, limit: int = 100, before_id: int | None = None) -> list[AuditEntry]:
        """The newest entries first (``before_id`` pages further back)."""
        rows = self.conn.execute(
            "SELECT id, at_ms, actor, action, target, detail_json FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before_id if before_id is not None else 2**62, limit),
        ).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

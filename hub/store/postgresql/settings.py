"""On PostgreSQL (as ``hub.store.sqlite.settings``): remote kiosk settings per scope (``all``, ``location``,
``kiosk``) and each kiosk's planned, published, applied or refused version."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hub.store.postgresql.connection import Db
from hub.store.records import Publication

PLAN_LOCK = 0x6875625F706C616E  # pg_advisory_xact_lock key: "hub_plan"
_STATUS_KEYS = (
    "kiosk_id",
    "location_id",
    "version",
    "published_version",
    "applied_version",
    "applied_ms",
    "refused_version",
    "refused_reason",
    "refused_ms",
)


class KioskSettings:
    def __init__(self, db: Db) -> None:
        self.db = db

    def get(self, scope: str, scope_id: str = "") -> dict[str, Any]:
        row = self.db.execute(
            "SELECT settings_json FROM config_settings WHERE scope = %s AND scope_id = %s", (scope, scope_id)
        ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def put(self, scope: str, scope_id: str, settings_json: str, *, now_ms: int) -> None:
        self.db.execute(
            "INSERT INTO config_settings (scope, scope_id, settings_json, updated_ms) VALUES (%s,%s,%s,%s)"
            " ON CONFLICT (scope, scope_id) DO UPDATE SET settings_json = excluded.settings_json,"
            " updated_ms = excluded.updated_ms",
            (scope, scope_id, settings_json, now_ms),
        )

    def kiosks_in(self, scope: str, scope_id: str = "") -> list[tuple[str, str]]:
        """``(kiosk_id, location_id)`` of the kiosks a scope reaches."""
        sql = "SELECT id, location_id FROM kiosks"
        if scope == "location":
            return [(r[0], r[1]) for r in self.db.all(sql + " WHERE location_id = %s ORDER BY id", (scope_id,))]
        if scope == "kiosk":
            return [(r[0], r[1]) for r in self.db.all(sql + " WHERE id = %s", (scope_id,))]
        return [(r[0], r[1]) for r in self.db.all(sql + " ORDER BY id")]

    def plan(self, effective_json: Callable[[str, str], str], *, now_ms: int) -> int:
        """In one transaction, give every kiosk whose ``effective_json(kiosk_id, location_id)`` differs from what
        it was last planned a new version from the hub-wide counter; returns how many changed."""
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (PLAN_LOCK,))  # one planner at a time, hub-wide
            changed = 0
            sent = {r[0]: r[1] for r in conn.execute("SELECT kiosk_id, settings_json FROM kiosk_config")}
            for kid, loc in conn.execute("SELECT id, location_id FROM kiosks ORDER BY id").fetchall():
                doc = effective_json(kid, loc)
                if sent.get(kid, "{}") == doc:
                    continue
                row = conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('config_seq', '1')"
                    " ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value"
                ).fetchone()
                assert row is not None
                conn.execute(
                    "INSERT INTO kiosk_config (kiosk_id, version, settings_json, planned_ms) VALUES (%s, %s, %s, %s)"
                    " ON CONFLICT (kiosk_id) DO UPDATE SET version = excluded.version,"
                    " settings_json = excluded.settings_json, planned_ms = excluded.planned_ms",
                    (kid, int(row[0]), doc, now_ms),
                )
                changed += 1
        return changed

    def publications(self, *, only_unpublished: bool) -> list[Publication]:
        sql = (
            "SELECT c.kiosk_id, c.version, c.settings_json FROM kiosk_config c"
            " JOIN kiosks k ON k.id = c.kiosk_id WHERE k.is_disabled = 0 AND c.version > 0"
        )
        if only_unpublished:
            sql += " AND c.published_version IS DISTINCT FROM c.version"
        rows = self.db.execute(sql + " ORDER BY 1")
        return [Publication(kid, v, json.loads(doc)) for kid, v, doc in rows]

    def mark_published(self, kiosk_id: str, version: int, *, now_ms: int) -> None:
        self.db.execute(
            "UPDATE kiosk_config SET published_version = %s, published_ms = %s WHERE kiosk_id = %s",
            (version, now_ms, kiosk_id),
        )

    def latest_version(self) -> int:
        """The highest version planned for any kiosk (0: none yet)."""
        return int(self.db.scalar("SELECT coalesce(max(version), 0) FROM kiosk_config"))

    def status(self, *, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT k.id, k.location_id, c.version, c.published_version, c.applied_version, c.applied_ms,"
            " c.refused_version, c.refused_reason, c.refused_ms FROM kiosks k"
            " LEFT JOIN kiosk_config c ON c.kiosk_id = k.id"
        )
        args: tuple[str, ...] = ()
        if kiosk_id is not None:
            sql += " WHERE k.id = %s"
            args = (kiosk_id,)
        rows = self.db.execute(sql + " ORDER BY k.id", args)
        return [dict(zip(_STATUS_KEYS, row, strict=True)) for row in rows]

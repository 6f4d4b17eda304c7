"""Remote kiosk settings per scope (``all``, ``region``, ``location``, ``kiosk``) and each kiosk's planned,
published, applied or refused version."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hub.store.engine import Db, Engine
from hub.store.records import Publication

_STATUS_KEYS = (
    "kiosk_id",
    "location_id",
    "region_id",
    "version",
    "published_version",
    "applied_version",
    "applied_ms",
    "refused_version",
    "refused_reason",
    "refused_ms",
)


class KioskSettings:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def get(self, scope: str, scope_id: str = "") -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT settings_json FROM config_settings WHERE scope = ? AND scope_id = ?", (scope, scope_id)
        ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def put(self, scope: str, scope_id: str, settings_json: str, *, now_ms: int) -> None:
        """Store one scope's settings; when its ``opening_hours`` changed, the answers of the locations it reaches
        are judged anew against them (``rollups.reflag_closed``), in the same transaction."""
        hours_before = self.get(scope, scope_id).get("opening_hours")
        with self.engine.write(self.conn):
            self.conn.execute(
                "INSERT INTO config_settings (scope, scope_id, settings_json, updated_ms) VALUES (?,?,?,?)"
                " ON CONFLICT (scope, scope_id) DO UPDATE SET settings_json = excluded.settings_json,"
                " updated_ms = excluded.updated_ms",
                (scope, scope_id, settings_json, now_ms),
            )
            if scope != "kiosk" and json.loads(settings_json).get("opening_hours") != hours_before:
                self.engine.reflag_locations(self.conn, self._locations_in(scope, scope_id))

    def _locations_in(self, scope: str, scope_id: str) -> list[str]:
        if scope == "location":
            return [scope_id]
        if scope == "region":
            return [r[0] for r in self.conn.execute("SELECT id FROM locations WHERE region_id = ?", (scope_id,))]
        return [r[0] for r in self.conn.execute("SELECT id FROM locations ORDER BY id")]

    def kiosks_in(self, scope: str, scope_id: str = "") -> list[tuple[str, str]]:
        """``(kiosk_id, location_id)`` of the kiosks a scope reaches."""
        sql = "SELECT id, location_id FROM kiosks"
        if scope == "region":
            return list(
                self.conn.execute(
                    "SELECT k.id, k.location_id FROM kiosks k JOIN locations l ON l.id = k.location_id"
                    " WHERE l.region_id = ? ORDER BY k.id",
                    (scope_id,),
                )
            )
        if scope == "location":
            return list(self.conn.execute(sql + " WHERE location_id = ? ORDER BY id", (scope_id,)))
        if scope == "kiosk":
            return list(self.conn.execute(sql + " WHERE id = ?", (scope_id,)))
        return list(self.conn.execute(sql + " ORDER BY id"))

    def plan(self, effective_json: Callable[[str, str], str], *, now_ms: int) -> int:
        """In one transaction, give every kiosk whose ``effective_json(kiosk_id, location_id)`` differs from what
        it was last planned a new version from the hub-wide counter; returns how many changed.

        Plans are serialised (several hub processes: a settings change through one while another re-plans after a
        registry change): the second reads what the first planned and gives no kiosk a second version for it."""
        conn = self.conn
        with self.engine.write(conn):
            self.engine.serialise(conn, "kiosk_config")
            changed = 0
            sent = dict(conn.execute("SELECT kiosk_id, settings_json FROM kiosk_config").fetchall())
            for kid, loc in conn.execute("SELECT id, location_id FROM kiosks ORDER BY id").fetchall():
                doc = effective_json(kid, loc)
                if sent.get(kid, "{}") == doc:
                    continue
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('config_seq', '1')"
                    " ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)"
                )
                version = int(conn.execute("SELECT value FROM meta WHERE key = 'config_seq'").fetchone()[0])
                conn.execute(
                    "INSERT INTO kiosk_config (kiosk_id, version, settings_json, planned_ms) VALUES (?,?,?,?)"
                    " ON CONFLICT (kiosk_id) DO UPDATE SET version = excluded.version,"
                    " settings_json = excluded.settings_json, planned_ms = excluded.planned_ms",
                    (kid, version, doc, now_ms),
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
        rows = self.conn.execute(sql + " ORDER BY 1")
        return [Publication(kid, v, json.loads(doc)) for kid, v, doc in rows]

    def mark_published(self, kiosk_id: str, version: int, *, now_ms: int) -> None:
        self.conn.execute(
            "UPDATE kiosk_config SET published_version = ?, published_ms = ? WHERE kiosk_id = ?",
            (version, now_ms, kiosk_id),
        )

    def latest_version(self) -> int:
        """The highest version planned for any kiosk (0: none yet)."""
        return int(self.conn.execute("SELECT coalesce(max(version), 0) FROM kiosk_config").fetchone()[0])

    def status(self, *, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT k.id, k.location_id, l.region_id, c.version, c.published_version, c.applied_version,"
            " c.applied_ms, c.refused_version, c.refused_reason, c.refused_ms FROM kiosks k"
            " LEFT JOIN locations l ON l.id = k.location_id LEFT JOIN kiosk_config c ON c.kiosk_id = k.id"
        )
        args: tuple[str, ...] = ()
        if kiosk_id is not None:
            sql += " WHERE k.id = ?"
            args = (kiosk_id,)
        rows = self.conn.execute(sql + " ORDER BY k.id", args)
        return [dict(zip(_STATUS_KEYS, row, strict=True)) for row in rows]

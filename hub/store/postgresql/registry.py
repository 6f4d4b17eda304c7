"""The organisation on PostgreSQL (as ``hub.store.sqlite.registry``): regions, locations (each with its IANA time
zone) and kiosks (each in one location).

A kiosk's id is also its broker username; moving it to another location changes no credential.
"""

from __future__ import annotations

import json
from typing import Any

from feedback.ids import check_id
from hub.errors import AlreadyExists, UnknownKiosk, UnknownLocation
from hub.reports.localtime import check_timezone
from hub.store.postgresql.connection import Db
from hub.store.records import Kiosk, Location


class Registry:
    def __init__(self, db: Db) -> None:
        self.db = db

    # ------------------------------------------------------------------------------------------ regions
    def add_region(self, region_id: str, *, name: str) -> None:
        check_id(region_id, what="region id")
        self.db.execute(
            "INSERT INTO regions (id, name) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            (region_id, name),
        )

    def regions(self) -> list[tuple[str, str]]:
        """``(id, name)`` of every region, by name."""
        return [(r[0], r[1]) for r in self.db.execute('SELECT id, name FROM regions ORDER BY name COLLATE "C", id')]

    def set_location_details(
        self, location_id: str, *, region_id: str | None = None, opening_hours_json: str | None = None
    ) -> None:
        """Move a location into a region and/or set its opening hours (JSON from hub.reports.opening_hours)."""
        self.location(location_id)
        if region_id is not None:
            check_id(region_id, what="region id")
            self.db.execute(
                "INSERT INTO regions (id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING", (region_id, region_id)
            )
            self.db.execute("UPDATE locations SET region_id = %s WHERE id = %s", (region_id, location_id))
        if opening_hours_json is not None:
            self.db.execute("UPDATE locations SET opening_hours = %s WHERE id = %s", (opening_hours_json, location_id))

    # ------------------------------------------------------------------------------------------ locations
    def add_location(
        self, location_id: str, *, name: str, timezone: str, now_ms: int, region_id: str | None = None
    ) -> Location:
        check_id(location_id, what="location id")
        check_timezone(timezone)
        if region_id is not None:
            check_id(region_id, what="region id")
            self.db.execute(
                "INSERT INTO regions (id, name) VALUES (%s, %s) ON CONFLICT DO NOTHING", (region_id, region_id)
            )
        if self.find_location(location_id) is not None:
            raise AlreadyExists(f"location {location_id!r} exists already")
        self.db.execute(
            "INSERT INTO locations (id, name, timezone, region_id, created_ms) VALUES (%s, %s, %s, %s, %s)",
            (location_id, name, timezone, region_id, now_ms),
        )
        return Location(location_id, name, timezone, region_id)

    def find_location(self, location_id: str) -> Location | None:
        row = self.db.execute(
            "SELECT id, name, timezone, region_id, response_interval_s FROM locations WHERE id = %s", (location_id,)
        ).fetchone()
        return Location(*row) if row else None

    def location(self, location_id: str) -> Location:
        loc = self.find_location(location_id)
        if loc is None:
            raise UnknownLocation(f"no location {location_id!r}")
        return loc

    def locations(self) -> list[Location]:
        rows = self.db.execute(
            'SELECT id, name, timezone, region_id, response_interval_s FROM locations ORDER BY name COLLATE "C", id'
        ).fetchall()
        return [Location(*r) for r in rows]

    # ------------------------------------------------------------------------------------------ kiosks
    def add_kiosk(self, kiosk_id: str, *, location_id: str, password_hash: str, now_ms: int) -> None:
        """Register a kiosk with the hash of its broker password."""
        check_id(kiosk_id, what="kiosk id")
        check_id(location_id, what="location id")
        self.location(location_id)
        if self.find_kiosk(kiosk_id) is not None:
            raise AlreadyExists(f"kiosk {kiosk_id!r} exists already")
        self.db.execute(
            "INSERT INTO kiosks (id, location_id, password_hash, created_ms) VALUES (%s, %s, %s, %s)",
            (kiosk_id, location_id, password_hash, now_ms),
        )

    def move_kiosk(self, kiosk_id: str, *, location_id: str, now_ms: int) -> None:
        """Ratings tapped from ``now_ms`` on count for ``location_id``; earlier ones stay where they were,
        even when they reach the hub after the move (the ledger reads ``kiosk_moves``)."""
        previous = self.kiosk(kiosk_id).location_id
        self.location(location_id)
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE kiosks SET location_id = %s, moved_ms = %s WHERE id = %s", (location_id, now_ms, kiosk_id)
            )
            conn.execute(
                "INSERT INTO kiosk_moves (kiosk_id, from_ms, previous_location_id, location_id)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (kiosk_id, from_ms) DO UPDATE SET"
                " previous_location_id = excluded.previous_location_id, location_id = excluded.location_id",
                (kiosk_id, now_ms, previous, location_id),
            )

    def set_disabled(self, kiosk_id: str, *, is_disabled: bool) -> None:
        self.kiosk(kiosk_id)
        self.db.execute("UPDATE kiosks SET is_disabled = %s WHERE id = %s", (int(is_disabled), kiosk_id))

    def set_password_hash(self, kiosk_id: str, password_hash: str) -> None:
        self.kiosk(kiosk_id)
        self.db.execute("UPDATE kiosks SET password_hash = %s WHERE id = %s", (password_hash, kiosk_id))

    def find_kiosk(self, kiosk_id: str) -> Kiosk | None:
        row = self.db.execute("SELECT id, location_id, is_disabled FROM kiosks WHERE id = %s", (kiosk_id,)).fetchone()
        return Kiosk(row[0], row[1], bool(row[2])) if row else None

    def kiosk(self, kiosk_id: str) -> Kiosk:
        k = self.find_kiosk(kiosk_id)
        if k is None:
            raise UnknownKiosk(f"no kiosk {kiosk_id!r}")
        return k

    def kiosks(self, *, location_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT k.id, k.location_id, k.is_disabled, s.is_online, s.last_seen_ms, s.acked_through, s.status_json,"
            " (SELECT b.skew_ms FROM boots b WHERE b.kiosk_id = k.id ORDER BY b.seen_ms DESC LIMIT 1)"
            " FROM kiosks k LEFT JOIN kiosk_state s ON s.kiosk_id = k.id"
        )
        args: tuple[Any, ...] = ()
        if location_id is not None:
            sql += " WHERE k.location_id = %s"
            args = (location_id,)
        out = []
        rows = self.db.execute(sql + " ORDER BY k.id", args)
        for kid, loc, disabled, online, seen, acked, status, skew in rows:
            out.append(
                {
                    "id": kid,
                    "location_id": loc,
                    "is_disabled": bool(disabled),
                    "is_online": bool(online),
                    "last_seen_ms": seen,
                    "acked_through": acked or 0,
                    "status": json.loads(status) if status else None,
                    "clock_skew_ms": skew,  # device clock minus hub clock, latest boot seen live (None: unknown)
                }
            )
        return out

    def broker_users(self) -> list[tuple[str, str]]:
        """``(username, password_hash)`` for every enabled kiosk: the broker's password file."""
        rows = self.db.all("SELECT id, password_hash FROM kiosks WHERE is_disabled = 0 ORDER BY id")
        return [(r[0], r[1]) for r in rows]

"""The organisation: regions, locations (each with its IANA time zone) and kiosks (each in one location).

A kiosk's id is also its broker username; moving it to another location changes no credential.
"""

from __future__ import annotations

import json
from typing import Any

from feedback.ids import check_id
from hub.errors import AlreadyExists, Invalid, UnknownKiosk, UnknownLocation
from hub.reports.localtime import check_timezone
from hub.store.engine import Db, Engine
from hub.store.records import Kiosk, Location, LocationHours


class Registry:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    # ------------------------------------------------------------------------------------------ regions
    def add_region(self, region_id: str, *, name: str) -> None:
        check_id(region_id, what="region id")
        self.conn.execute(
            "INSERT INTO regions (id, name) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET name = ?",
            (region_id, name, name),
        )

    def find_region(self, region_id: str) -> str | None:
        """The region's name, or None when there is no such region."""
        row = self.conn.execute("SELECT name FROM regions WHERE id = ?", (region_id,)).fetchone()
        return str(row[0]) if row else None

    def regions(self) -> list[tuple[str, str]]:
        """``(id, name)`` of every region, by name."""
        return [(r[0], r[1]) for r in self.conn.execute("SELECT id, name FROM regions ORDER BY name, id")]

    def set_location_details(
        self, location_id: str, *, region_id: str | None = None, opening_hours_json: str | None = None
    ) -> None:
        """Move a location into a region and/or set its opening hours (JSON from hub.reports.opening_hours)."""
        self.location(location_id)
        if region_id is not None:
            check_id(region_id, what="region id")
            self.conn.execute(
                "INSERT INTO regions (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", (region_id, region_id)
            )
            self.conn.execute("UPDATE locations SET region_id = ? WHERE id = ?", (region_id, location_id))
        if opening_hours_json is not None:
            self.conn.execute("UPDATE locations SET opening_hours = ? WHERE id = ?", (opening_hours_json, location_id))
        if region_id is not None or opening_hours_json is not None:
            # the hours (or the region's settings' hours) judge anew
            self.engine.reflag_locations(self.conn, [location_id])

    def update_location(self, location_id: str, *, name: str | None = None, timezone: str | None = None) -> None:
        """Rename a location and/or change its time zone.

        :raises Invalid: a new time zone once the location has answers (they are bucketed in local days and hours
            of the old one); nothing changed
        """
        loc = self.location(location_id)
        if timezone is not None and timezone != loc.timezone:
            check_timezone(timezone)
            if self.conn.execute("SELECT 1 FROM ratings WHERE location_id = ? LIMIT 1", (location_id,)).fetchone():
                raise Invalid(f"timezone: location {location_id!r} has answers counted in {loc.timezone}; it stays")
            self.conn.execute("UPDATE locations SET timezone = ? WHERE id = ?", (timezone, location_id))
        if name is not None:
            self.conn.execute("UPDATE locations SET name = ? WHERE id = ?", (name, location_id))

    def set_location_hours(
        self, location_id: str, *, week_json: str | None = None, exceptions_json: str | None = None
    ) -> None:
        """Store opening hours (see :class:`LocationHours`) already checked by ``hub.reports.opening_hours``."""
        self.location(location_id)
        if week_json is not None:
            self.conn.execute("UPDATE locations SET opening_hours = ? WHERE id = ?", (week_json, location_id))
        if exceptions_json is not None:
            self.conn.execute(
                "UPDATE locations SET opening_exceptions = ? WHERE id = ?", (exceptions_json, location_id)
            )
        if week_json is not None or exceptions_json is not None:
            # answers given outside the new hours are flagged anew
            self.engine.reflag_locations(self.conn, [location_id])

    def location_hours(self, location_id: str) -> LocationHours:
        row = self.conn.execute(
            "SELECT opening_hours, opening_exceptions FROM locations WHERE id = ?", (location_id,)
        ).fetchone()
        if row is None:
            raise UnknownLocation(f"no location {location_id!r}")
        return LocationHours(json.loads(row[0]) if row[0] else {}, json.loads(row[1]) if row[1] else [])

    # ------------------------------------------------------------------------------------------ locations
    def add_location(
        self, location_id: str, *, name: str, timezone: str, now_ms: int, region_id: str | None = None
    ) -> Location:
        check_id(location_id, what="location id")
        check_timezone(timezone)
        if region_id is not None:
            check_id(region_id, what="region id")
            self.conn.execute(
                "INSERT INTO regions (id, name) VALUES (?, ?) ON CONFLICT DO NOTHING", (region_id, region_id)
            )
        if self.find_location(location_id) is not None:
            raise AlreadyExists(f"location {location_id!r} exists already")
        self.conn.execute(
            "INSERT INTO locations (id, name, timezone, region_id, created_ms) VALUES (?, ?, ?, ?, ?)",
            (location_id, name, timezone, region_id, now_ms),
        )
        return Location(location_id, name, timezone, region_id)

    def find_location(self, location_id: str) -> Location | None:
        row = self.conn.execute(
            "SELECT id, name, timezone, region_id, response_interval_s FROM locations WHERE id = ?", (location_id,)
        ).fetchone()
        return Location(*row) if row else None

    def location(self, location_id: str) -> Location:
        loc = self.find_location(location_id)
        if loc is None:
            raise UnknownLocation(f"no location {location_id!r}")
        return loc

    def locations(self) -> list[Location]:
        rows = self.conn.execute(
            "SELECT id, name, timezone, region_id, response_interval_s FROM locations ORDER BY name, id"
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
        self.conn.execute(
            "INSERT INTO kiosks (id, location_id, password_hash, created_ms) VALUES (?, ?, ?, ?)",
            (kiosk_id, location_id, password_hash, now_ms),
        )

    def move_kiosk(self, kiosk_id: str, *, location_id: str, now_ms: int) -> None:
        """Ratings tapped from ``now_ms`` on count for ``location_id``; earlier ones stay where they were,
        even when they reach the hub after the move (the ledger reads ``kiosk_moves``)."""
        previous = self.kiosk(kiosk_id).location_id
        self.location(location_id)
        conn = self.conn
        with self.engine.write(conn):
            conn.execute(
                "UPDATE kiosks SET location_id = ?, moved_ms = ? WHERE id = ?", (location_id, now_ms, kiosk_id)
            )
            conn.execute(
                "INSERT INTO kiosk_moves (kiosk_id, from_ms, previous_location_id, location_id) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kiosk_id, from_ms) DO UPDATE SET previous_location_id = excluded.previous_location_id,"
                " location_id = excluded.location_id",
                (kiosk_id, now_ms, previous, location_id),
            )

    def set_disabled(self, kiosk_id: str, *, is_disabled: bool) -> None:
        self.kiosk(kiosk_id)
        self.conn.execute("UPDATE kiosks SET is_disabled = ? WHERE id = ?", (int(is_disabled), kiosk_id))

    def set_password_hash(self, kiosk_id: str, password_hash: str) -> None:
        self.kiosk(kiosk_id)
        self.conn.execute("UPDATE kiosks SET password_hash = ? WHERE id = ?", (password_hash, kiosk_id))

    def set_kiosk_name(self, kiosk_id: str, name: str | None) -> None:
        self.kiosk(kiosk_id)
        self.conn.execute("UPDATE kiosks SET name = ? WHERE id = ?", (name or None, kiosk_id))

    def retire_kiosk(self, kiosk_id: str, *, now_ms: int) -> None:
        """Take a kiosk out of service for good: disabled (no broker access) and left out of the fleet; its
        answers stay counted where they were given."""
        self.kiosk(kiosk_id)
        self.conn.execute(
            "UPDATE kiosks SET is_disabled = 1, retired_ms = coalesce(retired_ms, ?) WHERE id = ?", (now_ms, kiosk_id)
        )

    def find_kiosk(self, kiosk_id: str) -> Kiosk | None:
        row = self.conn.execute(
            "SELECT id, location_id, is_disabled, name, retired_ms FROM kiosks WHERE id = ?", (kiosk_id,)
        ).fetchone()
        return Kiosk(row[0], row[1], bool(row[2]), row[3], row[4] is not None) if row else None

    def kiosk(self, kiosk_id: str) -> Kiosk:
        k = self.find_kiosk(kiosk_id)
        if k is None:
            raise UnknownKiosk(f"no kiosk {kiosk_id!r}")
        return k

    def kiosks(self, *, location_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT k.id, k.location_id, k.is_disabled, k.name, k.retired_ms IS NOT NULL, s.is_online, s.last_seen_ms,"
            " s.acked_through, s.status_json,"
            " (SELECT b.skew_ms FROM boots b WHERE b.kiosk_id = k.id ORDER BY b.seen_ms DESC LIMIT 1),"
            " t.over_limit_ms, t.over_limit_total"
            " FROM kiosks k LEFT JOIN kiosk_state s ON s.kiosk_id = k.id LEFT JOIN kiosk_taps t ON t.kiosk_id = k.id"
        )
        args: tuple[Any, ...] = ()
        if location_id is not None:
            sql += " WHERE k.location_id = ?"
            args = (location_id,)
        out = []
        rows = self.conn.execute(sql + " ORDER BY k.id", args)
        for kid, loc, disabled, name, retired, online, seen, acked, status, skew, over_ms, over_total in rows:
            out.append(
                {
                    "id": kid,
                    "name": name,
                    "location_id": loc,
                    "is_disabled": bool(disabled),
                    "is_retired": bool(retired),
                    "is_online": bool(online),
                    "last_seen_ms": seen,
                    "acked_through": acked or 0,
                    "status": json.loads(status) if status else None,
                    "clock_skew_ms": skew,  # device clock minus hub clock, latest boot seen live (None: unknown)
                    "over_limit_ms": over_ms,  # hub time it last sent taps over its tap limit (None: never)
                    "taps_over_limit": over_total or 0,
                }
            )
        return out

    def broker_users(self) -> list[tuple[str, str]]:
        """``(username, password_hash)`` for every enabled kiosk: the broker's password file."""
        return list(self.conn.execute("SELECT id, password_hash FROM kiosks WHERE is_disabled = 0 ORDER BY id"))

"""Remote kiosk settings kept at the hub: per organisation (``all``), per location and per kiosk.

A kiosk's effective settings are ``all`` < its location < the kiosk itself (later wins; text tables such as
``questions`` merge per language). Whenever a kiosk's effective settings change (a ``config set``, or the
kiosk moving to another location) it gets a new version from one hub-wide counter, so versions only grow;
the runtime publishes it retained on ``fb/v1/k/<id>/config``. The kiosk validates it with the same rules
(:func:`kiosk.config.parse_ui`), applies it and reports back; the report lands in ``kiosk_config``.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from feedback.ids import check_id
from feedback.kiosk_settings import SettingsError, parse_ui
from feedback.remote_config import ConfigReport, unknown_settings
from hub.db import immediate
from hub.registry import Registry, RegistryError

SCOPES = ("all", "location", "kiosk")


class InvalidSettings(RegistryError):
    """Settings a kiosk would refuse (unknown key or a value out of range); the message names it."""


@dataclass(frozen=True, slots=True)
class Publication:
    kiosk_id: str
    version: int
    settings: dict[str, Any]


def parse_assignments(pairs: Iterable[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs with TOML values (``faces=5``, ``questions.en="How was it?"``); a value that is
    not TOML is taken as a string (``language=en``)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidSettings(f"--set {pair!r} must look like KEY=VALUE")
        try:
            doc = tomllib.loads(pair)
        except tomllib.TOMLDecodeError:
            doc = tomllib.loads(f"{key.strip()} = {json.dumps(value.strip())}")
        out = merge(out, doc)
    return out


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``; nested tables (texts per language, opening hours) merge per key."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def validate(settings: Mapping[str, Any], *, what: str) -> None:
    unknown = unknown_settings(settings)
    if unknown:
        raise InvalidSettings(f"{what}: {unknown[0]!r} is not a kiosk setting the hub can push")
    try:
        parse_ui(dict(settings), prefix=what)
    except SettingsError as exc:
        raise InvalidSettings(str(exc)) from None


def _canonical(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class RemoteSettings:
    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.registry = Registry(db)

    # ------------------------------------------------------------------------------------------ scopes
    def _check_scope(self, scope: str, scope_id: str) -> None:
        if scope == "all":
            if scope_id:
                raise InvalidSettings("scope 'all' takes no id")
        elif scope == "location":
            self.registry.location(check_id(scope_id, what="location id"))
        elif scope == "kiosk":
            self.registry.kiosk(check_id(scope_id, what="kiosk id"))
        else:
            raise InvalidSettings(f"scope must be one of {', '.join(SCOPES)}")

    def settings(self, scope: str, scope_id: str = "") -> dict[str, Any]:
        row = self.db.conn.execute(
            "SELECT settings_json FROM config_settings WHERE scope = ? AND scope_id = ?", (scope, scope_id)
        ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def effective(self, kiosk_id: str) -> dict[str, Any]:
        kiosk = self.registry.kiosk(kiosk_id)
        return self._effective(kiosk.id, kiosk.location_id, {})

    def _effective(
        self, kiosk_id: str, location_id: str, override: Mapping[tuple[str, str], dict[str, Any]]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in (("all", ""), ("location", location_id), ("kiosk", kiosk_id)):
            out = merge(out, override[key] if key in override else self.settings(*key))
        return out

    def set(
        self,
        scope: str,
        scope_id: str = "",
        *,
        changes: Mapping[str, Any] | None = None,
        unset: Iterable[str] = (),
        replace: bool = False,
        now_ms: int,
    ) -> dict[str, Any]:
        """Change one scope's settings after checking that every kiosk it reaches would accept them.

        :raises InvalidSettings: nothing is stored.
        """
        self._check_scope(scope, scope_id)
        current = {} if replace else self.settings(scope, scope_id)
        new = merge(current, changes or {})
        for key in unset:
            head, _, sub = key.partition(".")
            if sub and isinstance(new.get(head), dict):
                new[head] = {k: v for k, v in new[head].items() if k != sub}
            else:
                new.pop(head, None)
        what = "config" if scope == "all" else f"config[{scope} {scope_id}]"
        validate(new, what=what)
        override = {(scope, scope_id): new}
        affected = self._kiosks_in(scope, scope_id)
        for kid, loc in affected:
            validate(self._effective(kid, loc, override), what=f"{what} for kiosk {kid}")
        if not affected and scope != "kiosk":
            loc = scope_id if scope == "location" else ""
            validate(self._effective("", loc, override), what=what)
        self.db.conn.execute(
            "INSERT INTO config_settings (scope, scope_id, settings_json, updated_ms) VALUES (?,?,?,?)"
            " ON CONFLICT DO UPDATE SET settings_json = excluded.settings_json,"
            " updated_ms = excluded.updated_ms",
            (scope, scope_id, _canonical(new), now_ms),
        )
        self.plan(now_ms=now_ms)
        return new

    def _kiosks_in(self, scope: str, scope_id: str) -> list[tuple[str, str]]:
        sql = "SELECT id, location_id FROM kiosks"
        if scope == "location":
            return list(self.db.conn.execute(sql + " WHERE location_id = ?", (scope_id,)))
        if scope == "kiosk":
            return list(self.db.conn.execute(sql + " WHERE id = ?", (scope_id,)))
        return list(self.db.conn.execute(sql))

    # ------------------------------------------------------------------------------------------ versions
    def plan(self, *, now_ms: int) -> int:
        """Give every kiosk whose effective settings changed a new version; return how many changed."""
        conn = self.db.conn
        with immediate(conn):
            changed = 0
            sent = dict(conn.execute("SELECT kiosk_id, settings_json FROM kiosk_config").fetchall())
            for kid, loc in conn.execute("SELECT id, location_id FROM kiosks ORDER BY id").fetchall():
                doc = _canonical(self._effective(kid, loc, {}))
                if sent.get(kid, "{}") == doc:
                    continue
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('config_seq', '1')"
                    " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
                version = int(conn.execute("SELECT value FROM meta WHERE key = 'config_seq'").fetchone()[0])
                conn.execute(
                    "INSERT INTO kiosk_config (kiosk_id, version, settings_json, planned_ms) VALUES (?,?,?,?)"
                    " ON CONFLICT DO UPDATE SET version = excluded.version,"
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
            sql += " AND c.published_version IS NOT c.version"
        rows = self.db.conn.execute(sql + " ORDER BY 1")
        return [Publication(kid, v, json.loads(doc)) for kid, v, doc in rows]

    def mark_published(self, kiosk_id: str, version: int, *, now_ms: int) -> None:
        self.db.conn.execute(
            "UPDATE kiosk_config SET published_version = ?, published_ms = ? WHERE kiosk_id = ?",
            (version, now_ms, kiosk_id),
        )

    def status(self, *, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT k.id, k.location_id, c.version, c.published_version, c.applied_version, c.applied_ms,"
            " c.refused_version, c.refused_reason, c.refused_ms FROM kiosks k"
            " LEFT JOIN kiosk_config c ON c.kiosk_id = k.id"
        )
        args: tuple[str, ...] = ()
        if kiosk_id is not None:
            sql += " WHERE k.id = ?"
            args = (kiosk_id,)
        keys = (
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
        rows = self.db.conn.execute(sql + " ORDER BY k.id", args)
        return [dict(zip(keys, row, strict=True)) for row in rows]


def store_report(conn: sqlite3.Connection, kiosk_id: str, report: ConfigReport, *, received_ms: int) -> None:
    """Record what a kiosk did with a config version (called by the ingest, in autocommit)."""
    conn.execute(
        "INSERT OR IGNORE INTO kiosk_config (kiosk_id, version, settings_json, planned_ms)"
        " SELECT id, 0, '{}', ? FROM kiosks WHERE id = ?",
        (received_ms, kiosk_id),
    )
    if report.is_applied:
        conn.execute(
            "UPDATE kiosk_config SET applied_version = ?, applied_ms = ? WHERE kiosk_id = ?",
            (report.config_version, received_ms, kiosk_id),
        )
    else:
        conn.execute(
            "UPDATE kiosk_config SET refused_version = ?, refused_reason = ?, refused_ms = ? WHERE kiosk_id = ?",
            (report.config_version, report.reason, received_ms, kiosk_id),
        )

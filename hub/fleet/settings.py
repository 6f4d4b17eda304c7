"""Remote kiosk settings kept at the hub: per organisation (``all``), per region, per location and per kiosk.

A kiosk's effective settings are ``all`` < the region of its location < its location < the kiosk itself (later
wins; text tables such as ``questions`` merge per language). Whenever a kiosk's effective settings change (a
``config set``, the kiosk moving to another location, or its location moving to another region) it gets a new
version from one hub-wide counter, so versions only grow;
the runtime publishes it retained on ``fb/v1/k/<id>/config``. The kiosk validates it with the same rules
(:func:`feedback.kiosk_settings.parse_ui`), applies it and reports back; the report lands in ``kiosk_config``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

from feedback.ids import check_id
from feedback.kiosk_settings import SettingsError, parse_ui
from feedback.remote_config import unknown_settings
from hub.errors import InvalidSettings, UnknownRegion
from hub.store import Store
from hub.store.records import Publication

SCOPES = ("all", "region", "location", "kiosk")  # widest first: a later one wins


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
    """The settings service: checks every change against every kiosk it reaches, then plans new versions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _check_scope(self, scope: str, scope_id: str) -> None:
        if scope == "all":
            if scope_id:
                raise InvalidSettings("scope 'all' takes no id")
        elif scope == "region":
            if self.store.registry.find_region(check_id(scope_id, what="region id")) is None:
                raise UnknownRegion(f"no region {scope_id!r}")
        elif scope == "location":
            self.store.registry.location(check_id(scope_id, what="location id"))
        elif scope == "kiosk":
            self.store.registry.kiosk(check_id(scope_id, what="kiosk id"))
        else:
            raise InvalidSettings(f"scope must be one of {', '.join(SCOPES)}")

    def settings(self, scope: str, scope_id: str = "") -> dict[str, Any]:
        return self.store.settings.get(scope, scope_id)

    def effective(self, kiosk_id: str) -> dict[str, Any]:
        kiosk = self.store.registry.kiosk(kiosk_id)
        return self._effective(kiosk.id, kiosk.location_id, {})

    def effective_at(self, scope: str, scope_id: str = "") -> dict[str, Any]:
        """What a kiosk in this scope would get (for a region or a location: a kiosk with no settings of its own,
        in a location with none)."""
        self._check_scope(scope, scope_id)
        if scope == "kiosk":
            return self.effective(scope_id)
        if scope == "region":
            return self._effective("", "", {}, region_id=scope_id)
        return self._effective("", scope_id if scope == "location" else "", {})

    def _region_of(self, location_id: str) -> str:
        loc = self.store.registry.find_location(location_id) if location_id else None
        return (loc.region_id or "") if loc is not None else ""

    def _effective(
        self,
        kiosk_id: str,
        location_id: str,
        override: Mapping[tuple[str, str], dict[str, Any]],
        *,
        region_id: str | None = None,
    ) -> dict[str, Any]:
        """``all`` < the location's region (or ``region_id``) < the location < the kiosk; ``override`` stands in
        for what a scope is about to become."""
        region = self._region_of(location_id) if region_id is None else region_id
        out: dict[str, Any] = {}
        for key in (("all", ""), ("region", region), ("location", location_id), ("kiosk", kiosk_id)):
            if key[0] != "all" and not key[1]:
                continue  # no region (or location, or kiosk) at this level
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
        affected = self.store.settings.kiosks_in(scope, scope_id)
        for kid, loc in affected:
            validate(self._effective(kid, loc, override), what=f"{what} for kiosk {kid}")
        if not affected and scope != "kiosk":
            loc = scope_id if scope == "location" else ""
            region = scope_id if scope == "region" else None
            validate(self._effective("", loc, override, region_id=region), what=what)
        self.store.settings.put(scope, scope_id, _canonical(new), now_ms=now_ms)
        self.plan(now_ms=now_ms)
        self._remember_question(scope, scope_id, now_ms=now_ms)
        return new

    def check_location_move(self, location_id: str, *, region_id: str) -> None:
        """Before a location moves into ``region_id``: its kiosks must accept what they would get there.

        :raises InvalidSettings: naming the kiosk and the setting (move nothing)
        """
        for kid, loc in self.store.settings.kiosks_in("location", location_id):
            validate(
                self._effective(kid, loc, {}, region_id=region_id), what=f"config[region {region_id}] for kiosk {kid}"
            )

    def _remember_question(self, scope: str, scope_id: str, *, now_ms: int) -> None:
        """Keep the history of each question's texts: the question the scope now asks, in its words."""
        effective = self.effective_at(scope, scope_id)
        texts = effective.get("questions")
        if isinstance(texts, dict) and texts:
            qid = str(effective.get("question_id", "q1"))
            self.store.questions.record_texts(qid, {str(k): str(v) for k, v in texts.items()}, now_ms=now_ms)

    def plan(self, *, now_ms: int) -> int:
        """Give every kiosk whose effective settings changed a new version; return how many changed."""
        return self.store.settings.plan(lambda kid, loc: _canonical(self._effective(kid, loc, {})), now_ms=now_ms)

    def publications(self, *, only_unpublished: bool) -> list[Publication]:
        return self.store.settings.publications(only_unpublished=only_unpublished)

    def mark_published(self, kiosk_id: str, version: int, *, now_ms: int) -> None:
        self.store.settings.mark_published(kiosk_id, version, now_ms=now_ms)

    def status(self, *, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        return self.store.settings.status(kiosk_id=kiosk_id)


def rollout_state(row: dict[str, Any]) -> str:
    """Where a kiosk's latest settings version stands: ``none`` (never planned), ``planned``, ``published``
    (sent, not yet confirmed), ``applied`` or ``refused`` (the kiosk said why: ``refused_reason``)."""
    version = row.get("version")
    if not version:
        return "none"
    if row.get("applied_version") == version:
        return "applied"
    if row.get("refused_version") == version:
        return "refused"
    if row.get("published_version") == version:
        return "published"
    return "planned"

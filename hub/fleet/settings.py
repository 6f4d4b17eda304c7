"""Remote kiosk settings kept at the hub: per organisation (``all``), per location and per kiosk.

A kiosk's effective settings are ``all`` < its location < the kiosk itself (later wins; text tables such as
``questions`` merge per language). Whenever a kiosk's effective settings change (a ``config set``, or the
kiosk moving to another location) it gets a new version from one hub-wide counter, so versions only grow;
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
from hub.errors import InvalidSettings
from hub.store import Store
from hub.store.records import Publication

SCOPES = ("all", "location", "kiosk")


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
        """What a kiosk in this scope would get (for a location: a kiosk with no settings of its own)."""
        self._check_scope(scope, scope_id)
        if scope == "kiosk":
            return self.effective(scope_id)
        return self._effective("", scope_id if scope == "location" else "", {})

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
        affected = self.store.settings.kiosks_in(scope, scope_id)
        for kid, loc in affected:
            validate(self._effective(kid, loc, override), what=f"{what} for kiosk {kid}")
        if not affected and scope != "kiosk":
            loc = scope_id if scope == "location" else ""
            validate(self._effective("", loc, override), what=what)
        self.store.settings.put(scope, scope_id, _canonical(new), now_ms=now_ms)
        self.plan(now_ms=now_ms)
        self._remember_question(scope, scope_id, now_ms=now_ms)
        return new

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

"""A real hub store with known ratings ingested through the ledger, and the app around it (lifespan run)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from feedback.rating import Rating
from hub.accounts import add_user, create_token
from hub.app import create_app
from hub.config import HubConfig
from hub.fleet.addresses import set_explicit
from hub.fleet.kiosks import register_kiosk
from hub.store import open_store
from hub.store.records import Incoming
from tests.postgres import sql_of

NOW = datetime(2026, 4, 10, 10, 0, tzinfo=UTC)  # a Friday
NOW_MS = int(NOW.timestamp() * 1000)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
PASSWORD = "correct horse battery"
SEQ_EPOCH_MS = 946_684_800_000  # 2000-01-01: a tap's seq is its time in ms since then
BASE_URL = "http://127.0.0.1"  # a host name the hub serves (the default allowed hosts); "testserver" is not


def local_ms(text: str, tz: ZoneInfo = STOCKHOLM, *, fold: int = 0) -> int:
    """UTC ms of a local wall-clock time like ``2026-03-28 23:30`` in ``tz``."""
    return int(datetime.fromisoformat(text).replace(tzinfo=tz, fold=fold).timestamp() * 1000)


class Store:
    """The hub store of one test (``db``), with ratings added through its ledger's ``store_batch``."""

    def __init__(self, data_dir: Path, database: str | None = None) -> None:
        self.data_dir = data_dir
        self.database = database  # a PostgreSQL URL; None: the SQLite file hub.db in data_dir
        self.db = open_store(database or data_dir / "hub.db")
        self.sql = sql_of(self.db)  # the tables themselves, for checks that must not trust the store's reads
        self.registry = self.db.registry
        self._seqs: dict[str, set[int]] = {}
        self.tokens: dict[str, str] = {}

    def location(
        self,
        location_id: str,
        name: str,
        *,
        tz: str = "Europe/Stockholm",
        region: str | None = None,
        kiosks: tuple[str, ...] = (),
    ) -> None:
        self.registry.add_location(location_id, name=name, timezone=tz, now_ms=NOW_MS, region_id=region)
        for kid in kiosks:
            register_kiosk(self.db, kid, location_id=location_id, now_ms=NOW_MS)

    def ingest(
        self,
        kiosk_id: str,
        taps: list[tuple[int, int]],
        *,
        scale: int = 4,
        reason: str | None = None,
        misuse: bool = False,
        received_ms: int = NOW_MS,
    ) -> list[int]:
        """Store taps ``(time_ms, face)`` in one batch received at ``received_ms``; returns their seqs.

        Seqs follow the taps' times, as a real kiosk numbers them, whatever order a test ingests them in (the
        hub judges time order and misuse by seq: ``feedback.abuse``); taps of a later call that belong before
        earlier ones arrive like a kiosk's resent gap.
        """
        ratings = []
        used = self._seqs.setdefault(kiosk_id, set())
        for time_ms, face in taps:
            seq = time_ms - SEQ_EPOCH_MS
            while seq in used:
                seq += 1
            used.add(seq)
            ratings.append(
                Rating(
                    kiosk_id,
                    seq,
                    str(uuid.uuid4()),
                    face,
                    scale,
                    "visit",
                    time_ms,
                    "boot-1",
                    seq * 1000,
                    reason=reason,
                    is_misuse=misuse,
                )
            )
        out = self.db.ledger.store_batch([Incoming(kiosk_id, received_ms, ratings)], now_ms=received_ms)
        assert out.stored == len(ratings)
        return [r.seq for r in ratings]

    def faces(
        self,
        kiosk_id: str,
        day_local: str,
        counts: list[int],
        *,
        hour: int = 12,
        scale: int = 4,
        reason: str | None = None,
    ) -> None:
        """``counts[f]`` taps of face ``f`` at ``hour`` local time, one minute apart (none is misuse)."""
        t0 = local_ms(f"{day_local} {hour:02d}:00")
        taps: list[tuple[int, int]] = []
        for face, n in enumerate(counts):
            taps += [(t0 + 60_000 * (len(taps) + i), face) for i in range(n)]
        self.ingest(kiosk_id, taps, scale=scale, reason=reason)

    def token(self, role: str, user: str | None = None) -> str:
        key = f"{role}:{user}"
        if key not in self.tokens:
            self.tokens[key] = create_token(self.db, role=role, now_ms=NOW_MS, user_id=user)
        return self.tokens[key]


@pytest.fixture
def store(tmp_path: Path, database: str | None) -> Iterator[Store]:
    """Four locations in two regions and two zones, five kiosks, an admin and three managers (on SQLite, or on
    PostgreSQL in a module marked ``both_engines``)."""
    s = Store(tmp_path / "hub", database)
    s.registry.add_region("east", name="Öst")
    s.registry.add_region("west", name="Väst")
    s.location("sto", "Stockholm City", region="east", kiosks=("sto-1", "sto-2"))
    s.location("upp", "Uppsala", region="east", kiosks=("upp-1",))
    s.location("gbg", "Göteborg", region="west", kiosks=("gbg-1",))
    s.location("nyc", "New York", tz="America/New_York", kiosks=("nyc-1",))
    add_user(s.db, "boss", role="admin", password=PASSWORD, now_ms=NOW_MS)
    add_user(s.db, "anna", role="manager", password=PASSWORD, now_ms=NOW_MS, location_ids=["sto"])
    add_user(s.db, "erik", role="manager", password=PASSWORD, now_ms=NOW_MS, region_ids=["west"])
    add_user(s.db, "nobody", role="manager", password=PASSWORD, now_ms=NOW_MS)
    set_explicit(s.db, "mqtt://hub.example:18830")  # the broker address new kiosk configs name
    yield s
    s.db.close()


def make_client(store: Store, *, allowed_hosts: tuple[str, ...] = ()) -> TestClient:
    app = create_app(
        HubConfig(data_dir=store.data_dir, ingest_enabled=False, allowed_hosts=allowed_hosts, database=store.database),
        now_ms=lambda: NOW_MS,
        run_services=False,
    )
    return TestClient(app, base_url=BASE_URL)


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    """The hub app over ``store`` (lifespan run, no broker, a fixed clock: Friday 2026-04-10 12:00 Stockholm)."""
    with make_client(store) as c:
        yield c


def bearer(store: Store, role: str, user: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {store.token(role, user)}"}


def login(client: TestClient, user: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the login form (with its CSRF cookie); the client keeps the session cookie."""
    client.get("/login")
    csrf = client.cookies.get("hub_login_csrf")
    response: httpx.Response = client.post(
        "/login", data={"username": user, "password": password, "csrf": csrf or "", "next": "/"}, follow_redirects=False
    )
    return response


def page_csrf(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token as embedded in a page's forms."""
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert m, "page has no CSRF field"
    return m.group(1)


def get_json(client: TestClient, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
    r = client.get(path, params=params, headers=headers or {})
    assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
    return r.json()

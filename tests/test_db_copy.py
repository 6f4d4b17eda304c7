"""``hub db copy``: a SQLite hub moved into PostgreSQL keeps every row, and reads the same numbers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hub import cli as hub_cli
from hub.accounts import add_user
from hub.store import open_store
from tests.dashboard.conftest import NOW_MS, PASSWORD, Store
from tests.harness import hub_cmd


@pytest.fixture
def sqlite_hub(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "hub")
    s.location("sto", "Stockholm", region="east", kiosks=("sto-1", "sto-2"))
    s.location("nyc", "New York", tz="America/New_York", kiosks=("nyc-1",))
    s.faces("sto-1", "2026-03-28", [3, 1, 4, 1])
    s.faces("sto-2", "2026-03-29", [0, 2, 0, 7], reason="queue")  # the DST change in Stockholm
    s.faces("nyc-1", "2026-04-08", [1, 1, 1, 1, 1], scale=5)
    s.ingest("sto-1", [(NOW_MS - 1000, 0), (NOW_MS - 500, 0)], misuse=True)
    s.token("admin")
    add_user(s.db, "anna", role="manager", password=PASSWORD, now_ms=NOW_MS, location_ids=["sto"])
    s.db.audit.record(actor="boss", action="user.add", target="anna", detail={"role": "manager"}, now_ms=NOW_MS)
    s.db.sign_ins.failed("10.0.0.9", "anna", now_ms=NOW_MS, keep_ms=86_400_000, max_rows=100)
    yield s
    s.db.close()


def test_copy_moves_every_row_and_the_reports_read_the_same(sqlite_hub: Store, pg_url: str) -> None:
    """Every table's rows arrive; ratings equal their rollups; reports and accounts read the same on both."""
    out = hub_cmd("db", "copy", "--from", str(sqlite_hub.data_dir), "--to", pg_url)
    assert '"ratings": 25' in out
    first, last = date(2026, 3, 1), date(2026, 4, 30)
    with open_store(pg_url) as pg:
        src = sqlite_hub.db
        assert pg.ops.rating_counts() == src.ops.rating_counts()
        assert pg.ops.rating_counts().ratings == pg.ops.rating_counts().rolled_up == 25
        for loc in ("sto", "nyc"):
            assert pg.reads.counts_by_scale([loc], first, last, include_misuse=True) == src.reads.counts_by_scale(
                [loc], first, last, include_misuse=True
            )
            assert pg.reads.daily(loc, first, last, include_misuse=False) == src.reads.daily(
                loc, first, last, include_misuse=False
            )
        periods = [(first, last), (date(2026, 3, 29), date(2026, 3, 29))]
        assert pg.reads.period_counts(["sto", "nyc"], periods, include_misuse=False) == src.reads.period_counts(
            ["sto", "nyc"], periods, include_misuse=False
        )
        assert pg.accounts.find_user("anna") == src.accounts.find_user("anna")
        assert pg.registry.kiosks() == src.registry.kiosks()
        assert pg.audit.entries() == src.audit.entries()
        # numbered rows continue after the copied ones
        pg.audit.record(actor="boss", action="user.add", target="ola", detail={}, now_ms=NOW_MS + 1)
        assert [e.target for e in pg.audit.entries()] == ["ola", "anna"]
        assert pg.sign_ins.count(since_ms=0) == 1


def test_copy_into_a_store_that_holds_data_is_refused(
    sqlite_hub: Store, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second copy into the same database changes nothing and says why."""
    hub_cmd("db", "copy", "--from", str(sqlite_hub.data_dir), "--to", pg_url)
    assert hub_cli.main(["db", "copy", "--from", str(sqlite_hub.data_dir), "--to", pg_url]) == 2
    assert "not empty" in capsys.readouterr().err
    with open_store(pg_url) as pg:
        assert pg.ops.rating_counts().ratings == 25

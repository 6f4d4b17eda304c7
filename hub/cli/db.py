"""``python -m hub db copy --from … --to …``: move a hub's store to another engine (SQLite → PostgreSQL)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hub.errors import CopyFailed
from hub.store import is_postgresql_url, open_store
from hub.store.copy import copy_store


def add_db_parser(sub: Any) -> None:
    db = sub.add_parser("db", help="the hub's store as a whole").add_subparsers(dest="action", required=True)
    c = db.add_parser(
        "copy",
        help="copy every table into a new, empty store and check the counts (stop the hub first)",
        description="Copy a hub's store, e.g. the SQLite file of a data dir into a new PostgreSQL database. "
        "Stop every hub process using the source first; the destination must be empty.",
    )
    c.add_argument("--from", dest="source", required=True, help="a data dir, a hub.db file or a postgresql:// URL")
    c.add_argument("--to", dest="dest", required=True, help="a postgresql://USER:PASS@HOST:PORT/DB URL")


def copy_target(text: str) -> str | Path:
    """A ``postgresql://`` URL as it is; a data dir as its ``hub.db``; any other path as the SQLite file."""
    if is_postgresql_url(text):
        return text
    path = Path(text)
    return path / "hub.db" if path.is_dir() else path


def run_db(args: argparse.Namespace) -> int:
    source = copy_target(args.source)
    if isinstance(source, Path) and not source.exists():
        raise CopyFailed(f"--from: no store at {source}")
    with open_store(source) as src, open_store(copy_target(args.dest)) as dst:
        counts = copy_store(src, dst)
    print(json.dumps({"copied": counts}, indent=2))
    return 0

"""What every hub command shares: the data-dir option and opening the store it names."""

from __future__ import annotations

import argparse
from pathlib import Path

from hub.store import Store, open_store


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("hub-data"),
        help="directory holding hub.db, secrets and broker files (default: ./hub-data)",
    )


def store_of(args: argparse.Namespace) -> Store:
    return open_store(args.data_dir / "hub.db")

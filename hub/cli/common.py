"""What every hub command shares: the data-dir and database options and opening the store they name."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hub.store import Store, open_store


def add_data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("hub-data"),
        help="directory holding hub.db, secrets and broker files (default: ./hub-data)",
    )
    add_database(p)


def add_database(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--database",
        default=os.environ.get("HUB_DATABASE") or None,
        metavar="URL",
        help="a PostgreSQL store, postgresql://USER:PASS@HOST:PORT/DB (default: $HUB_DATABASE, else the SQLite"
        " file hub.db in --data-dir)",
    )


def mqtt_urls(args: argparse.Namespace) -> list[str]:
    """``--mqtt-url`` as given (once per broker), else ``$HUB_MQTT_URLS`` (URLs separated by spaces): the
    environment keeps the brokers' passwords off the command line (a systemd ``EnvironmentFile``, say)."""
    given: list[str] | None = args.mqtt_url
    return list(given or os.environ.get("HUB_MQTT_URLS", "").split())


def store_target(args: argparse.Namespace) -> str | Path:
    """The store a command opens: ``--database`` when given, else ``hub.db`` in ``--data-dir``."""
    database: str | None = args.database
    return database or args.data_dir / "hub.db"


def store_of(args: argparse.Namespace) -> Store:
    return open_store(store_target(args))

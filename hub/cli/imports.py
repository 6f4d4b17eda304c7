"""``python -m hub import happyornot FILE… [--mapping FILE] [--timezone TZ]``: progress on stderr, a summary on
stdout. Run it again after a crash: it resumes after the last committed row and stores nothing twice."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from hub.cli.common import add_data_dir
from hub.imports.happyornot import Importer, Progress
from hub.imports.mapping import load_mapping
from hub.store import Store


def add_import_parser(sub: Any) -> None:
    imp = sub.add_parser("import", help="import another system's history").add_subparsers(dest="source", required=True)
    hon = imp.add_parser(
        "happyornot",
        help="import HappyOrNot exports (JSON or CSV: button feedbacks, follow-up feedbacks, experience points,"
        " surveys); safe to repeat",
    )
    hon.add_argument("files", nargs="+", type=Path, metavar="FILE")
    hon.add_argument("--mapping", type=Path, help="JSON mapping of experience points and surveys (docs/switching.md)")
    hon.add_argument("--timezone", help="IANA zone of new stores, e.g. Europe/Stockholm (overrides the mapping's)")
    add_data_dir(hon)


class TerminalProgress:
    """Progress lines on stderr: rewritten in place on a terminal, one per second otherwise."""

    def __init__(self) -> None:
        self.is_tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if p.fraction < 1.0 and now - self.last < (0.2 if self.is_tty else 1.0):
            return
        self.last = now
        rate = p.rows / max(now - self.started, 1e-6)
        text = f"{p.name}: {p.fraction:4.0%} {p.rows:,} rows ({rate:,.0f} rows/s)"
        if self.is_tty:
            print("\r" + text, end="\n" if p.fraction >= 1.0 else "", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)


def run_import(args: argparse.Namespace, store: Store, now: int) -> None:
    mapping = load_mapping(args.mapping, timezone=args.timezone)
    summary = Importer(store, mapping, now_ms=now, on_progress=TerminalProgress()).run(args.files)
    for line in summary.lines():
        print(line)

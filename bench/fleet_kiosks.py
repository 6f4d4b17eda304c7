"""One process of ``bench.fleet_reconnect``'s simulated fleet: the kiosks listed run real ``kiosk.uplink.Uplink``s
until each has its queued ratings acknowledged.

It imports the kiosk side only (not the hub, the test harness or the bench's set-up), as a real kiosk does: the
import of those cost each of the bench's processes ~1.5 CPU seconds, which the fleet's figure then carried.

    .venv/bin/python -m bench.fleet_kiosks LIST_FILE --ratings N --timeout-s S
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from kiosk.config import load_config
from kiosk.uplink import Uplink


def run(config_list: Path, ratings: int, timeout_s: float) -> int:
    """Run the kiosks listed (one config path per line) until each has ``ratings`` acknowledged; 1 on timeout."""
    uplinks = [Uplink(load_config(Path(line))) for line in config_list.read_text().split()]
    for up in uplinks:
        up.start()
    deadline = time.monotonic() + timeout_s
    try:
        while not all(up.state.acked_through >= ratings for up in uplinks):
            if time.monotonic() > deadline:
                behind = sum(up.state.acked_through < ratings for up in uplinks)
                print(f"{behind} of {len(uplinks)} kiosks not acknowledged after {timeout_s:.0f} s", file=sys.stderr)
                return 1
            time.sleep(0.2)  # a poll with a deadline: this process only watches the uplinks' threads
    finally:
        for up in uplinks:
            up.stopping.set()
            up.woken.set()
        for up in uplinks:
            up.stop(timeout=2.0)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config_list", type=Path)
    parser.add_argument("--ratings", type=int, required=True, help="queued per kiosk")
    parser.add_argument("--timeout-s", type=float, default=900)
    args = parser.parse_args()
    sys.exit(run(args.config_list, args.ratings, args.timeout_s))


if __name__ == "__main__":
    main()

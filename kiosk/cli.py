"""``python -m kiosk``: run the touchscreen app, simulate taps, or print the outbox status."""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from feedback.misuse import is_misuse
from kiosk.clock import DeviceClock
from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.outbox import Outbox, OutboxBelongsToAnotherKiosk
from kiosk.remote_config import RemoteConfig, saved_version
from kiosk.simulate import SimTap, backfill_taps, live_taps


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kiosk", description="Feedback kiosk.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, required=True, help="the TOML file `hub kiosk add` wrote")
        p.add_argument("--data-dir", type=Path, help="where the outbox lives (default: from the config)")
        p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])

    r = sub.add_parser("run", help="run the touchscreen app (Kivy)")
    common(r)
    r.add_argument("--windowed", action="store_true", help="a window instead of full screen")

    s = sub.add_parser("simulate", help="record N taps through the real outbox and uplink")
    common(s)
    s.add_argument("--taps", type=int, required=True, help="how many taps to record")
    s.add_argument("--rate", type=float, default=0.0, help="taps per second (default: as fast as possible)")
    s.add_argument(
        "--wait-acked",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="then wait up to SECONDS for the hub to acknowledge everything (exit 1 if not)",
    )
    s.add_argument(
        "--backfill-days",
        type=int,
        default=0,
        help="give the taps device times spread over the past DAYS days (demo data)",
    )
    s.add_argument("--timezone", default="Europe/Stockholm", help="local zone for the backfill rhythm")
    s.add_argument("--mood", type=float, default=0.0, help="-1 (grumpy store) .. 1 (happy store)")
    s.add_argument("--seed", type=int, help="random seed for reproducible taps")
    s.add_argument("--offline", action="store_true", help="record only; do not connect")
    s.add_argument(
        "--clock-offset-s",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="testing: play a kiosk whose wall clock is off by SECONDS (-31536000: a year behind)",
    )

    st = sub.add_parser("status", help="print the outbox figures as JSON")
    common(st)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config(args.config, data_dir=args.data_dir)
        if args.command == "status":
            outbox = Outbox(config.outbox_path, kiosk_id=config.kiosk_id)
            print(json.dumps({**outbox.counts().as_dict(), "config_version": saved_version(config.data_dir)}))
            return 0
        if args.command == "simulate":
            return simulate(config, args)
        from kiosk.launch import run_app  # checks the config before Kivy is imported

        return run_app(config, windowed=args.windowed)
    except (ConfigError, OutboxBelongsToAnotherKiosk) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def simulate(config: KioskConfig, args: argparse.Namespace) -> int:
    from kiosk.uplink import Uplink

    if args.taps < 0 or args.rate < 0 or args.wait_acked < 0:
        print("error: --taps, --rate and --wait-acked must not be negative", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    clock = DeviceClock(offset_ms=round(args.clock_offset_s * 1000))
    outbox = Outbox(config.outbox_path, kiosk_id=config.kiosk_id)
    outbox.release_all_held()
    remote = RemoteConfig(config)  # the last good remote config, also when offline
    uplink = None
    if not args.offline:
        uplink = Uplink(config, clock=clock, on_config=remote.handle, config_version=remote.version)
        remote.report = uplink.report
        uplink.start()
    ui = remote.ui
    taps: Iterable[SimTap]
    if args.backfill_days > 0:
        taps = backfill_taps(
            args.taps,
            scale=ui.faces,
            days=args.backfill_days,
            end=datetime.now(UTC),
            zone=args.timezone,
            rng=rng,
            mood=args.mood,
            reasons=ui.reasons,
        )
        boot_id = f"backfill-{uuid.uuid4()}"  # no live status ever fixes this boot: times stay as given
    else:
        taps = live_taps(args.taps, scale=ui.faces, rng=rng, mood=args.mood, reasons=ui.reasons)
        boot_id = clock.boot_id
    last = outbox.last_tap()
    previous_ms = last[1] if last else None
    started = time.monotonic()
    interactive = sys.stderr.isatty()
    done = 0
    try:
        for tap in taps:
            now_ms = tap.time_ms if tap.time_ms is not None else clock.now_ms()
            misuse = is_misuse(
                None if previous_ms is None else previous_ms / 1000, now_ms / 1000, interval_s=ui.response_interval_s
            )
            outbox.record(
                face=tap.face,
                scale=ui.faces,
                question_id=ui.question_id,
                time_ms=now_ms,
                boot_id=boot_id,
                mono_ms=clock.mono_ms(),
                is_misuse=misuse,
                reason=tap.reason,
            )
            previous_ms = now_ms
            done += 1
            if uplink is not None:
                uplink.wake()
            if args.rate > 0:
                delay = started + done / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            if done % 1000 == 0 or done == args.taps:
                _progress(f"{config.kiosk_id}: recorded {done}/{args.taps}", interactive)
        if uplink is None:
            return 0
        if args.wait_acked <= 0:
            return 0
        deadline = time.monotonic() + args.wait_acked
        last_seq = outbox.last_seq()
        pending = outbox.pending_count()
        next_line = 0.0
        while time.monotonic() < deadline:
            state = uplink.state  # no count(*) here: it would compete with the uplink for the GIL
            last_seq = outbox.last_seq()  # one row; it moves if the outbox was renumbered (re-flashed kiosk)
            pending = max(0, last_seq - state.acked_through)
            if pending == 0 and state.hub_through is not None and state.hub_through >= last_seq:
                break  # everything acknowledged, and the hub confirmed since this start that it holds it
            if time.monotonic() >= next_line:
                _progress(f"{config.kiosk_id}: recorded {done}, waiting for hub: {pending} pending", interactive)
                next_line = time.monotonic() + (0.2 if interactive else 2.0)
            time.sleep(0.05)
        else:
            _progress(
                f"{config.kiosk_id}: recorded {done}, {pending} pending (hub has not confirmed)", interactive, end=True
            )
            return 1
        _progress(f"{config.kiosk_id}: recorded {done}, all acknowledged by the hub", interactive, end=True)
        return 0
    finally:
        if uplink is not None:
            uplink.stop()
        outbox.close()


def _progress(text: str, interactive: bool, *, end: bool = False) -> None:
    if interactive:
        sys.stderr.write("\r" + text + ("\n" if end else ""))
    else:
        sys.stderr.write(text + "\n")
    sys.stderr.flush()

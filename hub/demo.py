"""``python -m hub demo``: the hub with its managed broker, a demo organisation and fleet, a month of history,
a live trickle of taps, and a kiosk window when a display exists. Runs until Ctrl-C and stops its children.

Everything goes through the public command lines (``python -m hub …``, ``python -m kiosk simulate``), the same
paths a real installation uses.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

# (region, location id, name, kiosks, mood -1..1)
ORGANISATION = [
    ("stockholm", "sto-drottninggatan", "Stockholm Drottninggatan", 3, 0.4),
    ("stockholm", "sto-sodermalm", "Stockholm Södermalm", 2, 0.1),
    ("stockholm", "uppsala-centrum", "Uppsala Centrum", 2, -0.2),
    ("vast", "gbg-nordstan", "Göteborg Nordstan", 3, 0.0),
    ("syd", "malmo-triangeln", "Malmö Triangeln", 2, -0.5),
]
# the simulated shoppers come 8-21 every day (kiosk.simulate); Sunday's shorter hours leave a few answers outside
# them, which the dashboard flags and leaves out ("include answers outside opening hours" shows them)
DEMO_HOURS = "mon-sat 8-21, sun 10-18"
REGIONS = {"stockholm": "Stockholm och Uppsala", "vast": "Västra Götaland", "syd": "Skåne"}
BACKFILL_TAPS_PER_KIOSK = 1500
TRICKLE_RATE_PER_KIOSK = 1 / 20  # taps per second


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def _run(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(_cmd(*args), input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"demo: `{' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout


def _wait_http(url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if json.load(r).get("mqtt_connected"):
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def _organise(data: Path, broker_url: str) -> tuple[list[tuple[str, Path, float]], str]:
    """Create regions, locations, simulated kiosks and users on first run; returns the simulated kiosks' configs
    and the demo password. The touchscreen kiosk is registered only when its window opens (:func:`_window_kiosk`),
    so ``--no-window`` leaves no kiosk that never reports and shows as offline (issue 11, defect 9)."""
    dd = ["--data-dir", str(data)]
    configs: list[tuple[str, Path, float]] = []
    marker = data / "demo-organised.json"
    if marker.exists():
        saved = json.loads(marker.read_text())
        return [(k, Path(p), m) for k, p, m in saved["kiosks"]], saved["manager_password"]
    for region, name in REGIONS.items():
        _run("hub", "region", "add", region, "--name", name, *dd)
    for region, loc, name, n, mood in ORGANISATION:
        _run("hub", "location", "add", loc, "--name", name, "--timezone", "Europe/Stockholm", "--region", region, *dd)
        _run("hub", "location", "set", loc, "--opening-hours", DEMO_HOURS, *dd)
        for i in range(1, n + 1):
            kid = f"{loc}-{i}"
            path = data / "kiosks" / f"{kid}.toml"
            _run("hub", "kiosk", "add", kid, "--location", loc, "--broker-url", broker_url, "--out", str(path), *dd)
            configs.append((kid, path, mood))
    password = secrets.token_urlsafe(9)
    _run(
        "hub",
        "user",
        "add",
        "anna",
        "--role",
        "manager",
        "--region",
        "stockholm",
        "--password-stdin",
        *dd,
        stdin=password + "\n",
    )
    _run("hub", "user", "add", "admin", "--role", "admin", "--password-stdin", *dd, stdin=password + "\n")
    marker.write_text(
        json.dumps(
            {
                "kiosks": [(k, str(p), m) for k, p, m in configs],
                "manager_password": password,
            }
        )
    )
    return configs, password


def _window_kiosk(data: Path, broker_url: str) -> Path:
    """The touchscreen kiosk's config, registered on first use (its own id: one id is one seq space, never
    shared by two outboxes)."""
    window_loc = ORGANISATION[0][1]
    window_cfg = data / "kiosks" / f"{window_loc}-touch.toml"
    if not window_cfg.exists():
        _run(
            "hub",
            "kiosk",
            "add",
            window_cfg.stem,
            "--location",
            window_loc,
            "--broker-url",
            broker_url,
            "--out",
            str(window_cfg),
            "--data-dir",
            str(data),
        )
    return window_cfg


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub demo", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("demo-data"))
    parser.add_argument("--http-port", type=int, default=8470)
    parser.add_argument("--mqtt-port", type=int, default=18830)
    parser.add_argument("--no-window", action="store_true", help="do not open a kiosk window even with a display")
    args = parser.parse_args(argv)
    data = args.data_dir.resolve()
    data.mkdir(parents=True, exist_ok=True)
    broker_url = f"mqtt://127.0.0.1:{args.mqtt_port}"
    children: list[subprocess.Popen[bytes]] = []
    logs = data / "logs"
    logs.mkdir(exist_ok=True)

    def spawn(name: str, *cmd: str) -> subprocess.Popen[bytes]:
        log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(_cmd(*cmd), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        children.append(proc)
        return proc

    def stop_all(*_: object) -> None:
        for proc in reversed(children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(children):
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        configs, password = _organise(data, broker_url)
        spawn(
            "hub",
            "hub",
            "serve",
            "--data-dir",
            str(data),
            "--http-port",
            str(args.http_port),
            "--mqtt-port",
            str(args.mqtt_port),
        )
        url = f"http://127.0.0.1:{args.http_port}"
        if not _wait_http(url + "/healthz", 60):
            raise SystemExit(f"demo: the hub did not come up; see {logs / 'hub.log'}")
        token = _run("hub", "token", "create", "--data-dir", str(data)).strip()
        backfilled = data / "demo-backfilled"
        if not backfilled.exists():
            print(f"demo: backfilling a month of ratings on {len(configs)} kiosks …", flush=True)
            jobs = [
                spawn(
                    f"backfill-{kid}",
                    "kiosk",
                    "simulate",
                    "--config",
                    str(path),
                    "--taps",
                    str(BACKFILL_TAPS_PER_KIOSK),
                    "--backfill-days",
                    "30",
                    "--mood",
                    str(mood),
                    "--seed",
                    str(i),
                    "--wait-acked",
                    "600",
                )
                for i, (kid, path, mood) in enumerate(configs)
            ]
            failed = [j for j in jobs if j.wait() != 0]
            if failed:
                print(f"demo: {len(failed)} backfills did not finish; see {logs}", file=sys.stderr)
            else:
                backfilled.touch()
        for kid, path, mood in configs:
            spawn(
                f"trickle-{kid}",
                "kiosk",
                "simulate",
                "--config",
                str(path),
                "--taps",
                "100000000",
                "--rate",
                str(TRICKLE_RATE_PER_KIOSK),
                "--mood",
                str(mood),
            )
        window = ""
        if os.environ.get("DISPLAY") and not args.no_window:
            window_cfg = _window_kiosk(data, broker_url)
            kid = window_cfg.stem
            spawn("kiosk-window", "kiosk", "run", "--config", str(window_cfg), "--windowed")
            window = (
                f"\n  A kiosk window ({kid}) is open: tap a face. Staff panel: long-press the top-left corner,"
                " PIN 0000."
            )
        print(
            f"""
Demo running. Ctrl-C stops it (data stays in {data}; delete the folder to start over).

  Dashboard:  {url}/            manager: anna / {password}   (sees the Stockholm region)
                                 admin:   admin / {password}
  API docs:   {url}/docs
  API token:  {token}
  Try:        curl -H 'Authorization: Bearer {token}' {url}/api/locations
              curl -H 'Authorization: Bearer {token}' '{url}/api/locations/gbg-nordstan/summary'
              curl {url}/metrics
              .venv/bin/python -m hub kiosk list --data-dir {data}
              .venv/bin/python -m kiosk status --config {configs[0][1]}
  Logs:       {logs}/{window}
""",
            flush=True,
        )
        hub_proc = children[0]
        while hub_proc.poll() is None:
            time.sleep(1)
        print("demo: the hub stopped; see its log", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndemo: stopping …", file=sys.stderr)
        return 0
    finally:
        stop_all()

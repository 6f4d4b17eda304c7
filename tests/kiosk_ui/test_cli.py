"""`python -m kiosk run` as the demo and systemd start it: a real process, a real window under Xvfb."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.harness import ROOT, child_env, wait_until
from tests.kiosk_ui.display import Xvfb

BASE = """
[kiosk]
id = "cli-kiosk"
location = "sto"
[broker]
url = "mqtt://127.0.0.1:{port}"
password = "secret"
"""


def kivy_env(tmp_path: Path) -> dict[str, str]:
    """The child's environment with a Kivy home of its own (a shared one races: Kivy upgrades its config.ini)."""
    home = tmp_path / "kivy-home"
    home.mkdir(exist_ok=True)
    return {**child_env(), "KIVY_HOME": str(home)}


def run_kiosk(config: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=kivy_env(log.parent),
            cwd=ROOT,
        )


@pytest.mark.parametrize(
    ("ui", "key"),
    [
        ("faces = 7", "ui.faces"),
        ('languages = ["sv", "xx"]\nlanguage = "sv"', "ui.languages"),
        ('staff_pin = "12"', "ui.staff_pin"),
        ("thank_you_s = 0.0", "ui.thank_you_s"),
        ("followup_faces = [9]", "ui.followup_faces"),
    ],
)
def test_bad_config_fails_at_start_naming_the_key(tmp_path: Path, ui: str, key: str) -> None:
    """A bad [ui] value stops `kiosk run` before Kivy is imported: stderr is one error line naming the key."""
    cfg = tmp_path / "k.toml"
    cfg.write_text(BASE.format(port=1) + "[ui]\n" + ui + "\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "run",
            "--config",
            str(cfg),
            "--data-dir",
            str(tmp_path / "data"),
            "--windowed",
        ],
        capture_output=True,
        env=kivy_env(tmp_path),
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert err.startswith("error: ") and key in err and err.count("\n") == 1, err
    assert not (tmp_path / "kivy-home" / "config.ini").exists(), "Kivy was imported before the config was checked"


class GarbageBroker:
    """A TCP server that answers every MQTT CONNECT with junk and hangs up."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.sendall(b"\xff\x00 this is not MQTT")

    def close(self) -> None:
        self.sock.close()


def test_kiosk_run_windowed_survives_a_broken_broker_and_stops_cleanly(xvfb: Xvfb, tmp_path: Path) -> None:
    """The CLI opens the window, keeps running while the broker talks junk, exits 0 on SIGTERM, writes no Kivy log."""
    broker = GarbageBroker()
    cfg = tmp_path / "k.toml"
    cfg.write_text(BASE.format(port=broker.port) + "[ui]\nfullscreen = true\n")
    log = tmp_path / "kiosk-run.log"
    proc = run_kiosk(cfg, "--data-dir", str(tmp_path / "data"), "--windowed", "--log-level", "info", log=log)
    try:
        wait_until(
            lambda: proc.poll() is None and "cli-kiosk ready: 4 faces" in log.read_text(),
            timeout=60,
            message=f"kiosk ready (log: {log})",
        )
        wait_until(lambda: broker.connections >= 2, timeout=60, message="uplink retried the junk broker")
        wait_until(lambda: "cli-kiosk is offline" in log.read_text(), timeout=30, message="offline logged")
        assert proc.poll() is None, log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0, log.read_text()
    finally:
        broker.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "Traceback" not in text, text
    assert (tmp_path / "kivy-home" / "config.ini").exists()  # the child used this Kivy home ...
    assert list((tmp_path / "kivy-home").rglob("logs/*")) == []  # ... and wrote no log file to the SD card

"""firmware_config/: the systemd units verify, the provisioning script is idempotent (run twice into a
temp root: identical trees), and the kiosk's sd_notify reaches a real notify socket."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from kiosk.watchdog import Notifier
from tests.harness import ROOT, hub_cmd, require_binary

FIRMWARE = ROOT / "firmware_config"


def unit_settings(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_unit_files_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """Both units verify cleanly (ExecStart pointed at a real interpreter) and keep the promised settings."""
    analyze = require_binary("systemd-analyze")
    for name, venv in (
        ("smiley-kiosk.service", "/opt/smiley-kiosk/venv/bin/python"),
        ("smiley-hub.service", "/opt/smiley-hub/venv/bin/python"),
    ):
        text = (FIRMWARE / name).read_text()
        assert venv in text
        (tmp_path / name).write_text(text.replace(venv, sys.executable))
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / n) for n in ("smiley-kiosk.service", "smiley-hub.service"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == "" and result.stdout == "", result.stderr
    kiosk = unit_settings(FIRMWARE / "smiley-kiosk.service")
    assert kiosk["Restart"] == ["always"] and kiosk["Type"] == ["notify"] and int(kiosk["WatchdogSec"][0]) > 0
    assert kiosk["User"] == ["smiley-kiosk"] and kiosk["StateDirectory"] == ["smiley-kiosk"]
    assert kiosk["ConfigurationDirectory"] == ["smiley-kiosk"]
    assert not any("network-online" in v for vs in kiosk.values() for v in vs)
    hub = unit_settings(FIRMWARE / "smiley-hub.service")
    assert hub["Restart"] == ["always"] and hub["User"] == ["smiley-hub"] and "--mqtt-tls-port" in hub["ExecStart"][0]


DEPLOY = ROOT / "deploy"


def test_scale_out_units_verify_and_keep_secrets_in_the_environment_file(tmp_path: Path) -> None:
    """deploy/'s units (two ingest workers, the web process, two Mosquittos) verify as instances, take the database
    and broker URLs only from the EnvironmentFile, and the example file names the variables the hub reads, with
    mqtts:// brokers and the hub's TLS files."""
    analyze = require_binary("systemd-analyze")
    venv = "/opt/smiley-hub/venv/bin/python"
    instances = {
        "smiley-hub-ingest@.service": [
            "smiley-hub-ingest@hub-ingest-1.service",
            "smiley-hub-ingest@hub-ingest-2.service",
        ],
        "smiley-hub-web.service": ["smiley-hub-web.service"],
        "smiley-mosquitto@.service": ["smiley-mosquitto@a.service", "smiley-mosquitto@b.service"],
    }
    paths = []
    for template, names in instances.items():
        text = (DEPLOY / template).read_text()
        values = " ".join(v for vs in unit_settings(DEPLOY / template).values() for v in vs)
        assert "postgresql://" not in values and "mqtt://" not in values, f"{template}: secrets go in the env file"
        (tmp_path / template).write_text(
            text.replace(venv, sys.executable).replace("/usr/sbin/mosquitto", require_binary("mosquitto"))
        )
        for name in names:
            if name != template:
                (tmp_path / name).symlink_to(tmp_path / template)
            paths.append(str(tmp_path / name))
    result = subprocess.run([analyze, "verify", *paths], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "" and result.stdout == "", result.stderr
    for template in ("smiley-hub-ingest@.service", "smiley-hub-web.service"):
        unit = unit_settings(DEPLOY / template)
        assert unit["EnvironmentFile"] == ["/etc/smiley-hub/scale-out.env"] and unit["Restart"] == ["always"]
        assert unit["User"] == ["smiley-hub"]
    assert "--client-id %i" in unit_settings(DEPLOY / "smiley-hub-ingest@.service")["ExecStart"][0]
    web = unit_settings(DEPLOY / "smiley-hub-web.service")["ExecStart"][0]
    assert "--no-ingest" in web and "--mqtt-port" not in web
    example = unit_settings(DEPLOY / "scale-out.env.example")
    assert set(example) == {"HUB_DATABASE", "HUB_MQTT_URLS", "HUB_MQTT_CA", "HUB_MQTT_CERT", "HUB_MQTT_KEY"}
    urls = example["HUB_MQTT_URLS"][0].strip('"').split()
    assert len(urls) == 2 and all(url.startswith("mqtts://hub:") for url in urls), "remote brokers over TLS"
    read = (ROOT / "hub" / "cli" / "common.py").read_text()
    assert all(f'"{name}"' in read for name in example if name != "HUB_DATABASE"), "each one is read by the hub"


def build_wheel(out: Path) -> Path:
    """A smileyhub wheel from a copy of the source tree (offline: no build isolation, no index)."""
    src = out / "src"
    src.mkdir(parents=True)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    for package in ("feedback", "kiosk", "hub"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-w",
            str(out / "dist"),
            f"{src}/",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return next((out / "dist").glob("smileyhub-*.whl"))


def snapshot(root: Path) -> dict[str, tuple[str, ...]]:
    """Every path under ``root`` with its type, mode, symlink target and content hash."""
    out: dict[str, tuple[str, ...]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_dir():
            out[rel] = ("dir", oct(st.st_mode & 0o7777))
        else:
            out[rel] = ("file", oct(st.st_mode & 0o7777), hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def provision(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FIRMWARE / "provision-kiosk"), *args], capture_output=True, text=True, timeout=300)


def test_provisioning_twice_into_a_temp_root_yields_identical_trees(tmp_path: Path) -> None:
    """provision-kiosk installs venv, config, unit and settings into --root; a second run changes nothing."""
    hub_dir = tmp_path / "hub"
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", str(hub_dir))
    config = tmp_path / "k7.toml"
    hub_cmd(
        "kiosk",
        "add",
        "k7",
        "--location",
        "sto",
        "--tls",
        "--broker-url",
        "mqtts://hub.example:8883",
        "--out",
        str(config),
        "--data-dir",
        str(hub_dir),
    )
    wheel = build_wheel(tmp_path / "build")
    root = tmp_path / "root"
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "boot" / "firmware" / "cmdline.txt").write_text("console=tty1 root=PARTUUID=0a rootwait\n")
    args = [
        "--config",
        str(config),
        "--root",
        str(root),
        "--wheel",
        str(wheel),
        "--python",
        sys.executable,
        "--pip-args",
        "--no-deps --no-index",
    ]

    first = provision(*args)
    assert first.returncode == 0, first.stderr
    tree = snapshot(root)
    second = provision(*args)
    assert second.returncode == 0, second.stderr
    assert snapshot(root) == tree
    assert "wrote" not in second.stderr and "installing" not in second.stderr

    installed = root / "etc" / "smiley-kiosk" / "kiosk.toml"
    assert installed.read_bytes() == config.read_bytes() and tree["etc/smiley-kiosk/kiosk.toml"][1] == "0o640"
    assert os.readlink(root / "etc/systemd/system/multi-user.target.wants/smiley-kiosk.service").endswith(
        "/etc/systemd/system/smiley-kiosk.service"
    )
    assert (root / "boot/firmware/cmdline.txt").read_text().count("consoleblank=0") == 1
    assert "smiley-kiosk:" in (root / "etc" / "passwd").read_text()
    venv_python = root / "opt" / "smiley-kiosk" / "venv" / "bin" / "python"
    check = subprocess.run(
        [str(venv_python), "-c", "import kiosk.config, kiosk.watchdog; print('ok')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip() == "ok", check.stderr

    bad = tmp_path / "bad.toml"
    bad.write_text(config.read_text().replace('id = "k7"', 'id = "K7/#"'))
    refused = provision(*args[:1], str(bad), *args[2:])
    assert refused.returncode == 2 and "not a valid kiosk config" in refused.stderr
    assert snapshot(root) == tree


def test_watchdog_notifications_reach_a_real_notify_socket(tmp_path: Path) -> None:
    """READY/WATCHDOG/STOPPING arrive as datagrams; the ping interval is half of WATCHDOG_USEC."""
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(5)
        n = Notifier.from_environ({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "30000000"})
        assert n.ping_interval_s == 15.0
        assert n.ready() and n.ping() and n.stopping()
        got = [server.recv(4096).decode() for _ in range(3)]
    assert got[0].splitlines()[0] == "READY=1" and got[1:] == ["WATCHDOG=1", "STOPPING=1"]
    assert (
        Notifier.from_environ(
            {"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, pid=2
        ).ping_interval_s
        is None
    )
    outside = Notifier.from_environ({})
    assert not outside.is_enabled and not outside.ping()

"""Real components for tests: free ports, a real Mosquitto, the hub as a process, simulated kiosks.

Nothing here stands in for our own code: the hub runs as ``python -m hub serve``, kiosks as
``python -m kiosk simulate``, provisioning through the hub's CLI entry point.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from hub import cli as hub_cli
from hub.store import Store, open_store
from hub.store.postgresql import PostgresStore

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"


_rng = random.Random()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A free port *below* the kernel's ephemeral range.

    Port 0 hands out an ephemeral port, and the many outgoing client connections of this suite draw from the
    same range, so one of them could take the port before the server binds it ("address already in use").
    """
    high = min(_ephemeral_low(), 32768)
    for _ in range(200):
        port = _rng.randrange(20000, high)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port found below the ephemeral range")


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the thing polled may not be up yet
            last_exc = exc
        time.sleep(interval)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {message}" + (f" (last error: {last_exc})" if last_exc else "")
    )


def require_binary(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        raise AssertionError(f"{name} is not installed: run scripts/setup (tests need the real thing)")
    return path


def hub_cmd(*args: str) -> str:
    """Run a ``python -m hub`` command in-process; return its stdout (fail on a non-zero exit)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = hub_cli.main(list(args))
    assert rc == 0, f"hub {' '.join(args)} failed: {err.getvalue()}"
    return out.getvalue()


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("KIVY_NO_ARGS", "1")
    return env


class HubProcess:
    """``python -m hub serve`` as a child process (managed broker unless ``mqtt_url`` is given)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        mqtt_url: str | list[str] | None = None,
        http_port: int | None = None,
        mqtt_port: int | None = None,
        log_name: str = "hub",
        is_throttling_kiosks: bool = False,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        """``mqtt_url``: an external broker, or a list of them (``--mqtt-url`` once each).
        ``is_throttling_kiosks=False`` (``--no-kiosk-throttle``): simulated kiosks tap far faster than people,
        and most tests count that every tap was stored; the abuse tests run the hub's default."""
        require_binary("mosquitto")
        self.data_dir = data_dir
        self.mqtt_url = mqtt_url
        self.http_port = http_port or free_port()
        self.mqtt_port = mqtt_port or free_port()
        self.log_path = data_dir / f"{log_name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.extra_args = extra_args if is_throttling_kiosks else ("--no-kiosk-throttle", *extra_args)
        self.token: str | None = None
        self._retries = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def broker_url(self) -> str:
        if isinstance(self.mqtt_url, list):
            return self.mqtt_url[0]
        return self.mqtt_url or f"mqtt://127.0.0.1:{self.mqtt_port}"

    def serve_args(self) -> list[str]:
        """The ``hub serve`` command line this process runs."""
        args = [
            sys.executable,
            "-m",
            "hub",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--http-port",
            str(self.http_port),
        ]
        if isinstance(self.mqtt_url, list):
            args += [arg for url in self.mqtt_url for arg in ("--mqtt-url", url)]
        else:
            args += ["--mqtt-url", self.mqtt_url] if self.mqtt_url else ["--mqtt-port", str(self.mqtt_port)]
        return args + list(self.extra_args)

    def take_fresh_ports(self) -> None:
        """New ports for a retry after one chosen as free was taken before the hub or its broker bound it."""
        self.http_port = free_port()
        if self.mqtt_url is None:
            self.mqtt_port = free_port()

    def start(self, *, wait: bool = True) -> HubProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        self.proc = subprocess.Popen(self.serve_args(), stdout=log, stderr=log, env=child_env(), cwd=ROOT)
        log.close()
        if wait:
            try:
                self.wait_ready()
            except AssertionError:
                # the hub's own bind error, or its broker's (quoted from mosquitto.log in BrokerDidNotStart)
                if "address already in use" not in self.log_tail().lower() or self._retries >= 3:
                    raise
                self._retries += 1
                self.stop()
                self.take_fresh_ports()
                return self.start(wait=wait)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        exited: list[int] = []

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                exited.append(self.proc.returncode)
                return True  # stop polling: a dead hub never becomes ready
            r = httpx.get(self.url + "/healthz", timeout=1.0)
            return r.status_code == 200 and bool(r.json()["mqtt_connected"])

        try:
            wait_until(ready, timeout=timeout, message="hub /healthz with MQTT connected")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log_tail()}") from None
        if exited:
            raise AssertionError(f"hub exited with {exited[0]}; log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def broker_pid(self) -> int:
        return int((self.data_dir / "broker" / "mosquitto.pid").read_text())

    def kill(self) -> None:
        """SIGKILL: no orderly shutdown, no offline status, nothing flushed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def api(self, path: str, **params: Any) -> Any:
        return self._get(path, **params).json()

    def api_text(self, path: str, **params: Any) -> str:
        return self._get(path, **params).text

    def _get(self, path: str, **params: Any) -> httpx.Response:
        if self.token is None:
            self.token = hub_cmd("token", "create", "--data-dir", str(self.data_dir)).strip()
        r = httpx.get(self.url + path, params=params, headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
        r.raise_for_status()
        return r


class KioskRun:
    """``python -m kiosk simulate`` as a child process."""

    def __init__(self, config: Path, data_dir: Path, *args: str, launcher: Sequence[str] = ()) -> None:
        """``launcher``: a command prefix that runs it elsewhere (``TestHost.launcher``: on a test host)."""
        self.config, self.data_dir = config, data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}-simulate.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        where = ["--config", str(config), "--data-dir", str(data_dir)]
        self.proc = subprocess.Popen(
            [*launcher, sys.executable, "-m", "kiosk", "simulate", *where, *args],
            stdout=log,
            stderr=log,
            env=child_env(),
            cwd=ROOT,
        )
        log.close()

    def wait(self, timeout: float = 120.0) -> int:
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def kiosk_status(config: Path, data_dir: Path) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "status", "--config", str(config), "--data-dir", str(data_dir)],
        capture_output=True,
        check=True,
        env=child_env(),
        cwd=ROOT,
    ).stdout
    return dict(json.loads(out))


def provision(
    data_dir: Path,
    *,
    location: str,
    kiosks: list[str],
    broker_url: str | list[str],
    out_dir: Path,
    timezone: str = "Europe/Stockholm",
    uplink: str = "",
    tls: bool = False,
) -> dict[str, Path]:
    """Add a location and kiosks through the hub CLI; return each kiosk's config path. A list of broker URLs
    gives each kiosk all of them (``broker.urls``, tried in order); ``tls``: ``kiosk add --tls`` (a client
    certificate from the hub's kiosk CA, and the CA the kiosk verifies brokers with)."""
    urls = broker_url if isinstance(broker_url, list) else [broker_url]
    if location not in hub_cmd("location", "list", "--data-dir", str(data_dir)):
        hub_cmd(
            "location", "add", location, "--name", location.title(), "--timezone", timezone, "--data-dir", str(data_dir)
        )
    paths = {}
    for kid in kiosks:
        path = out_dir / f"{kid}.toml"
        hub_cmd(
            "kiosk",
            "add",
            kid,
            "--location",
            location,
            "--data-dir",
            str(data_dir),
            *(arg for url in urls for arg in ("--broker-url", url)),
            *(("--tls",) if tls else ()),
            "--out",
            str(path),
        )
        if uplink:
            path.write_text(path.read_text() + "\n[uplink]\n" + uplink + "\n")
        paths[kid] = path
    return paths


def store_target(data_dir: Path) -> str | Path:
    """The store a hub with ``data_dir`` uses: ``$HUB_DATABASE`` (a PostgreSQL URL, which the hub CLI and the hub
    processes a test starts read too), else the SQLite file in the data dir."""
    return os.environ.get("HUB_DATABASE") or data_dir / "hub.db"


def hub_store(data_dir: Path) -> Store:
    """The hub's store for ``data_dir``, for checking what it holds through its public reads."""
    return open_store(store_target(data_dir))


def stored(data_dir: Path, **where: Any) -> int:
    """Ratings the hub stored (``kiosk_id=``, ``location_id=``, ``seq=``, ``misuse=`` narrow it down)."""
    with hub_store(data_dir) as store:
        return store.ops.rating_counts(**where).ratings


def oracle_count(data_dir: Path, sql: str, *args: Any) -> int:
    """A count straight from the hub's tables, for the few checks that must not trust the store's own read code
    (it is what they check); everything else reads through ``hub_store``."""
    target = store_target(data_dir)
    if isinstance(target, str):
        with PostgresStore(target) as pg:
            return int(pg.conn.execute(sql, args).fetchone()[0])
    conn = sqlite3.connect(str(target), timeout=30)
    try:
        return int(conn.execute(sql, args).fetchone()[0])
    finally:
        conn.close()


def rolled_up(data_dir: Path, **where: Any) -> int:
    """Taps counted in the hub's hourly rollup under the same filters (exactly once: equal to ``stored``)."""
    with hub_store(data_dir) as store:
        return store.ops.rating_counts(**where).rolled_up


@contextlib.contextmanager
def running(*procs: HubProcess) -> Iterator[None]:
    try:
        yield
    finally:
        for p in procs:
            p.stop()


class ExternalBroker:
    """A real Mosquitto started from ``python -m hub broker-config`` output (the hub does not manage it).
    ``name`` (its directory beside the hub's) tells apart several brokers of one hub."""

    def __init__(
        self,
        hub_data_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        launcher: Sequence[str] = (),
        name: str = "ext-broker",
        is_tls: bool = False,
    ) -> None:
        """``host``: the address it listens on and clients use; ``launcher``: a command prefix that runs it
        elsewhere (``TestHost.launcher``: on a test host). ``is_tls``: also a TLS listener for kiosks on
        ``tls_port`` (``broker-config --tls-port``: client certificates from the hub's kiosk CA, a server
        certificate for ``localhost``), the plain ``port`` staying the hub's."""
        self.hub_data_dir = hub_data_dir
        self.port = port or free_port()
        self.tls_port = free_port() if is_tls else None
        self.host, self.launcher = host, tuple(launcher)
        self.dir = hub_data_dir.parent / name
        self.proc: subprocess.Popen[bytes] | None = None

    def configure(self) -> None:
        tls = ("--tls-port", str(self.tls_port), "--tls-bind", self.host, "--public-host", "localhost")
        hub_cmd(
            "broker-config", "--out", str(self.dir), "--mqtt-port", str(self.port), "--mqtt-bind", self.host,
            "--data-dir", str(self.hub_data_dir), *(tls if self.tls_port else ()),
        )  # fmt: skip

    def start(self) -> ExternalBroker:
        self.configure()
        log = open(self.dir / "mosquitto.log", "ab")  # noqa: SIM115 - the child writes to it
        self.proc = subprocess.Popen(
            [*self.launcher, require_binary("mosquitto"), "-c", str(self.dir / "mosquitto.conf")],
            stdout=log,
            stderr=log,
        )
        log.close()
        wait_until(lambda: _port_open(self.host, self.port), timeout=10, message="external mosquitto listening")
        if self.tls_port:
            wait_until(lambda: _port_open(self.host, self.tls_port or 0), timeout=10, message="its TLS listener")
        return self

    def reload(self) -> None:
        self.configure()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)

    def hub_url(self) -> str:
        secret = json.loads((self.hub_data_dir / "secrets.json").read_text())["hub_mqtt_password"]
        return f"mqtt://hub:{secret}@{self.host}:{self.port}"

    @property
    def kiosk_url(self) -> str:
        """Where kiosks connect: the TLS listener, by the name in its certificate, when it has one."""
        if self.tls_port:
            return f"mqtts://localhost:{self.tls_port}"
        return f"mqtt://{self.host}:{self.port}"

    def kill(self) -> None:
        """SIGKILL: its clients see their connections reset; nothing is persisted."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # in case a test froze it
            self.proc.terminate()
            self.proc.wait(10)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class IngestWorker:
    """``python -m hub ingest`` as a child process: one ingest worker on the store in ``$HUB_DATABASE``, on one
    broker or (a list of ``mqtt_url``) on several."""

    def __init__(
        self,
        log_dir: Path,
        *,
        mqtt_url: str | list[str],
        client_id: str,
        launcher: Sequence[str] = (),
        extra_args: Sequence[str] = (),
        log_name: str = "",
    ) -> None:
        """``launcher``: a command prefix that runs it elsewhere (``TestHost.launcher``: on a test host);
        ``extra_args``: more ``hub ingest`` flags; ``log_name``: its log's name (default ``ingest-<client id>``)."""
        self.mqtt_urls = mqtt_url if isinstance(mqtt_url, list) else [mqtt_url]
        self.client_id, self.launcher, self.extra_args = client_id, tuple(launcher), tuple(extra_args)
        self.log_path = log_dir / f"{log_name or f'ingest-{client_id}'}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> IngestWorker:
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it
        # simulated kiosks tap far faster than people: flagged, not refused (as HubProcess does)
        urls = [arg for url in self.mqtt_urls for arg in ("--mqtt-url", url)]
        args = ["ingest", *urls, "--client-id", self.client_id, "--no-kiosk-throttle", *self.extra_args]
        self.proc = subprocess.Popen(
            [*self.launcher, sys.executable, "-m", "hub", *args], stdout=log, stderr=log, env=child_env(), cwd=ROOT
        )
        log.close()
        return self

    def connections(self) -> int:
        """How many times it has connected to a broker (from its log)."""
        return self.log_path.read_text(errors="replace").count("hub: connected to")

    def kill(self) -> None:
        """SIGKILL: no orderly shutdown; its broker session (and the will) stay behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

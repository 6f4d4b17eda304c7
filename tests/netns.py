"""Test hosts on a test network: Linux network namespaces joined by a router, links cut silently.

Each host is a namespace of its own with one veth to the router namespace and its own address; the tests' own
process (the root namespace) has a leg on the router too, so it reaches every host (provisioning, counting what
the database holds) the way another machine on the network would. Needs root (``ip netns``), as the tests run
here and in CI.

A cut drops the packets between two hosts in the router, in both directions, with no RST and no ICMP error
(``ip rule … blackhole``; ``unreachable``/``prohibit`` would answer with ICMP): their TCP connections see
nothing but silence, as when a cable is pulled or a Wi-Fi link dies. Restoring deletes the rules, and the same
connections carry on if neither end gave up meanwhile. iproute2 only: no netem, tc filters or iptables needed.

Addresses come from 198.18.0.0/15 (RFC 2544, benchmarking): a /24 per run that no route of the root namespace
uses, a /30 per link in it (router .4i+1, host .4i+2; link 0 is the root namespace's leg).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness import require_binary


class NetworkSetupFailed(AssertionError):
    """An ``ip`` command that builds or changes the test network failed (the tests need root)."""


def ip(*args: str) -> str:
    done = subprocess.run([require_binary("ip"), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise NetworkSetupFailed(f"ip {' '.join(args)}: {done.stderr.strip()} (the network tests need root)")
    return done.stdout


@dataclass(frozen=True)
class TestHost:
    """One host: its namespace and its address."""

    namespace: str
    address: str

    __test__ = False  # not a test class, for pytest

    @property
    def launcher(self) -> tuple[str, ...]:
        """The command prefix that runs a program on this host."""
        return (require_binary("ip"), "netns", "exec", self.namespace)

    def popen(self, args: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen([*self.launcher, *args], **kwargs)


class TestNetwork:
    """A router namespace and the hosts on it; :meth:`close` removes all of it and kills what runs there."""

    __test__ = False

    def __init__(self) -> None:
        self.tag = str(os.getpid())
        self.router = f"fbt-{self.tag}-router"
        self.subnet = _unused_subnet()
        self.hosts: dict[str, TestHost] = {}
        self._cuts: set[tuple[str, str]] = set()
        self._root_leg = f"nt{self.tag}r0"
        ip("netns", "add", self.router)
        ip("-n", self.router, "link", "set", "lo", "up")
        ip("netns", "exec", self.router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
        # the root namespace's leg: a veth whose far end is in the router, and a route to the hosts through it
        ip("link", "add", self._root_leg, "type", "veth", "peer", "name", f"nt{self.tag}x0")
        ip("link", "set", f"nt{self.tag}x0", "netns", self.router)
        ip("-n", self.router, "addr", "add", f"{self.subnet}.1/30", "dev", f"nt{self.tag}x0")
        ip("-n", self.router, "link", "set", f"nt{self.tag}x0", "up")
        ip("addr", "add", f"{self.subnet}.2/30", "dev", self._root_leg)
        ip("link", "set", self._root_leg, "up")
        ip("route", "add", f"{self.subnet}.0/24", "via", f"{self.subnet}.1")

    def add_host(self, role: str) -> TestHost:
        """A new host named for its role (``kiosk``, ``broker``, ``worker``, ``database``)."""
        i = len(self.hosts) + 1
        assert i < 63, "a /24 holds 63 links"
        host = TestHost(f"fbt-{self.tag}-{role}", f"{self.subnet}.{4 * i + 2}")
        near, far = f"nt{self.tag}h{i}", f"nt{self.tag}x{i}"
        ip("netns", "add", host.namespace)
        self.hosts[role] = host
        ip("link", "add", near, "type", "veth", "peer", "name", far)
        ip("link", "set", near, "netns", host.namespace)
        ip("link", "set", far, "netns", self.router)
        ip("-n", self.router, "addr", "add", f"{self.subnet}.{4 * i + 1}/30", "dev", far)
        ip("-n", self.router, "link", "set", far, "up")
        ip("-n", host.namespace, "link", "set", "lo", "up")
        ip("-n", host.namespace, "addr", "add", f"{host.address}/30", "dev", near)
        ip("-n", host.namespace, "link", "set", near, "up")
        ip("-n", host.namespace, "route", "add", "default", "via", f"{self.subnet}.{4 * i + 1}")
        return host

    def cut(self, a: TestHost, b: TestHost) -> None:
        """Drop every packet between ``a`` and ``b`` silently, both ways (their links to others stay up)."""
        for src, dst in ((a, b), (b, a)):
            ip("-n", self.router, "rule", "add", "from", src.address, "to", dst.address, "blackhole")
            self._cuts.add((src.address, dst.address))

    def restore(self, a: TestHost, b: TestHost) -> None:
        for src, dst in ((a, b), (b, a)):
            ip("-n", self.router, "rule", "del", "from", src.address, "to", dst.address, "blackhole")
            self._cuts.discard((src.address, dst.address))

    def close(self) -> None:
        """Kill every process on the hosts, delete the namespaces (their veths go with them) and the root leg."""
        namespaces = [h.namespace for h in self.hosts.values()] + [self.router]
        for ns in namespaces:
            _kill_all_in(ns)
        for ns in namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        subprocess.run(["ip", "link", "del", self._root_leg], capture_output=True, check=False)


def _kill_all_in(namespace: str) -> None:
    pids = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False).stdout
    for pid in (int(p) for p in pids.split()):
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_is_alive(p) for p in pids.split()):
        time.sleep(0.05)  # polled with a deadline: a namespace is freed once its last process is gone


def _is_alive(pid: str) -> bool:
    """Running (not gone, not a zombie waiting for its parent to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _unused_subnet() -> str:
    """``198.(18|19).X`` whose /24 no route of the root namespace covers yet (another run's network, a LAN)."""
    routes = ip("route", "show")
    for k in range(512):
        n = (os.getpid() + k) % 512
        subnet = f"198.{18 + n // 256}.{n % 256}"
        if f"{subnet}." not in routes:
            return subnet
    raise NetworkSetupFailed("no free /24 in 198.18.0.0/15 for a test network")

"""Slowing down password guessing without letting anyone lock a user out.

Failures are counted per client address *and* user name, so a correct password from another client is never
refused because of someone else's guesses; and per client address across all names, so trying one password on
many names (spraying) is slowed too. Past a few free failures each further try must wait for a delay that
doubles with every failure (capped), counted from the client's last failure. A refused try is not a failure
and does not extend the wait. IPv6 clients are counted per /64 (one subscriber's usual allocation).

The failures live in the store (``store.sign_ins``): shared by every hub process on the same database, kept
across restarts, at most ``MAX_ROWS`` rows and none older than ``WINDOW_MS``. Admins read them at
``GET /api/sign-in-failures`` and on the admin page ``/admin/sign-ins``. Behind a reverse proxy named with
``hub serve --trusted-proxy`` the client's address is the forwarded one (``hub.guard.proxies``); behind any other
proxy every client has the proxy's address, and the per-client limits apply to all of them together.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from hub.store import Store
from hub.store.records import SignInFailures

WINDOW_MS = 15 * 60_000  # failures older than this are forgotten
MAX_ROWS = 10_000  # bounded under a spray of made-up names from many addresses
FREE_PER_NAME = 3  # failures of one client on one name before delays start
FREE_PER_CLIENT = 10  # failures of one client on any names before delays start
FIRST_DELAY_MS = 1_000
MAX_DELAY_MS = 5 * 60_000


@dataclass(frozen=True, slots=True)
class Rule:
    free_per_name: int = FREE_PER_NAME
    free_per_client: int = FREE_PER_CLIENT
    first_delay_ms: int = FIRST_DELAY_MS
    max_delay_ms: int = MAX_DELAY_MS
    window_ms: int = WINDOW_MS

    def delay_ms(self, failures: int, free: int) -> int:
        """The wait after ``failures`` failures when ``free`` of them cost nothing: 0, then 1 s, 2 s, 4 s, …"""
        if failures < free:
            return 0
        return min(self.max_delay_ms, self.first_delay_ms << min(failures - free, 30))

    def wait_ms(self, seen: SignInFailures, *, now_ms: int) -> int:
        """How long this client must still wait before trying this name again (0: try now)."""
        waits = [0]
        if seen.last_for_name_ms is not None:
            waits.append(seen.last_for_name_ms + self.delay_ms(seen.for_name, self.free_per_name) - now_ms)
        if seen.last_for_client_ms is not None:
            waits.append(seen.last_for_client_ms + self.delay_ms(seen.for_client, self.free_per_client) - now_ms)
        return max(waits)


def client_key(address: str | None) -> str:
    """The address failures are counted under: IPv4 as is, IPv6 as its /64."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class LoginThrottle:
    def __init__(self, rule: Rule | None = None) -> None:
        self.rule = rule or Rule()

    def wait_ms(self, store: Store, client: str, name: str, *, now_ms: int) -> int:
        seen = store.sign_ins.failures(client, name, since_ms=now_ms - self.rule.window_ms)
        return self.rule.wait_ms(seen, now_ms=now_ms)

    def failed(self, store: Store, client: str, name: str, *, now_ms: int) -> None:
        store.sign_ins.failed(client, name, now_ms=now_ms, keep_ms=self.rule.window_ms, max_rows=MAX_ROWS)

    def succeeded(self, store: Store, client: str, name: str) -> None:
        store.sign_ins.succeeded(client, name)

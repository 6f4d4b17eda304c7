"""Allowed host names: a request whose ``Host`` header names another host gets 400.

Without it, DNS rebinding lets a web page a store employee opens (``evil.example`` resolving to the hub's
address) drive the hub from inside the store network with the employee's reach. ``--allowed-host`` (repeatable)
names the hosts the dashboard is reached by; the default is the addresses the hub serves: with a wildcard
bind (``0.0.0.0``/``::``) every address of the machine's interfaces and its host names, always ``localhost``
for a loopback bind.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import MutableMapping
from typing import Any

import psutil

from hub.config import HubConfig

Scope = MutableMapping[str, Any]
ANY_HOST = "*"
_WILDCARD_BINDS = ("", "0.0.0.0", "::")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def machine_addresses() -> set[str]:
    """Every IPv4/IPv6 address of this machine's interfaces (zone ids dropped), its host names and localhost."""
    names = {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
    for addresses in psutil.net_if_addrs().values():
        for a in addresses:
            if a.family in (socket.AF_INET, socket.AF_INET6):
                names.add(a.address.split("%", 1)[0].lower())
    return names


def allowed_hosts(config: HubConfig) -> frozenset[str]:
    """``--allowed-host`` values when given, else the addresses the hub serves (see the module docstring)."""
    if config.allowed_hosts:
        return frozenset(h.lower() for h in config.allowed_hosts)
    bind = config.http_host.strip("[]").lower()
    hosts = machine_addresses() if bind in _WILDCARD_BINDS else {bind}
    if _is_loopback(bind):
        hosts |= {"localhost", "127.0.0.1", "::1"}
    if config.public_mqtt_host:
        hosts.add(config.public_mqtt_host.lower())
    return frozenset(hosts)


def host_name(header: str) -> str:
    """The host of a ``Host`` header value, without port and IPv6 brackets, lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else ""
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostCheck:
    """ASGI middleware: 400 for a request whose ``Host`` is not allowed (``*`` among them allows any)."""

    def __init__(self, app: Any, *, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and ANY_HOST not in self.allowed:
            header = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"host"), "")
            if host_name(header) not in self.allowed:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 400,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
                    }
                )
                await send({"type": "http.response.body", "body": b"unknown host name\n"})
                return
        await self.app(scope, receive, send)

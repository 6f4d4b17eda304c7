"""Reverse proxies the hub trusts (``hub serve --trusted-proxy ADDR``, repeatable, IPs or CIDR networks).

Only when the direct peer is one of them is the client's address taken from ``X-Forwarded-For`` (the right-most
address that is not itself a trusted proxy) and the scheme from ``X-Forwarded-Proto`` (so the session cookie is
``Secure`` behind a TLS proxy); from any other peer those headers are ignored, so a forged ``X-Forwarded-For``
cannot spread one client's sign-in failures over made-up addresses. The work is uvicorn's
``ProxyHeadersMiddleware``; this module checks the option (uvicorn would take a typo silently as a literal host
name that never matches) and adds the middleware. ``hub serve`` turns uvicorn's own proxy-header handling off
(it trusts ``127.0.0.1`` by default), so with no ``--trusted-proxy`` no peer is trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from hub.errors import ConfigError


def trusted_proxies(values: Iterable[str]) -> tuple[str, ...]:
    """The ``--trusted-proxy`` values as addresses and networks (``10.0.0.7``, ``10.1.0.0/16``, ``::1``).

    :raises ConfigError: a value is neither an IP address nor a CIDR network (named in the message).
    """
    out: list[str] = []
    for value in values:
        try:
            net = ipaddress.ip_network(value.strip(), strict=False)
        except ValueError:
            raise ConfigError(f"--trusted-proxy {value!r} is not an IP address or CIDR network") from None
        out.append(str(net.network_address) if net.num_addresses == 1 else str(net))
    return tuple(out)


def install_proxy_headers(app: FastAPI, proxies: tuple[str, ...]) -> None:
    """Read the client address and scheme from a trusted proxy's headers (nothing when ``proxies`` is empty)."""
    if proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(proxies))

"""One MQTT client id per hub process on a store (issue 15): ``hub serve`` and ``hub ingest`` refuse to start under
a ``--client-id`` that another live process on the same store uses.

Two MQTT clients with one id take each other's session over (the broker drops the older one), and both reconnect
at once, forever. So each process holds the lease ``mqtt-client:<id>`` in the store (``store.leases``), taken before
it connects, renewed by its :class:`hub.leadership.Leadership` with the leader leases and released on an orderly
stop. A process that died without stopping (SIGKILL, a lost machine) frees its id when the lease runs out
(``--lease-s``); one on this host that no longer runs frees it at once (its pid is gone), so a supervisor's quick
restart after a crash is not refused.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from hub.errors import ClientIdInUse
from hub.leadership import LeaseTerms
from hub.store import Store

log = logging.getLogger(__name__)


def client_lease(client_id: str) -> str:
    """The lease a process holds while it connects to MQTT as ``client_id`` (and ``client_id-config``)."""
    return f"mqtt-client:{client_id}"


def holder_place(holder: str) -> tuple[str, int | None]:
    """(host, pid) of a lease holder named by ``hub.leadership.process_holder`` (``host:pid:random``)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    return host, int(pid) if pid.isdigit() else None


def is_gone_here(holder: str) -> bool:
    """The holder ran on this host and its process no longer runs (its lease was simply not released)."""
    host, pid = holder_place(holder)
    if host != socket.gethostname() or pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def claim_client_id(store: Store, client_id: str, *, holder: str, terms: LeaseTerms, now_ms: Callable[[], int]) -> None:
    """Take ``client_id``'s lease for ``holder`` before connecting.

    :raises ClientIdInUse: another live process holds it; the message names the id, that process and the flag."""
    name = client_lease(client_id)
    for _ in range(3):  # a lease that expires or is released between the reads: ask again
        now = now_ms()
        if store.leases.take(name, holder, now_ms=now, ttl_ms=terms.ttl_ms):
            return
        current = store.leases.holder(name, now_ms=now)
        if current is None:
            continue
        if is_gone_here(current):
            if store.leases.take_over(name, holder, from_holder=current, now_ms=now, ttl_ms=terms.ttl_ms):
                log.info("client id %s: taken over from %s, which no longer runs", client_id, current)
                return
            continue
        host, pid = holder_place(current)
        raise ClientIdInUse(
            f"--client-id {client_id} is in use by another hub process on this store (host {host}, pid {pid}):"
            " give each hub serve and hub ingest process its own --client-id (one that was killed frees its id"
            " within --lease-s)"
        )
    raise ClientIdInUse(f"--client-id {client_id}: could not take its lease in the store; try again")

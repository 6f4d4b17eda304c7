"""The device clock as a parameter: wall time, time since boot and the boot id.

A Pi has no RTC, so after an offline boot its wall clock can be far off. Every rating carries the boot id
and the monotonic offset as well, so the hub can correct times once it learns the boot's true offset.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path


def _read_boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return str(uuid.uuid4())


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, looked up once: ``find_library`` runs ``ldconfig -p`` in a subprocess on every call, which
    cost each status message (birth, heartbeat) a fork and 1.1 ms on a quiet 2-core machine (``bench.fleet_reconnect``'s
    profile)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


@dataclass
class DeviceClock:
    """The real clock. Tests may pass one with ``offset_ms`` to play a kiosk whose clock is wrong."""

    offset_ms: int = 0
    boot_id: str = field(default_factory=_read_boot_id)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def mono_ms(self) -> int:
        return time.monotonic_ns() // 1_000_000

    def is_ntp_synced(self) -> bool | None:
        """Whether the kernel believes the clock is synchronised (adjtimex), None when unknown."""
        try:
            libc = _libc()
            buf = ctypes.create_string_buffer(512)  # struct timex is < 256 bytes on every Linux ABI
            state = int(libc.adjtimex(buf))
        except (OSError, AttributeError):
            return None
        return state != 5  # TIME_ERROR: clock not synchronised
